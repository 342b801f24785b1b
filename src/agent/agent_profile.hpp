#pragma once
// The agent as libtorrent sees it: its session's settings, its torrents' flags and the pace of
// its alert loop. swarm.cpp applies them to the real session; the simulator (sim/) to simulated
// ones, so that both run one agent.
#include <chrono>
#include <string>

#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_flags.hpp>

namespace si {

// How often the alert loop wakes up when nothing happens (and so how often it plans deadlines).
inline constexpr auto agent_alert_wait = std::chrono::milliseconds(100);

// The LAN profile bound to `bind_address` (any port), plus what the agent needs on top: a short
// stop announce, no tracker back-off, piece and block alerts and a queue that holds them.
// Never fails.
lt::settings_pack agent_session_settings(const std::string& bind_address);

// Not auto-managed, not paused: the agent downloads at once.
lt::torrent_flags_t agent_torrent_flags();

// libtorrent's per-torrent connection cap (add_torrent_params::max_connections) for
// BITTORRENT_MAX_PEERS: `max_peers` itself, or -1 (no cap but the session's) for 0.
int agent_torrent_max_connections(int max_peers);

}  // namespace si
