#pragma once
// What one tarball's download learns from libtorrent's alerts: which pieces are verified here,
// who sent the bytes, when the last piece came, read pieces for the unpacker, and the first
// failure. The transfer loop (swarm.cpp) pops the alerts and hands each to take(); the
// decisions made from this state (deadlines, stall, the end) are the loop's.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <libtorrent/alert.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/log.hpp"
#include "common/result.hpp"
#include "piece_feeder.hpp"

namespace si {

// A node bans a peer whose piece fails its hash check when that peer alone sent it; for the
// image server that means bit rot on the server, which si_btd finds, repacks and seeds again
// (issue 15). So a ban of the server is lifted after this (the peer list is cleared and the
// tracker asked again); if the server still sends the bad piece, it is banned again.
inline constexpr auto server_ban_lifted_after = std::chrono::seconds(5);

// The image server's addresses: the hosts of the torrent's announce URLs (si_btd's tracker
// and seeder listen on one address) and `image_server` (IMAGESERVER). Names that are not
// addresses are left out.
std::vector<lt::address> server_addresses(const lt::torrent_info& info,
                                          const std::string& image_server);

// One peer address and the bytes of the tarball received from it (all its connections).
struct PeerSource {
    std::string ip;
    std::int64_t bytes = 0;
};

class TransferAlerts {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // `h` is the tarball's torrent (alerts of other torrents are ignored); `tarball` and
    // `staging_dir` name it in failures; verified pieces read back are delivered to `feeder`.
    TransferAlerts(lt::torrent_handle h, const lt::torrent_info& info, std::string tarball,
                   std::string staging_dir, std::vector<lt::address> server, PieceFeeder& feeder,
                   Logger& log);

    // Takes in one alert seen at `now`. A failure (a piece that cannot be read back, a file
    // error in the staging directory, a torrent error) is kept in failure(), with the agent
    // exit code of its cause (no_space, io). So is our tracker's answer that it no longer
    // serves this torrent (ErrorKind::superseded, common/tracker_reason.hpp): the image was
    // repacked or dropped since the .torrent was fetched, and no seed will send its pieces.
    // "Our tracker" is the first tier's, the tracker of the server the .torrent came from
    // (server/config/tracker_tiers.hpp); another server's tracker that says so holds another
    // version of the image, or has not packed it yet: it has no peers of this swarm, and is only
    // logged, once.
    void take(const lt::alert* a, TimePoint now);

    // 1 for each piece verified here (downloaded, or found on disk by the start-up check).
    const std::vector<char>& have() const { return have_; }
    int have_count() const { return have_count_; }
    // When libtorrent said the torrent finished (every piece verified); none before.
    std::optional<TimePoint> finished_at() const { return finished_at_; }
    void mark_finished(TimePoint now);
    // Forgets a finish seen so far (a delta install's trailer, before more pieces are wanted).
    void forget_finished() { finished_at_.reset(); }
    const std::optional<Error>& failure() const { return failure_; }
    // True once, at or after the time a ban of the image server is to be lifted.
    bool lift_server_ban_due(TimePoint now);
    // Who sent the pieces, most first (every 16 KiB block received counted to its sender).
    std::vector<PeerSource> sources() const;
    // Also shows every piece read back to `watcher` (before the feeder gets it): a delta
    // install reads the image's trailer this way (agent/delta_start.hpp).
    using PieceWatcher = std::function<void(int piece, std::shared_ptr<const char[]>, int size)>;
    void watch_pieces(PieceWatcher watcher) { watcher_ = std::move(watcher); }

  private:
    lt::torrent_handle h_;
    const lt::torrent_info& info_;
    std::string tarball_;
    std::string staging_dir_;
    std::vector<lt::address> server_;
    PieceFeeder& feeder_;
    Logger& log_;
    void mark_have(int piece);

    std::vector<char> have_;
    int have_count_ = 0;
    std::map<lt::address, std::int64_t> bytes_by_ip_;
    std::optional<TimePoint> finished_at_;
    std::optional<Error> failure_;
    std::optional<TimePoint> lift_server_ban_at_;
    PieceWatcher watcher_;
    std::string origin_tracker_;                 // the first tier's announce URL
    std::vector<std::string> other_version_at_;  // trackers already logged as not serving it
};

}  // namespace si
