#include "server/daemon.hpp"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <thread>

#include "server/exit_codes.hpp"
#include "server/image_catalog.hpp"
#include "server/node_view.hpp"
#include "server/pack/autoinstallscript.hpp"
#include "server/pack/pack_queue.hpp"
#include "server/pack/packer.hpp"
#include "server/pidfile.hpp"
#include "server/seed/seeder.hpp"
#include "server/seed/tarball_scrub.hpp"
#include "server/signing.hpp"
#include "server/tracker/announce_query.hpp"
#include "server/view/status_pages.hpp"
#include "server/web_front.hpp"

namespace si {
namespace {

namespace asio = boost::asio;

// How often a line with the seeder's peers and upload total goes to the log.
constexpr auto stats_interval = std::chrono::seconds(60);
// The seeder's per-torrent upload totals shown are at most this old: each read is a round
// trip into libtorrent's thread, so not one per request when many operators poll the page.
constexpr auto seeder_totals_max_age = std::chrono::seconds(1);

std::string file_name(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

// The operator's commands (POST, from this host only: WebFront::serve_commands).
//   POST /nodes/forget?node=NODE  drops the nodes NODE names (MAC, hostname, address or key):
//                                 200 with a line per node, 404 when none matches, 400 without
//                                 a node. si_btstatus --forget sends it.
HttpReply node_command(NodeView& view, std::string_view path, std::string_view query,
                       const std::string& from) {
    auto text = [](unsigned status, std::string body) {
        return HttpReply{status, text_content_type, std::move(body), {}};
    };
    if (path != "/nodes/forget") {
        return text(404, "not found: the one command is POST /nodes/forget?node=NODE\n");
    }
    constexpr std::string_view key = "node=";
    if (!query.starts_with(key) || query.find('&') != std::string_view::npos) {
        return text(400, "bad request: give one node=NODE (a MAC, hostname or address)\n");
    }
    auto what = percent_decode(query.substr(key.size()));
    if (!what || what->empty()) {
        return text(400, "bad request: node=: " +
                             (what ? std::string("empty") : what.error().message) + "\n");
    }
    const auto dropped = view.forget(*what, from);
    if (dropped.empty()) {
        return text(404, "no node known as '" + *what + "'\n");
    }
    std::string body;
    for (const auto& k : dropped) {
        body += "forgot " + k + "\n";
    }
    return text(200, std::move(body));
}

}  // namespace

// Wires the parts: the image catalog (what is packed and served), the node view (what the
// nodes report), the tracker, the seeder, the background check and the packing worker; and
// carries out signals and the stop sequence.
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
          view(io, config.settings.monitor, config.settings.netboot, system_clock, counters, log),
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
    WebFront tracker;
    Seeder seeder;
    TarballScrubber scrubber;
    asio::signal_set signals;
    asio::steady_timer stats_timer;
    Pidfile pidfile;

    SystemClock system_clock;
    DaemonCounters counters;
    ImageCatalog catalog;
    NodeView view;
    StatusPages pages;
    std::int64_t started = view.now();
    std::map<std::string, std::int64_t> uploaded_by_tarball;
    // Signing and report keys (server/signing.hpp).
    ServerKeys keys;
    std::chrono::steady_clock::time_point uploaded_read_at{};

    // The packing worker: declared after `io`, so it is joined before `io` goes.
    PackQueue packs;
    std::thread stopper;
    bool stopping = false;

    void enqueue(const PackJob& job, bool update) {
        packs.push(job, config.settings.packer, update ? Rebuild::always : Rebuild::if_stale);
    }

    void on_packed(const PackJob& job, Result<PackResult> result) {
        const CatalogEntry* entry = catalog.find(job.tarball);
        if (stopping || entry == nullptr) {
            if (!result) {
                log.info(result.error().message);
            }
            return;  // dropped by a reload meanwhile, or shutting down
        }
        std::string what = std::string(kind_word(job.kind)) + " " + job.name;
        if (!result) {
            ++counters.packs_failed;
            log.error(result.error().message);
            return;
        }
        if (result->skipped) {
            log.warn(what + ": " + result->note + " (skipped)");
            return;
        }
        ++(result->reused ? counters.packs_reused : counters.packs_made);
        if (result->reused) {
            log.info("reused " + file_name(job.tarball) +
                     ": matches its tree, not re-read or re-hashed (BT_UPDATE=n)");
        } else if (!result->note.empty()) {
            log.info(what + ": " + result->note);
        }
        if (job.kind == PackKind::image) {
            read_layout(job);
        }
        if (entry->served && entry->served->info_hash_hex == result->info_hash_hex &&
            seeder.seeding(job.tarball)) {
            return;  // same bytes as what is already seeded
        }
        sign_torrent(job, result->info_hash_hex);
        if (auto added = seeder.add(job.torrent, job.tarball); !added) {
            log.error(added.error().message);
            return;
        }
        if (catalog.set_served(job.tarball,
                               ServedTorrent{result->info_hash_hex, file_name(job.torrent)})) {
            call_leechers(job.tarball, result->info_hash_hex);
        }
        publish();
    }

    // A repacked tarball's leechers lost the server when it was dropped: call them, not wait
    // for them.
    void call_leechers(const std::string& tarball, const std::string& info_hash_hex) {
        auto sw = tracker.swarm(info_hash_hex);
        if (!sw) {
            return;
        }
        std::vector<lt::tcp::endpoint> leechers;
        for (const TrackedPeer& p : sw->peers) {
            if (p.left > 0) {
                leechers.emplace_back(p.ip, p.port);
            }
        }
        seeder.reconnect(tarball, leechers);
        log.info("seeder: " + file_name(tarball) +
                 " repacked and seeded again; connecting to its " +
                 std::to_string(leechers.size()) + " leecher(s)");
    }

    // The seeder (at a piece's first send) or the scrubber (any time after) found data in
    // `tarball` that does not match its hashes (bit rot on the server, or a write behind our
    // back): stop serving it and pack it again from its tree. `info_hash_hex` (when given)
    // names the pair that was checked: a report about a pair replaced since is ignored.
    void repack_bad(const std::string& tarball, const std::string& why,
                    const std::string& info_hash_hex) {
        if (stopping) {
            return;
        }
        const std::optional<PackJob> job = catalog.begin_repack(tarball, info_hash_hex);
        if (!job) {
            return;  // dropped, already being repacked, or replaced meanwhile
        }
        log.error("seeder: " + file_name(tarball) +
                  ": a piece read from disk does not match its hash (" + why +
                  "; the file changed after packing: bit rot, or a write behind si_btd's "
                  "back); no longer seeding it, repacking it from " +
                  job->source_dir);
        // The tracker keeps the torrent and its swarm meanwhile: nodes that announce are
        // answered (with each other, and no seed), and are called back once it is seeded again.
        seeder.remove(tarball);
        publish();
        enqueue(*job, true);
    }

    void publish() {
        tracker.set_torrents(catalog.served());
        tracker.serve_files(catalog.web_files());
        scrubber.set_targets(catalog.scrub_targets());
    }

    // Makes `jobs` the wanted set: drops what is no longer listed, queues the rest
    // (reload_plan.hpp).
    void apply(const std::vector<PackJob>& jobs, bool update_new, bool recheck_kept) {
        const ImageCatalog::Change change = catalog.replace(jobs, update_new, recheck_kept);
        for (const PackJob& job : change.plan.dropped) {
            seeder.remove(job.tarball);
        }
        for (const PackJob& job : change.dropped_served) {
            log.info("dropped " + std::string(kind_word(job.kind)) + " " + job.name);
        }
        publish();
        for (const QueuedPackJob& q : change.plan.packs) {
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
        ServerSettings after = settings_after_reload(old_s, new_s);
        view.set_stuck_after(after.monitor.stuck_after_s);
        if (auto st = view.load_boot(after.netboot); !st) {
            log.error("netboot: " + st.error().message + " (keeping the nodes listed before)");
            after.netboot = old_s.netboot;
        }
        config.settings = std::move(after);
        apply(config.settings.jobs, config.settings.update, /*recheck_kept=*/true);
    }

    // <torrent>.minisig for the nodes whose initrd trusts our key (server/signing.hpp); with no
    // key, an old signature goes. Before the torrent is published: a node never sees it unsigned.
    void sign_torrent(const PackJob& job, const std::string& info_hash_hex) {
        if (!keys.signing) {
            remove_torrent_signature(job.torrent);
            return;
        }
        if (auto st = write_torrent_signature(*keys.signing, job.kind, job.name, job.torrent,
                                              info_hash_hex);
            !st) {
            log.error("signing " + job.torrent + ": " + st.error().message +
                      " (nodes that trust our key refuse it)");
        }
    }

    // Reads and checks the image's etc/systemimager/autoinstallscript.conf (disk_layout.hpp):
    // a good one is served to blank nodes; a bad one is logged with its file and line, and the
    // image is served without one (nodes then need SI_TARGET, as without a layout).
    void read_layout(const PackJob& job) {
        auto layout = read_image_disk_layout(job.source_dir);
        if (!layout) {
            log.error("image " + job.name + ": disk layout not served: " + layout.error().message);
            catalog.set_layout(job.tarball, std::nullopt, layout.error().message);
            return;
        }
        if (!*layout) {
            catalog.set_layout(job.tarball, std::nullopt, "none");
            return;
        }
        const DiskLayout& l = **layout;
        std::string text = layout_text(l);
        std::optional<std::string> signature;
        if (keys.signing) {
            auto sig = layout_signature(*keys.signing, job.name, text, view.now());
            if (sig) {
                signature = std::move(*sig);
            } else {
                log.error("image " + job.name + ": layout not signed: " + sig.error().message);
            }
        }
        catalog.set_layout(job.tarball, std::move(text), "served", std::move(signature));
        log.info("image " + job.name + ": disk layout of " + std::to_string(l.disks.size()) +
                 " disk(s), " + std::to_string(l.filesystems.size()) +
                 " filesystem(s) served at /layouts/" + job.name);
    }

    StatusInput gather_status() {
        if (const auto now = std::chrono::steady_clock::now();
            now - uploaded_read_at >= seeder_totals_max_age && !stopping) {
            uploaded_by_tarball = seeder.stats().uploaded_by_tarball;
            uploaded_read_at = now;
        }
        StatusInput in = view.status();
        in.daemon = {SI_VERSION, started, tracker.announces(), counters, view.address()};
        in.images = catalog.views(
            uploaded_by_tarball, [this](const std::string& h) { return tracker.swarm(h); },
            [](const std::string& path) {
                std::error_code ec;
                const auto size = std::filesystem::file_size(path, ec);
                return ec ? std::int64_t{0} : static_cast<std::int64_t>(size);
            });
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
        view.stop();
        scrubber.stop();
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
    auto keys = load_server_keys(d.config.settings.keys);
    if (!keys) {
        return keys.error();
    }
    d.keys = std::move(*keys);
    for (const auto& w : d.keys.warnings) {
        d.log.warn(w);
    }
    d.log.info(d.keys.signing ? "signing: torrents and layouts signed with key " +
                                    key_id_text(d.keys.signing->id) + " of " + d.keys.signing_file
                              : std::string("signing: off (no BT_SIGNING_KEY): nodes whose "
                                            "initrd trusts a key refuse what this server serves"));
    if (!d.keys.monitor_key.empty()) {
        d.log.info("monitor: reports authenticated with the key of " + d.keys.monitor_file +
                   "; a report without it is shown as unauthenticated");
        d.view.set_auth_key(d.keys.monitor_key);
    }
    if (auto st = d.tracker.start(); !st) {
        return st;
    }
    // After the tracker: its state lock (next to which the node table lives) is ours now.
    d.view.restore();
    if (auto st = d.view.load_boot(d.config.settings.netboot); !st) {
        return st;
    }
    d.tracker.serve_pages([&d](std::string_view path, std::string_view query) {
        if (auto layout = d.catalog.layout_page(path)) {
            return layout;
        }
        return d.pages.handle(path, query);
    });
    d.tracker.serve_commands(
        [&d](std::string_view path, std::string_view query, const std::string& from) {
            return node_command(d.view, path, query, from);
        });
    d.view.start_listening();
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
