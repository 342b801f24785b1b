#include "agent/agent_profile.hpp"

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert.hpp>
#include <libtorrent/posix_disk_io.hpp>

#include "common/lt_profile.hpp"

namespace si {
namespace {

// How long stop() may spend telling the tracker the agent left.
constexpr int stop_tracker_timeout_s = 3;
// libtorrent's retry delay after n failed announces is 5 s + 5 s * n^2 * this / 100.
constexpr int tracker_backoff_percent = 0;
constexpr int alert_queue_alerts = 50'000;
constexpr int min_reconnect_s = 1;
// Seconds of download at a peer's current rate that the agent keeps requested from it
// (libtorrent's default: 3).
constexpr int request_queue_s = 1;

}  // namespace

lt::settings_pack agent_session_settings(const std::string& bind_address) {
    LanProfile profile{bind_address, 0, PeerRole::agent, false};
    lt::settings_pack pack = lan_settings(profile);
    pack.set_int(lt::settings_pack::stop_tracker_timeout, stop_tracker_timeout_s);
    // A tracker that does not answer is asked again every 5 s (libtorrent's minimum), not
    // on its default back-off (7, 15, 27, 45, 95 s...): an image server back within
    // BITTORRENT_TIMEOUT must find its nodes announcing, not waiting out minutes.
    pack.set_int(lt::settings_pack::tracker_backoff, tracker_backoff_percent);
    // A peer that closed its connection is tried again after this, not libtorrent's 60 s:
    // on a LAN a reconnect is cheap, and a node whose only peer is the (super-seeding) image
    // server otherwise sat idle for a minute with its last pieces missing (3-5 installs in 24).
    pack.set_int(lt::settings_pack::min_reconnect_time, min_reconnect_s);
    // Requests for one second of a peer's rate, not three: in a swarm every node's uplink is
    // about as busy as its downlink, and blocks asked of a busy peer wait in its queue while
    // a peer that could send them now has none. 16 nodes on 5 Mbit/s links (bench/deploy/run,
    // three pairs of runs) took 1.12-1.13 x S/R with 1 s against 1.17-1.22 with 3 s (1.18-1.28
    // with 10 s), each node spending 2.1-2.5 CPU-s against 1.7-2.3; 1 to 4 nodes at 100 Mbit/s
    // and a lone node at 1 Gbit/s took the same time either way.
    pack.set_int(lt::settings_pack::request_queue_time, request_queue_s);
    // Block alerts (one per 16 KiB received) tell who sent the pieces; the queue holds ~800 MB
    // worth of them so that a busy loop never loses a piece_finished_alert, which the
    // unpacker waits for (libtorrent drops alerts beyond the queue's size, default 2000).
    // Peer alerts tell when a peer is banned for a piece that failed its hash check (the image
    // server's ban is lifted after a while: swarm.cpp, issue 15).
    pack.set_int(lt::settings_pack::alert_mask,
                 pack.get_int(lt::settings_pack::alert_mask) | lt::alert_category::piece_progress |
                     lt::alert_category::block_progress | lt::alert_category::peer);
    pack.set_int(lt::settings_pack::alert_queue_size, alert_queue_alerts);
    return pack;
}

lt::session_params agent_session_params(const std::string& bind_address) {
    lt::session_params params(agent_session_settings(bind_address));
    params.disk_io_constructor = lt::posix_disk_io_constructor;
    return params;
}

lt::torrent_flags_t agent_torrent_flags() {
    lt::torrent_flags_t flags = lt::add_torrent_params{}.flags;
    flags &= ~lt::torrent_flags::auto_managed;
    flags &= ~lt::torrent_flags::paused;
    return flags;
}

int agent_torrent_max_connections(int max_peers) {
    return max_peers > 0 ? max_peers : -1;
}

}  // namespace si
