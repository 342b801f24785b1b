#include "swarm_sim.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/deadline_timer.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include "agent/agent_profile.hpp"
#include "agent/piece_priority.hpp"
#include "common/log.hpp"
#include "common/lt_profile.hpp"
#include "disk_io.hpp"  // libtorrent's simulated disk (simulation/disk_io.hpp)
#include "server/config/server_settings.hpp"
#include "server/seed/seeder_policy.hpp"
#include "server/seed/seeder_profile.hpp"
#include "server/tracker/peer_store.hpp"
#include "server/tracker/tracker_service.hpp"
#include "sim_network.hpp"
#include "sim_tracker.hpp"
#include "simulator/simulator.hpp"

namespace si::simnet {
namespace {

constexpr const char* server_ip = "10.0.0.1";
constexpr const char* tracker_host_ip = "10.0.0.2";  // SwarmParams::tracker_rate_bps > 0
// An address of its own for the simulation's own timers; nothing connects to it.
constexpr const char* control_ip = "10.255.255.254";
constexpr std::uint16_t tracker_port = 6969;
constexpr const char* torrent_file = "image.torrent";
// pfifo limit 2000 packets below htb in bench/deploy/cluster.py.
constexpr int bench_queue_packets = 2000;
// Header bytes libsimulator counts on the links for a TCP packet, and what a full-sized packet
// carries on bench/deploy's veths (Ethernet 14 + IPv4 20 + TCP with timestamps 32), which htb
// counts against R. The simulated links run at R x (mss + 40) / (mss + 66), so that payload
// moves at the bench's rate, and the server's bytes are reported as the bench's veth counts
// them: payload and BitTorrent messages x (mss + 66) / mss.
constexpr int sim_header_bytes = 40;
constexpr int wire_header_bytes = 66;

using SimTime = lt::clock_type;

double seconds_since(SimTime::time_point t0) {
    return std::chrono::duration<double>(SimTime::now() - t0).count();
}

// PeerStore's clock in virtual time.
class VirtualClock final : public si::Clock {
  public:
    std::chrono::steady_clock::time_point now() const override {
        return std::chrono::steady_clock::time_point(
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                lt::clock_type::now().time_since_epoch()));
    }
    std::chrono::system_clock::time_point wall_now() const override {
        return std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                lt::clock_type::now().time_since_epoch()));
    }
};

sim::asio::ip::address node_ip(int k) {
    // 10.1.0.1, 10.1.0.2, ... (k from 1)
    const unsigned v = (10u << 24) | (1u << 16) | static_cast<unsigned>(k);
    return boost::asio::ip::address_v4(v);
}

// tmpfs, as in bench/deploy: no seek time, reads and writes at memory speed. The hash time is
// libtorrent's simulated default (15 us per 16 KiB block, ~1 GB/s: SHA-1 on this machine's CPU).
test_disk memory_disk(bool seed) {
    test_disk d = test_disk().set_seed(seed);
    d.seek_time = lt::milliseconds(0);
    d.read_time = lt::microseconds(2);
    d.write_time = lt::microseconds(2);
    return d;
}

std::string hex(const lt::sha1_hash& h) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (char c : h) {
        out += digits[(static_cast<unsigned char>(c) >> 4) & 0xf];
        out += digits[static_cast<unsigned char>(c) & 0xf];
    }
    return out;
}

struct Agent {
    std::unique_ptr<sim::asio::io_context> ioc;
    std::unique_ptr<lt::session> ses;
    lt::torrent_handle h;
    std::vector<char> have;
    std::vector<char> deadline_set;
    int cursor = 0;  // first piece not verified: the unpacker's cursor, unpacking instantly
    int have_count = 0;
    double done_s = -1;
    bool died = false;
    std::int64_t rx = 0;
    std::int64_t tx_payload = 0;
    std::int64_t redundant = 0;      // piece bytes received twice (total_redundant_bytes)
    std::int64_t download_rate = 0;  // payload bytes/s, as libtorrent last measured it
    double download_rate_at_s = -1;
};

// The swarm at one instant, for --report: who is done, how many nodes hold each piece, and
// how rare the pieces are that the nodes near the end still lack.
struct SwarmCensus {
    int live = 0;  // nodes still running
    int done = 0;
    int peers = 0;              // connections, summed over the live nodes
    std::int64_t down_bps = 0;  // payload bytes/s, summed
    std::int64_t up_bps = 0;
    int copies_min = 0;  // nodes holding the rarest piece
    int copies_median = 0;
    int pieces_at_no_node = 0;     // only the image server has them
    int nodes_lacking_few = 0;     // live nodes not done that lack 1 to 4 pieces
    int fewest_copies_lacked = 0;  // the fewest copies among the pieces those nodes lack
};

SwarmCensus take_census(const std::vector<Agent>& agents, int num_pieces) {
    SwarmCensus c;
    std::vector<int> copies(static_cast<size_t>(num_pieces), 0);
    for (const Agent& a : agents) {
        if (!a.ses || !a.h.is_valid()) {
            continue;
        }
        ++c.live;
        c.done += a.done_s >= 0 ? 1 : 0;
        const lt::torrent_status st = a.h.status();
        c.peers += st.num_peers;
        c.down_bps += st.download_payload_rate;
        c.up_bps += st.upload_payload_rate;
        for (size_t i = 0; i < copies.size(); ++i)
            copies[i] += a.have[i];
    }
    c.fewest_copies_lacked = c.live;
    for (const Agent& a : agents) {
        if (!a.ses || a.done_s >= 0 || num_pieces - a.have_count > 4) {
            continue;
        }
        ++c.nodes_lacking_few;
        for (size_t i = 0; i < copies.size(); ++i) {
            if (!a.have[i]) {
                c.fewest_copies_lacked = std::min(c.fewest_copies_lacked, copies[i]);
            }
        }
    }
    if (c.nodes_lacking_few == 0) {
        c.fewest_copies_lacked = 0;
    }
    c.pieces_at_no_node = static_cast<int>(std::count(copies.begin(), copies.end(), 0));
    std::sort(copies.begin(), copies.end());
    if (!copies.empty()) {
        c.copies_min = copies.front();
        c.copies_median = copies[copies.size() / 2];
    }
    return c;
}

// Which blocks the seeder sent, to whom, and when: how much of what it sent was a copy of a
// piece it had already sent, and when each piece first left it (--report's last line).
class ServerUploads {
  public:
    explicit ServerUploads(int num_pieces) : receivers_(static_cast<size_t>(num_pieces)) {}

    void add(int piece, int block, std::uint32_t node, double now_s) {
        if (piece < 0 || static_cast<size_t>(piece) >= receivers_.size()) {
            return;
        }
        auto& r = receivers_[static_cast<size_t>(piece)];
        ++blocks_;
        if (r.empty()) {
            last_new_piece_s_ = now_s;
        }
        if (std::find(r.begin(), r.end(), node) == r.end()) {
            r.push_back(node);
            if (r.size() == 2) {
                second_receiver_s_.push_back(now_s);
                if (std::getenv("SI_SIM_DEBUG")) {
                    std::fprintf(stderr, "%.2f [server] piece %d to a second node %s (first %s)\n",
                                 now_s, piece,
                                 boost::asio::ip::address_v4(node).to_string().c_str(),
                                 boost::asio::ip::address_v4(r[0]).to_string().c_str());
                }
            }
        }
        blocks_seen_.insert(std::int64_t{piece} << 16 | block);
    }

    void print(int blocks_per_piece) const {
        long once = 0;
        long more = 0;
        long never = 0;
        for (const auto& r : receivers_) {
            never += r.empty() ? 1 : 0;
            once += r.size() == 1 ? 1 : 0;
            more += r.size() > 1 ? 1 : 0;
        }
        const long early =
            static_cast<long>(std::count_if(second_receiver_s_.begin(), second_receiver_s_.end(),
                                            [&](double t) { return t <= last_new_piece_s_; }));
        std::fprintf(stderr,
                     "server uploads: %lld blocks (%.2f x the image's %zu pieces x %d blocks), "
                     "%lld distinct; pieces sent to one node %ld, to several %ld (%ld of them "
                     "before every piece had left the server, at t=%.1f), never %ld\n",
                     static_cast<long long>(blocks_),
                     static_cast<double>(blocks_) /
                         static_cast<double>(receivers_.size() * blocks_per_piece),
                     receivers_.size(), blocks_per_piece,
                     static_cast<long long>(blocks_seen_.size()), once, more, early,
                     last_new_piece_s_, never);
    }

  private:
    std::vector<std::vector<std::uint32_t>> receivers_;  // per piece: the nodes sent a block
    std::set<std::int64_t> blocks_seen_;
    std::vector<double> second_receiver_s_;  // when a piece first went to a second node
    std::int64_t blocks_ = 0;
    double last_new_piece_s_ = 0;
};

}  // namespace

SwarmResult run_swarm(const SwarmParams& p) {
    const double server_rate = p.server_rate_bps > 0 ? p.server_rate_bps : p.rate_bps;
    const int queue =
        p.queue_bytes > 0 ? p.queue_bytes : bench_queue_packets * (p.mss + sim_header_bytes);
    const double wire = static_cast<double>(p.mss + sim_header_bytes) / (p.mss + wire_header_bytes);
    const auto server_addr = boost::asio::ip::make_address(server_ip);
    ClusterNetwork net(server_addr, {server_rate * wire, p.delay_ms, queue},
                       {p.rate_bps * wire, p.delay_ms, queue}, p.mss);
    const bool own_tracker_host = p.tracker_rate_bps > 0;
    const auto tracker_addr =
        boost::asio::ip::make_address(own_tracker_host ? tracker_host_ip : server_ip);
    if (own_tracker_host) {
        net.add_host(tracker_addr, {p.tracker_rate_bps * wire, p.delay_ms, queue});
    }
    sim::simulation sim{net};

    auto ti = ::create_test_torrent(p.piece_bytes, p.pieces, lt::create_torrent::v1_only);
    SwarmResult result;
    result.image_bytes = ti->total_size();
    result.floor_s = static_cast<double>(result.image_bytes) * 8 / p.rate_bps;
    const int num_pieces = ti->num_pieces();
    const std::string tracker_url =
        "http://" + tracker_addr.to_string() + ":" + std::to_string(tracker_port) + "/announce";

    // ---- the image server: tracker + seeder -------------------------------------------------
    sim::asio::io_context server_ioc(sim, server_addr);
    VirtualClock clock;
    PeerStore store(clock, p.seed);
    Logger log;
    log.set_quiet(true);
    TrackerService tracker(store, ".", log);
    tracker.set_torrents({ServedTorrent{hex(ti->info_hashes().v1), torrent_file}});
    std::unique_ptr<sim::asio::io_context> tracker_ioc;
    if (own_tracker_host) {
        tracker_ioc = std::make_unique<sim::asio::io_context>(sim, tracker_addr);
    }
    SimTracker tracker_front(own_tracker_host ? *tracker_ioc : server_ioc, tracker_port, tracker);

    SeederSettings seeder;
    seeder.address = server_ip;
    seeder.super_seed = p.super_seed;
    lt::session_params sp(seeder_session_settings(seeder));
    if (std::getenv("SI_SIM_DEBUG")) {
        sp.settings.set_int(lt::settings_pack::alert_mask,
                            sp.settings.get_int(lt::settings_pack::alert_mask) |
                                lt::alert_category::connect | lt::alert_category::peer);
    }
    if (p.report_period_s > 0) {  // every block the seeder sends, for the report's last line
        sp.settings.set_int(
            lt::settings_pack::alert_mask,
            sp.settings.get_int(lt::settings_pack::alert_mask) | lt::alert_category::upload);
        sp.settings.set_int(lt::settings_pack::alert_queue_size, 1'000'000);
    }
    sp.disk_io_constructor = memory_disk(true);
    auto server = std::make_unique<lt::session>(std::move(sp), server_ioc);
    apply_lan_peer_classes(*server);
    lt::torrent_handle server_h;
    {
        lt::add_torrent_params atp;
        atp.ti = ti;
        atp.save_path = ".";
        atp.flags = seeder_torrent_flags(seeder, num_pieces);
        atp.trackers = {tracker_url};
        server->async_add_torrent(std::move(atp));
    }
    // Seeder::add: a normally seeded torrent's new leechers are introduced to the seeder by the
    // tracker (Seeder::introduce); a super-seeder's peers connect to it themselves.
    const bool introduce = !super_seeds(seeder.super_seed, num_pieces);
    tracker.on_new_leecher(
        [&](const std::string&, const boost::asio::ip::address& ip, std::uint16_t port) {
            if (introduce && server_h.is_valid()) {
                server_h.connect_peer(lt::tcp::endpoint(ip, port));
            }
        });

    // ---- the nodes ----------------------------------------------------------------------------
    std::vector<Agent> agents(static_cast<size_t>(p.nodes));
    const DeadlinePolicy policy = deadline_policy_for(
        p.policy_piece_bytes > 0 ? p.policy_piece_bytes : p.piece_bytes, num_pieces);
    for (int k = 0; k < p.nodes; ++k) {
        Agent& a = agents[static_cast<size_t>(k)];
        const auto ip = node_ip(k + 1);
        a.ioc = std::make_unique<sim::asio::io_context>(sim, ip);
        lt::session_params params(agent_session_settings(ip.to_string()));
        if (std::getenv("SI_SIM_DEBUG")) {
            params.settings.set_int(lt::settings_pack::alert_mask,
                                    params.settings.get_int(lt::settings_pack::alert_mask) |
                                        lt::alert_category::connect | lt::alert_category::peer);
        }
        params.disk_io_constructor = memory_disk(false);
        a.ses = std::make_unique<lt::session>(std::move(params), *a.ioc);
        apply_lan_peer_classes(*a.ses);
        a.have.assign(static_cast<size_t>(num_pieces), 0);
        a.deadline_set.assign(static_cast<size_t>(num_pieces), 0);
    }
    // The nodes boot once the image server seeds: si_btd has been running and announcing long
    // before an administrator powers the nodes on. Started together, the seeder's own announce
    // queued behind N replies on its link, and the first nodes were told of no seeder at all.
    auto start_nodes = [&] {
        for (Agent& a : agents) {
            lt::add_torrent_params atp;
            atp.ti = ti;
            atp.save_path = ".";
            atp.flags = agent_torrent_flags();
            atp.trackers = {tracker_url};
            atp.max_connections = agent_torrent_max_connections(p.max_peers);
            a.ses->async_add_torrent(std::move(atp));
        }
    };

    // ---- the agents' alert loops, sampling and the end ----------------------------------------
    sim::asio::io_context control(sim, boost::asio::ip::make_address(control_ip));
    lt::deadline_timer tick(control);
    SimTime::time_point t0 = SimTime::now();  // when the nodes start: the run's time 0
    bool nodes_started = false;
    const double limit_s = p.time_limit_floors * result.floor_s;
    double next_sample = 0;
    std::vector<int> to_die;
    {
        std::vector<int> order(static_cast<size_t>(p.nodes));
        for (int k = 0; k < p.nodes; ++k)
            order[static_cast<size_t>(k)] = k;
        std::mt19937_64 rng(p.seed);
        std::shuffle(order.begin(), order.end(), rng);
        const int n_die = static_cast<int>(p.die_share * p.nodes + 0.5);
        to_die.assign(order.begin(), order.begin() + n_die);
    }
    bool killed = false;
    std::vector<lt::session_proxy> zombies;
    std::int64_t server_tx = 0;
    std::int64_t server_payload = 0;

    ServerUploads server_uploads(num_pieces);
    double next_report = 0;
    // One line per period for the whole swarm; SI_SIM_DEBUG adds every node's
    // peers/seeds:progress:down/up kB/s.
    auto report = [&](double now_s) {
        std::fprintf(stderr, "t=%.1f", now_s);
        if (server_h.is_valid()) {
            const lt::torrent_status st = server_h.status();
            std::fprintf(stderr, " server: peers %d up %d kB/s super %d |", st.num_peers,
                         st.upload_rate / 1000, st.super_seeding ? 1 : 0);
        }
        const SwarmCensus c = take_census(agents, num_pieces);
        std::fprintf(stderr,
                     " nodes: done %d/%d, peers %.1f, down %lld kB/s, up %lld kB/s | piece copies "
                     "min %d median %d, %d pieces at no node | %d nodes lack 1-4 pieces (fewest "
                     "copies %d)",
                     c.done, c.live, c.live ? static_cast<double>(c.peers) / c.live : 0.0,
                     static_cast<long long>(c.down_bps / 1000),
                     static_cast<long long>(c.up_bps / 1000), c.copies_min, c.copies_median,
                     c.pieces_at_no_node, c.nodes_lacking_few, c.fewest_copies_lacked);
        if (std::getenv("SI_SIM_DEBUG")) {
            std::fprintf(stderr, " |");
            for (Agent& a : agents) {
                if (a.ses && a.h.is_valid()) {
                    const lt::torrent_status st = a.h.status();
                    std::fprintf(stderr, " %d/%d:%.2f:%d/%d", st.num_peers, st.num_seeds,
                                 static_cast<double>(st.progress), st.download_rate / 1000,
                                 st.upload_rate / 1000);
                }
            }
        }
        std::fprintf(stderr, "\n");
    };
    auto take_sample = [&](double now_s) {
        Sample s;
        s.t = now_s;
        for (Agent& a : agents) {
            if (a.ses && a.h.is_valid()) {
                const lt::torrent_status st = a.h.status();
                a.rx = st.total_download;
                a.tx_payload = st.total_payload_upload;
                a.redundant = st.total_redundant_bytes;
            }
            s.node_rx.push_back(a.rx);
        }
        if (server_h.is_valid()) {
            const lt::torrent_status st = server_h.status();
            server_tx = st.total_upload;
            server_payload = st.total_payload_upload;
        }
        s.server_tx = server_tx;
        result.samples.push_back(std::move(s));
    };

    auto stop_all = [&] {
        for (Agent& a : agents) {
            if (a.ses) {
                zombies.push_back(a.ses->abort());
                a.ses.reset();
            }
        }
        zombies.push_back(server->abort());
        server.reset();
        tracker_front.stop();
    };

    std::function<void(const boost::system::error_code&)> on_tick =
        [&](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            std::vector<lt::alert*> alerts;
            if (!nodes_started) {
                server->pop_alerts(&alerts);
                for (lt::alert* al : alerts) {
                    if (auto* at = lt::alert_cast<lt::add_torrent_alert>(al)) {
                        server_h = at->handle;
                    }
                }
                // The tracker has registered the seeder (its first announce).
                if (server_h.is_valid() && tracker.announces() > 0) {
                    nodes_started = true;
                    t0 = SimTime::now();
                    start_nodes();
                } else if (seconds_since(t0) > limit_s) {
                    stop_all();  // no node ever started: every node reported as not done
                    return;
                }
                tick.expires_after(agent_alert_wait);
                tick.async_wait(on_tick);
                return;
            }
            const double now_s = seconds_since(t0);
            server->pop_alerts(&alerts);
            for (lt::alert* al : alerts) {
                if (auto* at = lt::alert_cast<lt::add_torrent_alert>(al)) {
                    server_h = at->handle;
                } else if (auto* bu = lt::alert_cast<lt::block_uploaded_alert>(al)) {
                    server_uploads.add(static_cast<int>(bu->piece_index), bu->block_index,
                                       bu->endpoint.address().to_v4().to_uint(), now_s);
                } else if (std::getenv("SI_SIM_DEBUG")) {
                    std::fprintf(stderr, "%.2f [server] %s\n", now_s, al->message().c_str());
                }
            }
            bool all_done = true;
            for (Agent& a : agents) {
                if (!a.ses) {
                    continue;
                }
                a.ses->pop_alerts(&alerts);
                for (lt::alert* al : alerts) {
                    if (auto* at = lt::alert_cast<lt::add_torrent_alert>(al)) {
                        a.h = at->handle;
                    } else if (std::getenv("SI_SIM_DEBUG") &&
                               (lt::alert_cast<lt::peer_disconnected_alert>(al) ||
                                lt::alert_cast<lt::peer_connect_alert>(al) ||
                                lt::alert_cast<lt::peer_error_alert>(al) ||
                                lt::alert_cast<lt::listen_succeeded_alert>(al) ||
                                lt::alert_cast<lt::listen_failed_alert>(al) ||
                                lt::alert_cast<lt::tracker_reply_alert>(al))) {
                        std::fprintf(stderr, "%.2f [%d] %s\n", now_s,
                                     static_cast<int>(&a - agents.data()) + 1,
                                     al->message().c_str());
                    } else if (auto* pf = lt::alert_cast<lt::piece_finished_alert>(al)) {
                        char& bit = a.have[static_cast<size_t>(static_cast<int>(pf->piece_index))];
                        a.have_count += bit == 0 ? 1 : 0;
                        bit = 1;
                    } else if (lt::alert_cast<lt::torrent_finished_alert>(al) != nullptr) {
                        if (a.done_s < 0) {
                            a.done_s = std::chrono::duration<double>(al->timestamp() - t0).count();
                        }
                    }
                }
                if (a.done_s < 0) {
                    all_done = false;
                }
                // swarm.cpp's loop: deadlines for the pieces just ahead of the unpack cursor.
                if (!p.deadlines || a.done_s >= 0 || !a.h.is_valid()) {
                    continue;
                }
                while (a.cursor < num_pieces && a.have[static_cast<size_t>(a.cursor)]) {
                    ++a.cursor;
                }
                // libtorrent measures its rates once a second; so is this read of it.
                if (now_s >= a.download_rate_at_s + 1) {
                    a.download_rate = a.h.status().download_payload_rate;
                    a.download_rate_at_s = now_s;
                }
                const PieceState state{a.cursor,       a.have_count,    a.have,
                                       a.deadline_set, a.download_rate, p.piece_bytes};
                for (const PieceDeadline& d : plan_deadlines(state, policy)) {
                    a.h.set_piece_deadline(lt::piece_index_t{d.piece}, d.deadline_ms);
                    a.deadline_set[static_cast<size_t>(d.piece)] = 1;
                }
            }
            if (p.report_period_s > 0 && now_s >= next_report) {
                report(now_s);
                next_report += p.report_period_s;
            }
            if (now_s >= next_sample) {
                take_sample(now_s);
                next_sample += p.sample_period_s;
            }
            if (!killed && !to_die.empty() && now_s >= p.die_at_floor * result.floor_s) {
                killed = true;
                for (int k : to_die) {
                    Agent& a = agents[static_cast<size_t>(k)];
                    if (a.done_s < 0 && a.ses) {
                        a.died = true;
                        zombies.push_back(a.ses->abort());
                        a.ses.reset();
                    }
                }
            }
            if (all_done || now_s > limit_s) {
                take_sample(now_s);
                result.end_s = now_s;
                stop_all();
                return;
            }
            tick.expires_after(agent_alert_wait);
            tick.async_wait(on_tick);
        };
    tick.expires_after(agent_alert_wait);
    tick.async_wait(on_tick);

    sim.run();

    if (p.report_period_s > 0) {
        server_uploads.print(ti->piece_length() / lt::default_block_size);
    }
    for (const Agent& a : agents) {
        result.done_s.push_back(a.done_s);
        result.died.push_back(a.died);
        result.nodes_tx_bytes += a.tx_payload;
        result.nodes_redundant_bytes += a.redundant;
    }
    result.server_tx_bytes = server_tx;
    result.server_wire_bytes = static_cast<std::int64_t>(static_cast<double>(server_tx) *
                                                         (p.mss + wire_header_bytes) / p.mss);
    result.server_payload_bytes = server_payload;
    result.announces = static_cast<std::int64_t>(tracker.announces());
    return result;
}

}  // namespace si::simnet
