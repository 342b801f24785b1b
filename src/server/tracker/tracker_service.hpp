#pragma once
// What the tracker answers, apart from sockets: (method, target, remote address) -> reply.
// WebFront feeds it parsed HTTP requests; tests call it directly.
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "server/tracker/peer_store.hpp"
#include "server/tracker/served_torrent.hpp"
#include "server/web/http_reply.hpp"

namespace si {

// What we ask clients for. Our agents honour it (a deploy wants fresh peer lists); third-party
// libtorrent clients raise anything below their min_announce_interval (300 s) to it.
inline constexpr std::chrono::seconds announce_interval{30};
inline constexpr std::chrono::seconds announce_min_interval{10};

class TrackerService {
  public:
    // `torrent_dir` is where the served .torrent files are read from, at request time.
    TrackerService(PeerStore& store, std::string torrent_dir, Logger& log);

    // Replaces the served set; entries with a malformed hash are logged and skipped, file
    // names with a '/' (or "." / "..") are tracked but never served as files.
    void set_torrents(const std::vector<ServedTorrent>& torrents);

    // Called (on the tracker's thread; must not block) with the raw 20-byte info-hash, the
    // address and the listen port of a peer that announces for the first time with bytes left:
    // the embedded seeder connects to it at once instead of at its own next announce (up to
    // announce_interval later; clients that never connect out themselves, as transmission-cli
    // on loopback, otherwise waited that long for their first byte).
    using NewLeecherHook = std::function<void(
        const std::string& info_hash, const boost::asio::ip::address& ip, std::uint16_t port)>;
    void on_new_leecher(NewLeecherHook hook) { new_leecher_ = std::move(hook); }

    // Other paths (the operator's pages, status_pages.hpp) are offered to this handler, with
    // the path and the raw query; nullopt means 404. Called on the tracker's thread.
    using PageHandler =
        std::function<std::optional<HttpReply>(std::string_view path, std::string_view query)>;
    void serve_pages(PageHandler pages) { pages_ = std::move(pages); }

    // Announces answered since the start (also the refused ones).
    std::uint64_t announces() const { return announces_; }

    // Never fails: every bad request becomes a bencoded failure (announce, scrape) or an
    // HTTP error status with a short text body (404 unknown path or file, 405 not GET).
    HttpReply handle(std::string_view method, std::string_view target,
                     const boost::asio::ip::address& remote);

  private:
    HttpReply announce(std::string_view query, const boost::asio::ip::address& remote);
    HttpReply scrape(std::string_view query);
    HttpReply torrent_list() const;
    HttpReply torrent_file(std::string_view encoded_name);

    PeerStore& store_;
    std::string torrent_dir_;
    Logger& log_;
    std::unordered_map<std::string, std::string> file_by_hash_;  // raw hash -> file name
    std::set<std::string> files_;                                // the servable file names, sorted
    NewLeecherHook new_leecher_;
    PageHandler pages_;
    std::uint64_t announces_ = 0;
};

}  // namespace si
