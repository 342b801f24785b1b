#include "daemon.hpp"

#include <signal.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/exit_codes.hpp"
#include "packer.hpp"
#include "pidfile.hpp"
#include "seeder.hpp"
#include "tracker_http.hpp"

namespace si {
namespace {

namespace asio = boost::asio;

// How often a line with the seeder's peers and upload total goes to the log.
constexpr auto stats_interval = std::chrono::seconds(60);

struct QueuedPack {
    PackJob job;
    PackerSettings settings;
};

}  // namespace

struct Daemon::Impl {
    Impl(DaemonOptions o, LoadedConfig c, Logger& l)
        : options(std::move(o)),
          config(std::move(c)),
          log(l),
          tracker(io, config.settings.tracker, log),
          seeder(config.settings.seeder, log),
          signals(io, SIGTERM, SIGINT, SIGHUP),
          stats_timer(io) {}

    DaemonOptions options;
    LoadedConfig config;
    Logger& log;
    asio::io_context io;
    TrackerServer tracker;
    Seeder seeder;
    asio::signal_set signals;
    asio::steady_timer stats_timer;
    Pidfile pidfile;

    // Jobs of the current configuration, by tarball path, and what is being served.
    std::map<std::string, PackJob> wanted;
    std::map<std::string, ServedTorrent> served;

    // The packing worker and its queue.
    std::mutex mu;
    std::condition_variable cv;
    std::deque<QueuedPack> queue;
    bool worker_exit = false;
    std::atomic<bool> cancel{false};
    std::thread worker;
    std::thread stopper;
    bool stopping = false;

    void enqueue(const PackJob& job, bool update) {
        QueuedPack q{job, config.settings.packer};
        q.settings.update = update;
        q.settings.cancel = &cancel;
        {
            std::lock_guard lock(mu);
            queue.push_back(std::move(q));
        }
        cv.notify_one();
    }

    void worker_loop() {
        for (;;) {
            QueuedPack q;
            {
                std::unique_lock lock(mu);
                cv.wait(lock, [&] { return worker_exit || !queue.empty(); });
                if (worker_exit) {
                    return;
                }
                q = std::move(queue.front());
                queue.pop_front();
            }
            auto result = pack_or_reuse(q.job, q.settings, log);
            asio::post(io, [this, job = q.job, result = std::move(result)]() mutable {
                on_packed(job, std::move(result));
            });
        }
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
            log.error(result.error().message);
            return;
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
        auto it = served.find(job.tarball);
        if (it != served.end() && it->second.info_hash_hex == result->info_hash_hex &&
            seeder.seeding(job.tarball)) {
            return;  // same bytes as what is already seeded
        }
        if (auto added = seeder.add(job.torrent, job.tarball); !added) {
            log.error(added.error().message);
            return;
        }
        served[job.tarball] = ServedTorrent{result->info_hash_hex,
                                            std::filesystem::path(job.torrent).filename().string()};
        publish();
    }

    // The seeder found data in `tarball` that does not match its hashes (bit rot on the
    // server, or a write behind our back): stop serving it and pack it again from its tree.
    void repack_bad(const std::string& tarball) {
        auto it = wanted.find(tarball);
        if (stopping || it == wanted.end()) {
            return;
        }
        const PackJob job = it->second;
        log.error("seeder: " + std::filesystem::path(tarball).filename().string() +
                  ": a piece read from disk does not match its hash (the file changed after "
                  "packing: bit rot, or a write behind si_btd's back); no longer seeding it, "
                  "repacking it from " +
                  job.source_dir);
        seeder.remove(tarball);
        served.erase(tarball);
        publish();
        enqueue(job, true);
    }

    void publish() {
        std::vector<ServedTorrent> list;
        for (auto& [tarball, t] : served) {
            list.push_back(t);
        }
        tracker.set_torrents(std::move(list));
    }

    // Makes `jobs` the wanted set: drops what is no longer listed, queues the rest.
    void apply(const std::vector<PackJob>& jobs, bool update_new, bool recheck_kept) {
        std::map<std::string, PackJob> next;
        for (const auto& j : jobs) {
            next.emplace(j.tarball, j);
        }
        for (auto& [tarball, job] : wanted) {
            if (next.count(tarball) == 0) {
                seeder.remove(tarball);
                if (served.erase(tarball) > 0) {
                    log.info("dropped " + std::string(kind_word(job.kind)) + " " + job.name);
                }
            }
        }
        publish();
        for (const auto& j : jobs) {
            bool kept = wanted.count(j.tarball) > 0;
            if (!kept || recheck_kept) {
                enqueue(j, kept ? false : update_new);
            }
        }
        wanted = std::move(next);
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
        if (new_s.tracker.address != old_s.tracker.address ||
            new_s.tracker.port != old_s.tracker.port || new_s.seeder.port != old_s.seeder.port ||
            new_s.tracker.state_file != old_s.tracker.state_file ||
            new_s.tracker.log_file != old_s.tracker.log_file ||
            new_s.dirs.torrent_dir != old_s.dirs.torrent_dir) {
            log.warn(
                "BT_INTERFACE, ports, tracker files and directories change only on restart; "
                "keeping the running ones");
        }
        if (new_s.dirs.torrent_dir != old_s.dirs.torrent_dir) {
            return;  // the tracker serves torrents from the old directory
        }
        // Images and overrides follow the new file; where they are packed to and announced
        // from stays what the running tracker and seeder serve.
        config.settings.packer.compression = new_s.packer.compression;
        config.settings.packer.update = new_s.packer.update;
        auto bt = next->bt;
        bt.tracker_port = old_s.tracker.port;
        ServerSettings rebuilt = make_server_settings(bt, next->dirs, old_s.tracker.address);
        apply(rebuilt.jobs, config.settings.packer.update, /*recheck_kept=*/true);
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
        cancel = true;
        {
            std::lock_guard lock(mu);
            worker_exit = true;
            queue.clear();
        }
        cv.notify_all();
        stats_timer.cancel();
        // The seeder's stopped announces go to our own tracker, which keeps running on this
        // thread meanwhile; only then does the tracker stop and save its state.
        stopper = std::thread([this] {
            if (worker.joinable()) {
                worker.join();
            }
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
    {
        std::lock_guard lock(impl_->mu);
        impl_->worker_exit = true;
    }
    impl_->cancel = true;
    impl_->cv.notify_all();
    if (impl_->worker.joinable()) {
        impl_->worker.join();
    }
}

Status Daemon::start() {
    Impl& d = *impl_;
    for (const auto& w : d.config.warnings) {
        d.log.warn(w);
    }
    d.seeder.on_bad_tarball([&d](const std::string& tarball) { d.repack_bad(tarball); });
    d.tracker.on_new_leecher([&d](const std::string& info_hash, const asio::ip::address& ip,
                                  std::uint16_t port) { d.seeder.introduce(info_hash, ip, port); });
    if (auto st = d.tracker.start(); !st) {
        return st;
    }
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
    d.worker = std::thread([&d] { d.worker_loop(); });
    d.apply(d.config.settings.jobs, d.config.settings.packer.update, false);
    d.io.run();
    if (d.stopper.joinable()) {
        d.stopper.join();
    }
    d.log.info("stopped");
    return exit_code::ok;
}

}  // namespace si
