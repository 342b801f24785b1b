#pragma once
// One deployment in libtorrent's simulator, in virtual time: the image server (our seeder's
// libtorrent settings and torrent flags, our tracker's request handling and peer selection) and
// N agents (our LAN profile, our agent's session settings and piece-deadline policy), each host
// on its own simulated link. The disk is libtorrent's simulated one (stores nothing).
#include <cstdint>
#include <string>
#include <vector>

#include "common/agent_settings.hpp"

namespace si::simnet {

struct SwarmParams {
    int nodes = 4;
    int piece_bytes = 256 * 1024;
    int pieces = 304;            // the image: pieces x piece_bytes (+ a 1,234-byte tail piece)
    double rate_bps = 3e6;       // every node's link, each way
    double server_rate_bps = 0;  // the server's link; 0: rate_bps
    // 0: the tracker answers on the server's link, as si_btd's does. > 0: from a host of its
    // own with a link of this rate, so that a scaled-down job's tracker replies (which do not
    // shrink with the image) cost what they cost on the real job's link.
    double tracker_rate_bps = 0;
    double delay_ms = 0.042;  // one way, on every host's way out
    int queue_bytes = 0;      // each link's queue; 0: bench/deploy's 2,000 packets
    int mss = 1448;           // TCP payload per simulated packet
    bool super_seed = true;   // BT_SUPER_SEED
    bool deadlines = true;    // the agent's piece deadlines (piece_priority.hpp)
    // BITTORRENT_MAX_PEERS: connections each agent holds for the image; 0: no cap but the
    // session's. The simulator's memory and time grow with N x peers per node.
    int max_peers = AgentSettings{}.max_peers;
    // The piece size the deadline policy is planned for (deadline_policy_for); 0: piece_bytes.
    // A scaled-down run (smaller pieces, same count) gives the full-size image's, so that the
    // agents plan the same number of pieces ahead as on the real image.
    std::int64_t policy_piece_bytes = 0;
    double die_share = 0;           // share of the nodes that die ...
    double die_at_floor = 0.5;      // ... at this many x S/R after the start
    double time_limit_floors = 20;  // give up after this many x S/R (virtual)
    double sample_period_s = 1.0;   // link counters sampled this often (virtual; libtorrent
                                    // adds up its byte counters once a second)
    double report_period_s = 0;     // progress lines on stderr this often (virtual); 0: none
    std::uint64_t seed = 1;
};

struct Sample {
    double t = 0;                       // virtual seconds since the nodes started
    std::vector<std::int64_t> node_rx;  // bytes each node received (all, not just payload)
    std::int64_t server_tx = 0;         // bytes the server sent
};

struct SwarmResult {
    std::int64_t image_bytes = 0;  // S
    double floor_s = 0;            // S / R
    std::vector<double> done_s;    // per node; negative: never done (died or timed out)
    std::vector<bool> died;
    std::int64_t server_tx_bytes = 0;        // all BitTorrent bytes the seeder sent
    std::int64_t server_wire_bytes = 0;      // the same with TCP/IP/Ethernet headers (veth count)
    std::int64_t server_payload_bytes = 0;   // piece bytes the seeder sent
    std::int64_t nodes_tx_bytes = 0;         // piece bytes the nodes sent each other
    std::int64_t nodes_redundant_bytes = 0;  // piece bytes the nodes received twice
    std::int64_t announces = 0;              // answered by the tracker
    double end_s = 0;                        // virtual time when the run stopped
    std::vector<Sample> samples;
};

// Runs the deployment to the end (every live node done) or the time limit. Throws
// std::runtime_error on a setup failure (no tracker, torrent not added).
SwarmResult run_swarm(const SwarmParams& params);

}  // namespace si::simnet
