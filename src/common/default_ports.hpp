#pragma once
// The ports si_btd listens on and the agent talks to when nothing moves them (the server
// HOWTO's "Ports" table; bittorrent.conf(5), si_btagent(8)).
#include <cstdint>

namespace si {

// The tracker, the torrents and the status pages: SystemImager 4's BT_TRACKER_PORT.
inline constexpr std::uint16_t default_tracker_port = 6969;
// The seeder (TCP and uTP).
inline constexpr std::uint16_t default_seeder_port = 6881;
// SystemImager's si_monitor port; nodes send to it when MONITOR_SERVER is on their command line.
inline constexpr std::uint16_t default_monitor_port = 8181;

}  // namespace si
