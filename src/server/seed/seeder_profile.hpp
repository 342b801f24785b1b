#pragma once
// The image server's seeder as libtorrent sees it: the session's settings and each torrent's
// flags, built from SeederSettings with the LAN profile and seeder_policy.hpp. seeder.cpp applies
// them to the real session; the simulator (sim/) to a simulated one, so both run one seeder.
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_flags.hpp>

#include "server/config/server_settings.hpp"

namespace si {

// How long the session may spend telling the tracker it stopped.
inline constexpr int seeder_stop_tracker_timeout_s = 3;

// The LAN profile for the seeder's address and port, its upload slots (seeder_choking), and a
// port that is never silently swapped for another. Never fails.
lt::settings_pack seeder_session_settings(const SeederSettings& settings);

// Seed mode (the tarball was just packed or checked against its record: each piece is verified
// the first time it is sent), not auto-managed, not paused, and super-seeding when
// super_seeds() says so for a torrent of `num_pieces` pieces (`delta_ready`: a BT_DELTA image).
lt::torrent_flags_t seeder_torrent_flags(const SeederSettings& settings, int num_pieces,
                                         bool delta_ready = false);

}  // namespace si
