#pragma once
// The agent as libtorrent sees it: its session's settings, its torrents' flags and the pace of
// its alert loop. swarm.cpp applies them to the real session; the simulator (sim/) to simulated
// ones, so that both run one agent.
#include <chrono>
#include <string>

#include <libtorrent/session_params.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_flags.hpp>

namespace si {

// How often the alert loop wakes up when nothing happens (and so how often it plans deadlines).
inline constexpr auto agent_alert_wait = std::chrono::milliseconds(100);

// The shortest pass of the alert loop. libtorrent posts two alerts per 16 KiB block received
// (block_downloading, block_finished) and wakes the loop on the first after each pop; every
// pass then asks the network thread for the torrent's status and waits for the answer. Waking
// at most every 20 ms lets the alerts gather into one pass, where each one used to make its
// own: 50 passes a second at most. The unpacker's window (16 MiB) holds 130 ms at 1 Gbit/s.
inline constexpr auto agent_min_pass = std::chrono::milliseconds(20);

// The LAN profile bound to `bind_address` (any port), plus what the agent needs on top: a short
// stop announce, no tracker back-off, requests for one second of each peer's rate, piece and
// block alerts and a queue that holds them.
// Never fails.
lt::settings_pack agent_session_settings(const std::string& bind_address);

// The real agent's session: agent_session_settings() and libtorrent's single-threaded disk
// back-end (posix_disk_io: every block is written, hashed and read on the network thread). The
// default (mmap_disk_io) hands each 16 KiB block to one of 8 disk threads and back: at 16 nodes
// on 20 Mbit/s links the agents spent about a sixth of their CPU waking and waiting for those
// threads (futex; bench/cpu_split.py, docs/performance.md), and the single thread used 0.8 x
// the CPU for the same job. A node writes to its own disks' page cache and reads back what it
// just wrote, so the network thread is not held up by the disk. The simulator keeps its own.
lt::session_params agent_session_params(const std::string& bind_address);

// Not auto-managed, not paused: the agent downloads at once.
lt::torrent_flags_t agent_torrent_flags();

// libtorrent's per-torrent connection cap (add_torrent_params::max_connections) for
// BITTORRENT_MAX_PEERS: `max_peers` itself, or -1 (no cap but the session's) for 0.
int agent_torrent_max_connections(int max_peers);

}  // namespace si
