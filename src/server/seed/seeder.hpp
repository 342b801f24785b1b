#pragma once
// The server's seeder: one libtorrent session bound to the BT_INTERFACE address with the LAN
// profile, seeding every packed tarball. Its alerts are handled in one loop (handle_alerts),
// which the daemon runs on its io_context whenever libtorrent says alerts are waiting.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <libtorrent/session.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "common/log.hpp"
#include "common/result.hpp"
#include "server/config/server_settings.hpp"
#include "server/seed/seeder_policy.hpp"

namespace si {

struct SeederStats {
    int torrents = 0;
    int peers = 0;
    std::int64_t uploaded_bytes = 0;                          // payload sent since start
    std::map<std::string, std::int64_t> uploaded_by_tarball;  // the same, per tarball
};

class Seeder {
  public:
    // `io` runs the leecher watch (watch_leechers, every leecher_watch_interval); it must
    // outlive the seeder.
    Seeder(boost::asio::io_context& io, SeederSettings settings, Logger& log);
    ~Seeder();
    Seeder(const Seeder&) = delete;
    Seeder& operator=(const Seeder&) = delete;

    // How often the leechers of super-seeded torrents are looked at (watch_leechers).
    static constexpr auto leecher_watch_interval = std::chrono::seconds(1);

    // Starts the session and waits (bounded) until it listens on <address>:<port>, then the
    // leecher watch on `io`.
    // Fails (ErrorKind::bind) with "seeder: listen 10.0.0.1:6881: Address already in use".
    // `notify` is called from libtorrent's thread when alerts wait: post, never block, in it.
    Status start(std::function<void()> notify);

    // Seeds `torrent_file` from `tarball` (whose directory is the save path). The pair was just
    // packed or verified against its record, so pieces are trusted (seed mode: each piece is
    // checked the first time it is sent, no full re-hash). Super-seeds (BEP 16) unless
    // BT_SUPER_SEED=n (seeder_policy.hpp), with an offer of super_seed_offer_pieces() shared
    // by the leechers. Replaces a torrent of the same name.
    Status add(const std::string& torrent_file, const std::string& tarball);
    // Stops seeding the torrent made from `tarball` (no-op when it is not seeded).
    void remove(const std::string& tarball);
    bool seeding(const std::string& tarball) const;

    // Connects to a leecher of the normally seeded torrent (not super-seeded: its peers
    // connect themselves) with this raw 20-byte v1 info-hash at ip:port
    // (asynchronous; never blocks: skipped while add/remove/stop hold the seeder). Ignored for
    // an unknown torrent or our own endpoint.
    void introduce(const std::string& info_hash, const boost::asio::ip::address& ip,
                   std::uint16_t port);

    // Connects (asynchronously) the torrent of `tarball` to each of `peers`, super-seeded or
    // not: after a repack its leechers would otherwise wait libtorrent's min_reconnect_time
    // (60 s) before they tried the server again. Skips our own endpoint; no-op when not seeded.
    void reconnect(const std::string& tarball, const std::vector<lt::tcp::endpoint>& peers);

    // Called from handle_alerts() with the tarball of a torrent whose data on disk turned out
    // not to match its piece hashes (libtorrent checks each piece the first time it is sent,
    // then leaves seed mode and re-checks the file). Set before start().
    void on_bad_tarball(std::function<void(const std::string& tarball)> hook) {
        bad_tarball_ = std::move(hook);
    }

    void handle_alerts();
    SeederStats stats();

    // One look at the leechers of every super-seeded torrent: a leecher that made no progress
    // for super_seed_stall_s (seeder_policy.hpp: serve_normally) is from then on seeded
    // normally, and the log says so. Runs on `io` every leecher_watch_interval once started.
    void watch_leechers();

    // Sends stopped announces and tears the session down; blocks up to a few seconds, so call
    // it off the thread that runs the tracker.
    void stop();

  private:
    void remove_locked(const std::string& tarball);
    void schedule_watch();

    // A super-seeded torrent's leechers, by address, between looks, and the connections
    // ("address:port") seeded normally.
    struct Watched {
        std::map<std::string, LeecherWatch> leechers;
        std::set<std::string> served_normally;
    };

    SeederSettings settings_;
    Logger& log_;
    // stop() runs on another thread than the alert loop and add/remove: guards what follows.
    mutable std::mutex mu_;
    std::unique_ptr<lt::session> session_;
    std::map<std::string, lt::torrent_handle> by_tarball_;
    // Tarball -> its leechers, for the super-seeded torrents of by_tarball_ (watch_leechers).
    std::map<std::string, Watched> watched_;
    boost::asio::steady_timer watch_timer_;
    std::chrono::steady_clock::time_point watched_at_{};
    // Raw v1 info-hash -> tarball, for the normally seeded torrents of by_tarball_: read once
    // in add(), so that introduce() makes no call into libtorrent's thread but connect_peer.
    std::map<std::string, std::string> introducible_;
    std::function<void(const std::string&)> bad_tarball_;
};

}  // namespace si
