#include "daemon.hpp"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <sys/stat.h>

#include "common/atomic_file.hpp"
#include "common/file_io.hpp"
#include "pack_queue.hpp"
#include "packer.hpp"
#include "pidfile.hpp"
#include "reload_plan.hpp"
#include "seeder.hpp"
#include "server/autoinstallscript.hpp"
#include "server/boot_switch.hpp"
#include "server/exit_codes.hpp"
#include "server/latest_file_writer.hpp"
#include "server/monitor_listener.hpp"
#include "server/node_clock.hpp"
#include "server/node_table.hpp"
#include "server/status_pages.hpp"
#include "server/tarball_scrub.hpp"
#include "tracker_http.hpp"

namespace si {
namespace {

namespace asio = boost::asio;

// How often a line with the seeder's peers and upload total goes to the log.
constexpr auto stats_interval = std::chrono::seconds(60);
// The seeder's per-torrent upload totals shown are at most this old: each read is a round
// trip into libtorrent's thread, so not one per request when many operators poll the page.
constexpr auto seeder_totals_max_age = std::chrono::seconds(1);
// After a node report, the node table is written within this (coalesced).
constexpr auto nodes_save_delay = std::chrono::seconds(5);
// A node table file larger than this is not restored (max_nodes nodes with full histories
// stay well below it).
constexpr std::int64_t max_nodes_state_bytes = 128 * 1024 * 1024;
// The listed nodes' boot files shown are at most this old (si_btreimage writes them too).
constexpr auto boot_view_max_age = std::chrono::seconds(2);
// Dropped monitor reports are logged at most once per this, with a count of the others.
constexpr auto reject_log_interval = std::chrono::seconds(10);

}  // namespace

struct Daemon::Impl {
    Impl(DaemonOptions o, LoadedConfig c, Logger& l)
        : options(std::move(o)),
          config(std::move(c)),
          log(l),
          tracker(io, config.settings.tracker, log),
          seeder(io, config.settings.seeder, log),
          scrubber(config.settings.scrub.bytes_per_s, log),
          signals(io, SIGTERM, SIGINT, SIGHUP),
          stats_timer(io),
          nodes_save_timer(io),
          monitor(
              io, [this](const MonitorReport& r, const std::string& from) { on_report(r, from); },
              [this](const std::string& why, const std::string& from) { on_reject(why, from); }),
          nodes_writer(config.settings.monitor.state_file, log),
          boot(config.settings.netboot, log),
          pages([this] { return gather_status(); }),
          packs(log, [this](const PackJob& job, Result<PackResult> result) {
              asio::post(io, [this, job, result = std::move(result)]() mutable {
                  on_packed(job, std::move(result));
              });
          }) {}

    DaemonOptions options;
    LoadedConfig config;
    Logger& log;
    asio::io_context io;
    TrackerServer tracker;
    Seeder seeder;
    TarballScrubber scrubber;
    asio::signal_set signals;
    asio::steady_timer stats_timer;
    asio::steady_timer nodes_save_timer;
    Pidfile pidfile;

    // The operator's view: node reports, what is shown of them, and the counters. Report
    // times come from node_clock, which a wall-clock step does not move (node_clock.hpp).
    SystemClock system_clock;
    NodeClock node_clock{system_clock};
    MonitorListener monitor;
    NodeTable nodes;
    LatestFileWriter nodes_writer;
    // Per-node network boot: the nodes file and the pxelinux files of its nodes.
    BootSwitch boot;
    StatusPages pages;
    bool nodes_save_pending = false;
    std::int64_t started = node_clock.now();
    std::uint64_t packs_made = 0;
    std::uint64_t packs_reused = 0;
    std::uint64_t packs_failed = 0;
    std::uint64_t reports_accepted = 0;
    std::uint64_t reports_rejected = 0;
    std::uint64_t rejects_unlogged = 0;
    std::chrono::steady_clock::time_point last_reject_log{};
    std::map<std::string, std::int64_t> uploaded_by_tarball;
    // Each image's disk layout as served at /layouts/<image> (layout_text()), and what the
    // status shows of it ("served", "none" or the error).
    std::map<std::string, std::string> layout_text_by_image;
    std::map<std::string, std::string> layout_state_by_image;
    std::chrono::steady_clock::time_point uploaded_read_at{};

    // Jobs of the current configuration, by tarball path, and what is being served.
    std::map<std::string, PackJob> wanted;
    std::map<std::string, ServedTorrent> served;
    // Tarballs of `served` found damaged and being packed again: still tracked (the nodes'
    // announces keep working and they trade what they have), not seeded, not scrubbed.
    std::set<std::string> repacking;

    // The packing worker: declared after `io`, so it is joined before `io` goes.
    PackQueue packs;
    std::thread stopper;
    bool stopping = false;

    void enqueue(const PackJob& job, bool update) {
        packs.push(job, config.settings.packer, update ? Rebuild::always : Rebuild::if_stale);
    }

    void on_packed(const PackJob& job, Result<PackResult> result) {
        if (stopping || wanted.count(job.tarball) == 0) {
            if (!result) {
                log.info(result.error().message);
            }
            return;  // dropped by a reload meanwhile, or shutting down
        }
        std::string what = std::string(kind_word(job.kind)) + " " + job.name;
        if (!result) {
            ++packs_failed;
            log.error(result.error().message);
            return;
        }
        if (!result->skipped) {
            ++(result->reused ? packs_reused : packs_made);
        }
        if (result->skipped) {
            log.warn(what + ": " + result->note + " (skipped)");
            return;
        }
        if (result->reused) {
            log.info("reused " + std::filesystem::path(job.tarball).filename().string() +
                     ": matches its tree, not re-read or re-hashed (BT_UPDATE=n)");
        } else if (!result->note.empty()) {
            log.info(what + ": " + result->note);
        }
        if (job.kind == PackKind::image) {
            read_layout(job);
        }
        auto it = served.find(job.tarball);
        if (it != served.end() && it->second.info_hash_hex == result->info_hash_hex &&
            seeder.seeding(job.tarball)) {
            return;  // same bytes as what is already seeded
        }
        if (auto added = seeder.add(job.torrent, job.tarball); !added) {
            log.error(added.error().message);
            return;
        }
        if (repacking.erase(job.tarball) > 0) {
            // Its leechers lost the server when it was dropped: call them, not wait for them.
            if (auto sw = tracker.swarm(result->info_hash_hex)) {
                std::vector<lt::tcp::endpoint> leechers;
                for (const TrackedPeer& p : sw->peers) {
                    if (p.left > 0) {
                        leechers.emplace_back(p.ip, p.port);
                    }
                }
                seeder.reconnect(job.tarball, leechers);
                log.info("seeder: " + std::filesystem::path(job.tarball).filename().string() +
                         " repacked and seeded again; connecting to its " +
                         std::to_string(leechers.size()) + " leecher(s)");
            }
        }
        served[job.tarball] = ServedTorrent{result->info_hash_hex,
                                            std::filesystem::path(job.torrent).filename().string()};
        publish();
    }

    // The seeder (at a piece's first send) or the scrubber (any time after) found data in
    // `tarball` that does not match its hashes (bit rot on the server, or a write behind our
    // back): stop serving it and pack it again from its tree. `info_hash_hex` (when given)
    // names the pair that was checked: a report about a pair replaced since is ignored.
    void repack_bad(const std::string& tarball, const std::string& why,
                    const std::string& info_hash_hex) {
        auto it = wanted.find(tarball);
        auto s = served.find(tarball);
        if (stopping || it == wanted.end() || s == served.end() || repacking.count(tarball) > 0 ||
            (!info_hash_hex.empty() && s->second.info_hash_hex != info_hash_hex)) {
            return;  // dropped, already being repacked, or replaced meanwhile
        }
        const PackJob job = it->second;
        log.error("seeder: " + std::filesystem::path(tarball).filename().string() +
                  ": a piece read from disk does not match its hash (" + why +
                  "; the file changed after packing: bit rot, or a write behind si_btd's "
                  "back); no longer seeding it, repacking it from " +
                  job.source_dir);
        // The tracker keeps the torrent and its swarm meanwhile: nodes that announce are
        // answered (with each other, and no seed), and are called back once it is seeded again.
        seeder.remove(tarball);
        repacking.insert(tarball);
        publish();
        enqueue(job, true);
    }

    void publish() {
        std::vector<ServedTorrent> list;
        std::vector<ScrubTarget> check;
        for (auto& [tarball, t] : served) {
            list.push_back(t);
            if (auto w = wanted.find(tarball); w != wanted.end() && !repacking.contains(tarball)) {
                check.push_back({tarball, w->second.torrent, t.info_hash_hex});
            }
        }
        tracker.set_torrents(std::move(list));
        scrubber.set_targets(std::move(check));
    }

    // Makes `jobs` the wanted set: drops what is no longer listed, queues the rest
    // (reload_plan.hpp).
    void apply(const std::vector<PackJob>& jobs, bool update_new, bool recheck_kept) {
        const PackPlan plan = plan_packs(wanted, jobs, update_new, recheck_kept);
        for (const PackJob& job : plan.dropped) {
            seeder.remove(job.tarball);
            if (job.kind == PackKind::image) {
                layout_text_by_image.erase(job.name);
                layout_state_by_image.erase(job.name);
            }
            repacking.erase(job.tarball);
            if (served.erase(job.tarball) > 0) {
                log.info("dropped " + std::string(kind_word(job.kind)) + " " + job.name);
            }
        }
        wanted.clear();
        for (const PackJob& j : jobs) {
            wanted.emplace(j.tarball, j);
        }
        publish();
        for (const QueuedPackJob& q : plan.packs) {
            enqueue(q.job, q.update);
        }
    }

    void reload() {
        log.info("SIGHUP: re-reading " + options.bt_conf_path);
        auto next = load_server_config(options.bt_conf_path, options.si_conf_path);
        if (!next) {
            log.error(next.error().message + " (keeping the running configuration)");
            return;
        }
        for (const auto& w : next->warnings) {
            log.warn(w);
        }
        const auto& old_s = config.settings;
        const auto& new_s = next->settings;
        if (const auto changed = restart_only_changes(old_s, new_s); !changed.empty()) {
            std::string names;
            for (const auto& n : changed) {
                names += (names.empty() ? "" : ", ") + n;
            }
            log.warn(names + " changed: that takes a restart; keeping the running one(s)");
        }
        if (new_s.dirs.torrent_dir != old_s.dirs.torrent_dir) {
            return;  // the tracker serves torrents from the old directory
        }
        // Images, overrides and how they are packed follow the new file; the announce URL in
        // their .torrents stays what the running tracker serves.
        config.settings.packer.compression = new_s.packer.compression;
        config.settings.update = new_s.update;
        if (new_s.monitor.stuck_after_s != old_s.monitor.stuck_after_s) {
            log.info("monitor: a node silent for " + std::to_string(new_s.monitor.stuck_after_s) +
                     " s is stuck (BT_MONITOR_STUCK)");
            config.settings.monitor.stuck_after_s = new_s.monitor.stuck_after_s;
        }
        if (auto st = boot.load(new_s.netboot, node_clock.now()); !st) {
            log.error("netboot: " + st.error().message + " (keeping the nodes listed before)");
        } else {
            config.settings.netboot = new_s.netboot;
        }
        apply(new_s.jobs, new_s.update, /*recheck_kept=*/true);
    }

    // Reads and checks the image's etc/systemimager/autoinstallscript.conf (disk_layout.hpp):
    // a good one is served to blank nodes; a bad one is logged with its file and line, and the
    // image is served without one (nodes then need SI_TARGET, as without a layout).
    void read_layout(const PackJob& job) {
        layout_text_by_image.erase(job.name);
        auto layout = read_image_disk_layout(job.source_dir);
        if (!layout) {
            log.error("image " + job.name + ": disk layout not served: " + layout.error().message);
            layout_state_by_image[job.name] = layout.error().message;
            return;
        }
        if (!*layout) {
            layout_state_by_image[job.name] = "none";
            return;
        }
        const DiskLayout& l = **layout;
        layout_text_by_image[job.name] = layout_text(l);
        layout_state_by_image[job.name] = "served";
        log.info("image " + job.name + ": disk layout of " + std::to_string(l.disks.size()) +
                 " disk(s), " + std::to_string(l.filesystems.size()) +
                 " filesystem(s) served at /layouts/" + job.name);
    }

    // GET /layouts/<image>: the image's disk layout, or 404.
    std::optional<HttpReply> layout_page(std::string_view path) const {
        constexpr std::string_view prefix = "/layouts/";
        if (!path.starts_with(prefix)) {
            return std::nullopt;
        }
        const std::string name(path.substr(prefix.size()));
        if (auto it = layout_text_by_image.find(name); it != layout_text_by_image.end()) {
            return HttpReply{200, "text/plain; charset=utf-8", it->second, {}};
        }
        return HttpReply{
            404, "text/plain; charset=utf-8", "no disk layout for image '" + name + "'\n", {}};
    }

    void on_report(const MonitorReport& r, const std::string& from) {
        if (stopping) {
            return;
        }
        const std::string key = node_key(r, from);
        const auto before = nodes.nodes().find(key);
        const bool was_finished = before != nodes.nodes().end() && before->second.finished != 0;
        if (!nodes.apply(r, from, node_clock.now())) {
            on_reject("monitor report: " + std::to_string(max_nodes) +
                          " nodes known already; a new MAC is not taken",
                      from);
            return;
        }
        ++reports_accepted;
        if (!r.not_utf8.empty()) {
            log.warn_repeated("monitor: not UTF-8",
                              "monitor: the report of " + key + " from " + from +
                                  " has bytes that are not UTF-8 in: " + r.not_utf8 +
                                  " (shown with U+FFFD in their place)");
        }
        const NodeRecord& n = nodes.nodes().at(key);
        boot.on_report(n.report, node_clock.now());
        if (n.finished != 0 && !was_finished) {
            // Once per install: when it first reports done or failed.
            const int status = n.report.status.value_or(0);
            const std::string who =
                (r.host.empty() ? key : r.host + " (" + key + ")") + " at " + from;
            if (status < 0) {
                log.warn("monitor: " + who + " failed, status " + std::to_string(status) +
                         (n.report.error.empty() ? "" : ": " + n.report.error));
            } else {
                log.info("monitor: " + who + " reports status " + std::to_string(status) +
                         (proves_install(n.report) ? " with the proof of a whole install"
                                                   : " without proof of a whole install"));
            }
        }
        schedule_nodes_save();
    }

    void on_reject(const std::string& why, const std::string& from) {
        ++reports_rejected;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_reject_log < reject_log_interval) {
            ++rejects_unlogged;
            return;
        }
        last_reject_log = now;
        log.warn(why + " (from " + from + "; dropped" +
                 (rejects_unlogged > 0
                      ? ", and " + std::to_string(rejects_unlogged) + " more since the last one"
                      : std::string()) +
                 ")");
        rejects_unlogged = 0;
    }

    void schedule_nodes_save() {
        if (nodes_save_pending || stopping) {
            return;
        }
        nodes_save_pending = true;
        nodes_save_timer.expires_after(nodes_save_delay);
        nodes_save_timer.async_wait([this](const boost::system::error_code& ec) {
            nodes_save_pending = false;
            if (!ec) {
                nodes_writer.write(nodes.save());
            }
        });
    }

    // Restores the node table saved by an earlier run (a missing file is fine).
    void load_nodes() {
        const std::string& path = config.settings.monitor.state_file;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            return;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > max_nodes_state_bytes) {
            log.warn("monitor: " + path +
                     " is not a regular file of at most 128 MiB; starting with no nodes");
            return;
        }
        auto text = read_text_file(path);
        if (!text) {
            log.warn("monitor: " + text.error().message + "; starting with no nodes");
            return;
        }
        if (auto loaded = nodes.load(*text); !loaded) {
            log.warn("monitor: ignoring " + path + ": " + loaded.error().message +
                     "; starting with no nodes");
            return;
        }
        log.info("monitor: restored " + std::to_string(nodes.nodes().size()) + " node(s) from " +
                 path);
        if (const std::int64_t ahead = nodes.clamp_to(node_clock.now()); ahead > 0) {
            log.warn("monitor: " + path + " holds times up to " + std::to_string(ahead) +
                     " s ahead of this clock (it was stepped back since): they are taken as "
                     "now, and the nodes' ages count from here");
        }
    }

    void start_monitor() {
        const MonitorSettings& m = config.settings.monitor;
        if (!m.enabled) {
            log.info("monitor: off (BT_MONITOR=n); the status page shows the tracker only");
            return;
        }
        if (auto st = monitor.start(m.address, m.port); !st) {
            // The tracker and the seeder are what nodes need; reports are a view of them.
            log.warn(st.error().message +
                     " (SystemImager's si_monitor running? set BT_MONITOR_PORT or "
                     "BT_MONITOR=n); node reports are not received");
            return;
        }
        log.info("monitor: listening for node reports on " + monitor.address());
    }

    StatusInput gather_status() {
        if (const auto now = std::chrono::steady_clock::now();
            now - uploaded_read_at >= seeder_totals_max_age && !stopping) {
            uploaded_by_tarball = seeder.stats().uploaded_by_tarball;
            uploaded_read_at = now;
        }
        StatusInput in;
        in.now = node_clock.now();
        in.stuck_after_s = config.settings.monitor.stuck_after_s;
        in.nodes = &nodes;
        if (boot.enabled()) {
            in.listed = &boot.view(boot_view_max_age);
        }
        in.daemon = {SI_VERSION,       started,          tracker.announces(),
                     packs_made,       packs_reused,     packs_failed,
                     reports_accepted, reports_rejected, monitor.address()};
        for (const auto& [tarball, job] : wanted) {
            ImageView v;
            v.name = job.name;
            v.kind = std::string(kind_word(job.kind));
            v.tarball = std::filesystem::path(tarball).filename().string();
            std::error_code ec;
            auto size = std::filesystem::file_size(tarball, ec);
            v.size_bytes = ec ? 0 : static_cast<std::int64_t>(size);
            if (auto it = served.find(tarball); it != served.end()) {
                v.info_hash_hex = it->second.info_hash_hex;
                v.seeding = !repacking.contains(tarball);
                v.swarm = tracker.swarm(v.info_hash_hex);
            }
            if (auto up = uploaded_by_tarball.find(tarball); up != uploaded_by_tarball.end()) {
                v.server_bytes = up->second;
            }
            if (auto l = layout_state_by_image.find(job.name);
                job.kind == PackKind::image && l != layout_state_by_image.end()) {
                v.layout = l->second;
            }
            in.images.push_back(std::move(v));
        }
        return in;
    }

    void schedule_stats() {
        stats_timer.expires_after(stats_interval);
        stats_timer.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping) {
                return;
            }
            SeederStats s = seeder.stats();
            log.info("status: seeding " + std::to_string(s.torrents) + " torrent(s), " +
                     std::to_string(s.peers) + " peer(s) connected, " +
                     std::to_string(s.uploaded_bytes / (1024 * 1024)) + " MiB sent, " +
                     std::to_string(tracker.peer_count()) + " peer(s) tracked");
            schedule_stats();
        });
    }

    void wait_signals() {
        signals.async_wait([this](const boost::system::error_code& ec, int sig) {
            if (ec) {
                return;
            }
            if (sig == SIGHUP) {
                reload();
                wait_signals();
                return;
            }
            begin_stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
        });
    }

    void begin_stop(const std::string& why) {
        if (stopping) {
            return;
        }
        stopping = true;
        log.info(why + ": stopping");
        stats_timer.cancel();
        nodes_save_timer.cancel();
        monitor.stop();
        scrubber.stop();
        if (!nodes.empty()) {
            nodes_writer.write(nodes.save());  // written before the writer's destructor returns
        }
        // The seeder's stopped announces go to our own tracker, which keeps running on this
        // thread meanwhile; only then does the tracker stop and save its state.
        // The pack in progress is cancelled, and joined off this thread: the tracker goes on.
        stopper = std::thread([this] {
            packs.stop();
            seeder.stop();
            asio::post(io, [this] {
                tracker.stop();
                signals.cancel();
            });
        });
    }
};

Daemon::Daemon(DaemonOptions options, LoadedConfig config, Logger& log)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(config), log)) {}

Daemon::~Daemon() {
    if (impl_->stopper.joinable()) {
        impl_->stopper.join();
    }
    impl_->packs.stop();
}

Status Daemon::start() {
    Impl& d = *impl_;
    for (const auto& w : d.config.warnings) {
        d.log.warn(w);
    }
    d.seeder.on_bad_tarball([&d](const std::string& tarball) {
        d.repack_bad(tarball, "libtorrent's check at its first send", "");
    });
    d.tracker.on_new_leecher([&d](const std::string& info_hash, const asio::ip::address& ip,
                                  std::uint16_t port) { d.seeder.introduce(info_hash, ip, port); });
    if (auto st = d.tracker.start(); !st) {
        return st;
    }
    // After the tracker: its state lock (next to which the node table lives) is ours now.
    d.load_nodes();
    if (auto st = d.boot.load(d.config.settings.netboot, d.node_clock.now()); !st) {
        return st;
    }
    d.tracker.serve_pages([&d](std::string_view path, std::string_view query) {
        if (auto layout = d.layout_page(path)) {
            return layout;
        }
        return d.pages.handle(path, query);
    });
    d.start_monitor();
    if (auto st = d.seeder.start([&d] { asio::post(d.io, [&d] { d.seeder.handle_alerts(); }); });
        !st) {
        return st;
    }
    if (!d.options.pidfile.empty()) {
        auto pf = Pidfile::create(d.options.pidfile);
        if (!pf) {
            return pf.error();
        }
        d.pidfile = std::move(*pf);
    }
    return Ok{};
}

int Daemon::run() {
    Impl& d = *impl_;
    d.wait_signals();
    d.schedule_stats();
    if (d.config.settings.jobs.empty()) {
        d.log.warn("BT_IMAGES and BT_OVERRIDES are empty: running the tracker only");
    }
    d.packs.start();
    d.scrubber.start([&d](const ScrubTarget& t, const std::string& why) {
        asio::post(d.io, [&d, t, why] {
            d.repack_bad(t.tarball, why + ", found by the background check", t.info_hash_hex);
        });
    });
    if (const std::uint64_t rate = d.config.settings.scrub.bytes_per_s; rate > 0) {
        d.log.info("scrub: re-reading the seeded tarballs against their hashes at " +
                   std::to_string(rate >> 20) + " MiB/s (BT_SCRUB_RATE)");
    } else {
        d.log.info("scrub: off (BT_SCRUB_RATE=0): a piece is checked only at its first send");
    }
    d.apply(d.config.settings.jobs, d.config.settings.update, false);
    // A handler that throws (a bug, or input nobody thought of) costs that one request, not
    // the daemon: Asio lets run() be called again after an exception (io_context, "Effect of
    // exceptions thrown from handlers").
    for (;;) {
        try {
            d.io.run();
            break;
        } catch (const std::exception& e) {
            d.log.warn_repeated("handler exception",
                                std::string("internal error in a handler (going on): ") + e.what());
        } catch (...) {
            d.log.warn_repeated("handler exception", "internal error in a handler (going on)");
        }
    }
    if (d.stopper.joinable()) {
        d.stopper.join();
    }
    d.log.info("stopped");
    return exit_code::ok;
}

}  // namespace si
