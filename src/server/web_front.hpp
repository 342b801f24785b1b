#pragma once
// si_btd's web front: its one HTTP port (BT_TRACKER_PORT), on Boost.Beast over the caller's
// io_context. The embedded tracker, and what the daemon hands it with serve_pages():
//   GET /announce  BEP 3, compact peers per BEP 23 (dict peers when compact=0), numwant,
//                  event started/completed/stopped, interval / min interval
//   GET /scrape    BEP 48 (all served torrents when no info_hash is given)
//   GET /torrents/            text list of the .torrent files served, one per line
//   GET /torrents/<file>      the .torrent file itself (application/x-bittorrent)
//   GET, HEAD /tarballs/<file>  a served torrent's tarball, as a BEP 19 web seed reads it:
//                  one byte range per request (RFC 9110 section 14; 206, 416, Content-Range,
//                  If-Range, ETag), streamed from the file in chunks read on a thread of
//                  their own, so a slow disk never holds up an announce
//   POST /nodes/...           the operator's commands (serve_commands), taken only from the
//                             image server itself (web/request_origin.hpp), else 403; a POST
//                             to any other path gets 405
// Only the info-hashes handed to set_torrents() are tracked; any other gets a bencoded
// "failure reason". A peer is never handed its own address. Malformed, oversized or unknown
// requests get a bencoded failure or an HTTP error; the server stays up.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.hpp"
#include "common/result.hpp"
#include "server/config/server_settings.hpp"
#include "server/tracker/peer_store.hpp"
#include "server/tracker/served_torrent.hpp"
#include "server/tracker/tracker_service.hpp"
#include "server/web/http_reply.hpp"
#include "server/web/served_files.hpp"

namespace si {

class WebFront {
  public:
    WebFront(boost::asio::io_context& io, TrackerSettings settings, Logger& log);
    ~WebFront();
    WebFront(const WebFront&) = delete;
    WebFront& operator=(const WebFront&) = delete;

    // Locks BT_TRACKER_STATE (<state>.lock, held until stop()), binds
    // <address>:<port>, then restores the state (expired peers dropped; a missing file is
    // fine; a corrupt one, one that is not a regular file or one over 4 MiB is logged and
    // ignored) and starts accepting.
    // Fails (ErrorKind::already_running) with "tracker: BT_TRACKER_STATE /x belongs to another
    // running si_btd (/x.lock is locked)", or (ErrorKind::bind) with "tracker: bind
    // 10.0.0.1:6969: Address already in use"; a failed start writes no state.
    Status start();

    // Replaces the set of served torrents; swarms of dropped torrents are forgotten.
    // Must be called on the io_context's thread.
    void set_torrents(std::vector<ServedTorrent> torrents);

    // Replaces the tarballs served under /tarballs/ (server/web/served_files.hpp); none are
    // served unless TrackerSettings::serve_tarballs. Must be called on the io_context's thread.
    void serve_files(const std::vector<PublishedFile>& files);

    // Bytes of tarballs sent under /tarballs/ since the start (bodies only).
    std::uint64_t file_bytes_sent() const;

    // See TrackerService::on_new_leecher. Set before start().
    void on_new_leecher(TrackerService::NewLeecherHook hook);

    // See TrackerService::serve_pages: the operator's pages on the tracker's port.
    void serve_pages(TrackerService::PageHandler pages);

    // The operator's commands: a POST under /nodes/ from this host (web/request_origin.hpp) is
    // handed to `commands` with its path, raw query and the address it came from; one from
    // elsewhere gets 403 and never reaches it. Without a handler, a POST gets 405. Called on the
    // io_context's thread; must not block.
    using CommandHandler = std::function<HttpReply(std::string_view path, std::string_view query,
                                                   const std::string& from)>;
    void serve_commands(CommandHandler commands);

    // What the tracker knows of one served torrent (40 hex digits), for the operator's view;
    // nullopt when it is not tracked. Call on the io_context's thread.
    std::optional<SwarmSnapshot> swarm(const std::string& info_hash_hex) const;
    std::uint64_t announces() const;

    // Writes BT_TRACKER_STATE atomically (temp + rename). Also done periodically by start().
    Status save_state();

    // Stops accepting, closes connections, saves the state.
    void stop();

    // Number of peers currently held across all swarms (for tests and logs).
    std::size_t peer_count() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace si
