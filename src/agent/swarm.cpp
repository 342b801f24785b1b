#include "swarm.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/peer_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include "agent_profile.hpp"
#include "common/lt_profile.hpp"
#include "delta_start.hpp"
#include "piece_feeder.hpp"
#include "piece_priority.hpp"
#include "seed_wait.hpp"
#include "stall_watchdog.hpp"
#include "stream_unpack.hpp"
#include "wanted_pieces_plugin.hpp"

namespace si {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Verified pieces ahead of the unpack cursor that may wait in memory: bounds the agent's RSS
// whatever the image size.
constexpr std::int64_t feeder_window_bytes = 16 * 1024 * 1024;

double seconds_between(SteadyClock::time_point from, SteadyClock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

// What a finished transfer reports (its times are the loop's to fill in).
TransferReport transfer_report(const FetchedTorrent& t, const UnpackStats& unpacked,
                               const TransferAlerts& alerts, const lt::torrent_status& st) {
    TransferReport r;
    r.tarball = t.tarball;
    r.bytes = t.info->total_size();
    r.entries = unpacked.entries;
    r.file_bytes = unpacked.bytes_out;
    r.pieces_verified = st.num_pieces;
    r.pieces_total = t.info->num_pieces();
    r.archive_end = unpacked.archive_end;
    r.sources = alerts.sources();
    r.redundant_bytes = st.total_redundant_bytes;
    r.failed_bytes = st.total_failed_bytes;
    return r;
}

// After the unpack of a delta install: the kept entries get the image's owner, mode and times,
// then the root must equal the image entry by entry (the proof that the delta ends exact).
Status finish_delta(const DeltaStart& d, const std::string& root,
                    const std::vector<std::string>& exclude, const KnownContents* known) {
    if (Status s = restamp_planned(root, d.manifest(), d.plan()); !s) {
        return s;
    }
    auto diff = root_difference(root, d.manifest(), exclude, known);
    if (!diff) {
        return diff.error();
    }
    if (*diff) {
        return Error{"delta install: the root differs from the image at " + **diff,
                     ErrorKind::unpack};
    }
    return Ok{};
}

// "no download progress on <tarball> for <limit> s (...)", ErrorKind::stalled.
Error stall_error(const std::string& tarball, int limit_s, const lt::torrent_status& st) {
    // The tracker counts no seed (a super-seeder hides its pieces from its peers, so ask the
    // tracker): the image server is not seeding the tarball (stopped, repacking, or its copy
    // is damaged). Say so instead of blaming the network.
    const std::string no_seed =
        st.num_complete == 0 ? "; the tracker knows no seed: is the image server seeding it?" : "";
    return Error{"no download progress on " + tarball + " for " + std::to_string(limit_s) + " s (" +
                     std::to_string(st.num_peers) + " peers, " +
                     std::to_string(st.total_wanted_done >> 20) + " of " +
                     std::to_string(st.total_wanted >> 20) + " MiB" + no_seed + ")",
                 ErrorKind::stalled};
}

}  // namespace

Swarm::Swarm(const AgentSettings& settings, std::string bind_address, Logger& log)
    : settings_(settings), bind_(std::move(bind_address)), log_(log) {}

Swarm::~Swarm() {
    stop();
}

Status Swarm::start() {
    raise_fd_limit();
    session_ = std::make_unique<lt::session>(agent_session_params(bind_));
    apply_lan_peer_classes(*session_);
    return Ok{};
}

TransferProgress Swarm::snapshot(const lt::torrent_handle& h) {
    TransferProgress p;
    lt::torrent_status st = h.status();
    p.total_bytes = st.total_wanted;
    p.downloaded_bytes = st.total_wanted_done;
    p.download_rate = st.download_payload_rate;
    p.peers = st.num_peers;
    for (const auto& t : torrents_) {
        lt::torrent_status s = t == h ? st : t.status();
        p.upload_rate += s.upload_payload_rate;
        p.uploaded_total += s.all_time_upload;
    }
    return p;
}

std::int64_t Swarm::uploaded_total() {
    std::int64_t total = 0;
    for (const auto& t : torrents_) {
        total += t.status().all_time_upload;
    }
    return total;
}

Result<TransferReport> Swarm::download_and_unpack(
    const FetchedTorrent& t, const std::string& staging_dir, const std::string& root,
    const std::function<void(const TransferProgress&)>& progress, DeltaRequest* delta) {
    const auto& info = *t.info;
    const int num_pieces = info.num_pieces();
    const int piece_length = info.piece_length();
    const int window =
        static_cast<int>(std::clamp<std::int64_t>(feeder_window_bytes / piece_length, 2, 256));
    const DeadlinePolicy deadline_policy = deadline_policy_for(piece_length, num_pieces);
    PieceFeeder feeder(info.total_size(), piece_length, window);
    std::unique_ptr<DeltaStart> delta_start;
    if (delta != nullptr) {
        delta_start =
            std::make_unique<DeltaStart>(info, root, std::move(delta->scan), feeder, log_);
        if (delta->in_place) {
            delta_start->clear_before_full_install(delta->exclude, delta->mounts);
        }
    }

    lt::add_torrent_params p;
    p.ti = std::make_shared<lt::torrent_info>(info);
    p.save_path = staging_dir;
    p.flags = agent_torrent_flags();
    p.max_connections = agent_torrent_max_connections(settings_.max_peers);
    if (delta_start) {
        p.piece_priorities = delta_start->initial_priorities();
        // The image server's super-seeder offers this node only what it wants (si_wanted).
        auto wanted = std::make_shared<WantedPieces>();
        delta_start->publish_to(wanted);
        p.extensions.push_back(wanted_pieces_plugin(std::move(wanted)));
    }
    lt::error_code ec;
    lt::torrent_handle h = session_->add_torrent(std::move(p), ec);
    if (ec) {
        return Error{"add " + t.tarball + ": " + ec.message(), ErrorKind::io};
    }
    torrents_.push_back(h);
    log_.info("downloading " + t.tarball + " (" + std::to_string(info.total_size() >> 20) +
              " MiB, " + std::to_string(num_pieces) + " pieces of " +
              std::to_string(piece_length >> 10) + " KiB) into " + staging_dir);

    std::atomic<bool> unpack_done{false};
    Result<UnpackStats> unpacked = Error{"not run"};
    UnpackOptions uo;
    uo.root = root;
    uo.known = known_;
    // The download loop notices a stall first and names it (ErrorKind::stalled); the
    // unpacker's own limit only guards against a feeder that stops being fed.
    uo.stall_timeout = std::chrono::seconds(2 * settings_.stall_timeout_s + 60);
    std::thread unpacker([&] {
        unpacked = stream_unpack(feeder, uo);
        unpack_done = true;
    });
    // The unpacker thread must be joined on every path out of here.
    struct Joiner {
        std::thread& t;
        PieceFeeder& f;
        ~Joiner() {
            if (t.joinable()) {
                f.fail(Error{"download abandoned"});
                t.join();
            }
        }
    } joiner{unpacker, feeder};

    TransferAlerts alerts(h, info, t.tarball, staging_dir,
                          server_addresses(info, settings_.image_server), feeder, log_);
    if (delta_start) {
        alerts.watch_pieces([&](int piece, std::shared_ptr<const char[]> data, int size) {
            delta_start->take_piece(piece, std::move(data), size);
        });
    }
    StallWatchdog watchdog(clock_, std::chrono::seconds(settings_.stall_timeout_s));
    std::vector<char> requested(static_cast<size_t>(num_pieces), 0);
    std::vector<char> deadline_set(static_cast<size_t>(num_pieces), 0);
    const auto started = clock_.now();
    auto next_report = started;
    std::optional<SteadyClock::time_point> unpacked_at;
    std::optional<Error> failure;

    auto pass_started = clock_.now();
    while (!failure) {
        // Let a busy download's alerts gather for agent_min_pass before the next pass.
        const auto since_pass = clock_.now() - pass_started;
        if (since_pass < agent_min_pass) {
            std::this_thread::sleep_for(agent_min_pass - since_pass);
        }
        session_->wait_for_alert(agent_alert_wait);
        pass_started = clock_.now();
        std::vector<lt::alert*> popped;
        session_->pop_alerts(&popped);
        auto now = clock_.now();
        for (const lt::alert* a : popped) {
            alerts.take(a, now);
        }
        if (alerts.failure()) {
            failure = alerts.failure();
            break;
        }
        const std::vector<char>& have = alerts.have();
        if (delta_start) {
            const bool was_planned = delta_start->planned();
            if (Status ds = delta_start->step(h, have); !ds) {
                failure = ds.error();
                break;
            }
            if (!was_planned && delta_start->planned()) {
                // libtorrent called the torrent finished once the trailer's pieces, all that
                // was wanted before the plan, were in: the download starts now.
                alerts.forget_finished();
            }
        }
        // Hand the unpacker the verified pieces in its window; give the next missing ones a
        // deadline (piece_priority.hpp) while the rest arrives rarest-first.
        const int cursor = feeder.cursor();
        for (int i = cursor; i < feeder.window_end() && i < num_pieces; ++i) {
            if (have[static_cast<size_t>(i)] && !requested[static_cast<size_t>(i)]) {
                h.read_piece(lt::piece_index_t{i});
                requested[static_cast<size_t>(i)] = 1;
            }
        }
        const lt::torrent_status st = h.status();
        // A delta install: a deadline would make libtorrent fetch a piece the plan leaves
        // out (it raises the piece's priority), so those count as held here, and no deadline
        // is given before the plan.
        const bool deadlines = !delta_start || delta_start->planned();
        const std::vector<char>& have_here =
            delta_start && delta_start->delta() ? delta_start->held_or_had(have) : have;
        const int have_count = delta_start && delta_start->delta()
                                   ? delta_lag_have_count(have, cursor)
                                   : alerts.have_count();
        const PieceState state{
            cursor, have_count, have_here, deadline_set, st.download_payload_rate, piece_length};
        for (const PieceDeadline& d :
             deadlines ? plan_deadlines(state, deadline_policy) : std::vector<PieceDeadline>{}) {
            h.set_piece_deadline(lt::piece_index_t{d.piece}, d.deadline_ms);
            deadline_set[static_cast<size_t>(d.piece)] = 1;
        }
        now = clock_.now();
        if (alerts.lift_server_ban_due(now)) {
            // No way to unban one peer: forget them all and ask the tracker again.
            h.clear_peers();
            h.force_reannounce();
        }
        if (unpack_done && unpacker.joinable()) {
            unpacker.join();
            if (!unpacked) {
                failure = unpacked.error();
                break;
            }
            unpacked_at = now;
            if (delta_start && delta_start->delta()) {
                if (Status ds = finish_delta(*delta_start, root, delta->exclude, known_); !ds) {
                    failure = ds.error();
                    break;
                }
            }
        }
        // Finished means every piece written, not only hash-checked: libtorrent's is_finished
        // counts passed pieces, num_pieces the written ones, and the proof the monitor gets
        // (pieces verified / total) is the latter (a node once showed "unverified" for it).
        // A delta install wants only some pieces: libtorrent's finished then means those.
        const int wanted = delta_start ? delta_start->wanted_pieces() : info.num_pieces();
        const bool all_wanted = (!delta_start || delta_start->planned()) && st.num_pieces >= wanted;
        if (!alerts.finished_at() && unpacked_at && st.is_finished && all_wanted) {
            alerts.mark_finished(now);
        }
        // The unpacker stops at tar's end-of-archive blocks, so it may be done before the last
        // (padding) pieces arrive; the download still completes, since the node seeds it.
        if (unpacked_at && alerts.finished_at() && all_wanted) {
            TransferReport r = transfer_report(t, *unpacked, alerts, h.status());
            if (delta_start && delta_start->delta()) {
                const DeltaPlan& plan = delta_start->plan();
                r.delta = true;
                r.pieces_total = wanted;
                r.held_entries = plan.held_entries;
                r.held_bytes = plan.held_bytes;
                r.needed_bytes = plan.needed_bytes;
                r.removed_entries = static_cast<std::int64_t>(plan.remove.size());
            }
            r.received_bytes = h.status().total_payload_download;
            r.download_seconds = seconds_between(started, *alerts.finished_at());
            r.unpack_tail_seconds =
                std::max(0.0, seconds_between(*alerts.finished_at(), *unpacked_at));
            TransferProgress last = snapshot(h);
            last.tarball = t.tarball;
            last.unpacked_bytes = feeder.consumed();
            progress(last);
            return r;
        }
        if (now >= next_report) {
            TransferProgress snap = snapshot(h);
            snap.tarball = t.tarball;
            snap.unpacked_bytes = feeder.consumed();
            watchdog.observe(snap.downloaded_bytes);
            progress(snap);
            next_report = now + std::chrono::seconds(settings_.polling_time_s);
        }
        if (!alerts.finished_at() && watchdog.stalled()) {
            failure = stall_error(t.tarball, settings_.stall_timeout_s, h.status());
        }
    }
    feeder.fail(*failure);
    return *failure;
}

void Swarm::seed_wait(const std::function<void(const TransferProgress&)>& progress) {
    if (torrents_.empty()) {
        return;
    }
    const int min_rate = settings_.upload_min_kbs * 1024;
    log_.info("seeding until the upload rate stays below " +
              std::to_string(settings_.upload_min_kbs) + " KB/s for " +
              std::to_string(settings_.polling_time_s) +
              " s and no connected peer wants pieces (at most " +
              std::to_string(settings_.seed_max_s) + " s)");
    const auto read = [this] {
        std::vector<lt::alert*> ignored;
        session_->pop_alerts(&ignored);
        SeedWaitReading r;
        std::vector<lt::peer_info> peers;
        for (const auto& t : torrents_) {
            lt::torrent_status st = t.status();
            r.peers += st.num_peers;
            r.uploaded_total += st.all_time_upload;
            t.get_peer_info(peers);
            r.peers_wanting += static_cast<int>(
                std::count_if(peers.begin(), peers.end(), [](const lt::peer_info& p) {
                    return (p.flags & lt::peer_info::remote_interested) &&
                           !(p.flags & lt::peer_info::seed);
                }));
        }
        return r;
    };
    const auto each = [&](const SeedWaitReading& r, std::int64_t rate) {
        TransferProgress snap;
        snap.peers = r.peers;
        snap.uploaded_total = r.uploaded_total;
        snap.upload_rate = static_cast<int>(rate);
        progress(snap);
    };
    const SeedWaitTimes times{std::chrono::seconds(settings_.polling_time_s),
                              std::chrono::seconds(settings_.seed_max_s)};
    if (run_seed_wait(
            clock_, [](auto d) { std::this_thread::sleep_for(d); }, times, min_rate,
            uploaded_total(), read, each)) {
        return;
    }
    log_.info("seed time limit reached (BITTORRENT_SEED_MAX)");
}

void Swarm::stop() {
    if (!session_) {
        return;
    }
    torrents_.clear();
    session_.reset();  // sends the stopped announces, bounded by stop_tracker_timeout
}

}  // namespace si
