#pragma once
// si_btd's running core: tracker, seeder and a packing worker wired on one io_context.
// Start-up: the tracker binds first (nodes can fetch torrents as soon as they exist), the seeder
// listens, the pidfile is written; then every listed image and override is packed (or reused)
// in list order on a worker thread and seeded as soon as it is ready.
// Signals: SIGTERM/SIGINT stop cleanly; SIGHUP re-reads bittorrent.conf and adds or drops images
// and overrides (kept ones are re-checked and repacked only if stale).
#include <memory>
#include <string>

#include "common/log.hpp"
#include "common/result.hpp"
#include "server/config/server_config.hpp"

namespace si {

struct DaemonOptions {
    std::string bt_conf_path;
    std::string si_conf_path;
    std::string pidfile;  // empty: none
};

class Daemon {
  public:
    Daemon(DaemonOptions options, LoadedConfig config, Logger& log);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Binds the tracker, starts the seeder, writes the pidfile. Fails with one line and
    // ErrorKind::bind, already_running or config (BT_TRACKER_STATE's lock), or io (the pidfile).
    Status start();
    // Serves until SIGTERM/SIGINT; returns the exit code.
    int run();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace si
