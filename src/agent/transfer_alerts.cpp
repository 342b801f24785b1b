#include "transfer_alerts.hpp"

#include <algorithm>

#include <libtorrent/alert_types.hpp>
#include <libtorrent/announce_entry.hpp>
#include <libtorrent/torrent_status.hpp>

#include "common/tracker_reason.hpp"

namespace si {
namespace {

// An errno-carrying error by its errno (io_error_kind); libtorrent's own categories carry none.
ErrorKind kind_of(const lt::error_code& ec) {
    const bool carries_errno = ec.category() == boost::system::system_category() ||
                               ec.category() == boost::system::generic_category();
    return carries_errno ? io_error_kind(ec.value()) : ErrorKind::io;
}

}  // namespace

std::vector<lt::address> server_addresses(const lt::torrent_info& info,
                                          const std::string& image_server) {
    std::vector<std::string> hosts{image_server};
    for (const lt::announce_entry& tracker : info.trackers()) {
        const auto start = tracker.url.find("://");
        if (start != std::string::npos) {
            const auto end = tracker.url.find_first_of(":/", start + 3);
            hosts.push_back(tracker.url.substr(start + 3, end - (start + 3)));
        }
    }
    std::vector<lt::address> out;
    for (const std::string& host : hosts) {
        boost::system::error_code ec;
        const lt::address a = lt::make_address(host, ec);
        if (!ec) {
            out.push_back(a);
        }
    }
    return out;
}

TransferAlerts::TransferAlerts(lt::torrent_handle h, const lt::torrent_info& info,
                               std::string tarball, std::string staging_dir,
                               std::vector<lt::address> server, PieceFeeder& feeder, Logger& log)
    : h_(std::move(h)),
      info_(info),
      tarball_(std::move(tarball)),
      staging_dir_(std::move(staging_dir)),
      server_(std::move(server)),
      feeder_(feeder),
      log_(log),
      have_(static_cast<std::size_t>(info.num_pieces()), 0) {
    // libtorrent keeps the trackers sorted by tier.
    if (!info.trackers().empty()) {
        origin_tracker_ = info.trackers().front().url;
    }
}

void TransferAlerts::mark_have(int piece) {
    char& bit = have_[static_cast<std::size_t>(piece)];
    have_count_ += bit == 0 ? 1 : 0;
    bit = 1;
}

void TransferAlerts::mark_finished(TimePoint now) {
    if (!finished_at_) {
        finished_at_ = now;
    }
}

bool TransferAlerts::lift_server_ban_due(TimePoint now) {
    if (lift_server_ban_at_ && now >= *lift_server_ban_at_) {
        lift_server_ban_at_.reset();
        return true;
    }
    return false;
}

std::vector<PeerSource> TransferAlerts::sources() const {
    std::vector<PeerSource> out;
    for (const auto& [ip, bytes] : bytes_by_ip_) {
        out.push_back({ip.to_string(), bytes});
    }
    std::sort(out.begin(), out.end(),
              [](const PeerSource& a, const PeerSource& b) { return a.bytes > b.bytes; });
    return out;
}

void TransferAlerts::take(const lt::alert* a, TimePoint now) {
    if (failure_) {
        return;  // the first failure is the one reported
    }
    if (const auto* bf = lt::alert_cast<lt::block_finished_alert>(a)) {
        if (bf->handle == h_) {
            // A block is 16 KiB (BEP 3's request size) but the last of the last piece.
            constexpr int block = 16 * 1024;
            const int piece_bytes = info_.piece_size(bf->piece_index);
            bytes_by_ip_[bf->endpoint.address()] +=
                std::min(block, piece_bytes - bf->block_index * block);
        }
    } else if (const auto* pf = lt::alert_cast<lt::piece_finished_alert>(a)) {
        if (pf->handle == h_) {
            mark_have(static_cast<int>(pf->piece_index));
        }
    } else if (const auto* tc = lt::alert_cast<lt::torrent_checked_alert>(a)) {
        // Pieces found on disk by the start-up check come without piece_finished alerts: read
        // them once here. (Asking have_piece() per piece in the loop was a blocking call into
        // libtorrent's thread each: ~2,800 futex calls a second per agent, which made 64 nodes
        // on 2 cores CPU-bound.)
        if (tc->handle == h_) {
            const auto on_disk = h_.status(lt::torrent_handle::query_pieces).pieces;
            const int n = std::min(info_.num_pieces(), on_disk.size());
            for (int i = 0; i < n; ++i) {
                if (on_disk[lt::piece_index_t{i}]) {
                    mark_have(i);
                }
            }
        }
    } else if (const auto* rp = lt::alert_cast<lt::read_piece_alert>(a)) {
        if (rp->handle != h_) {
            return;
        }
        const int piece = static_cast<int>(rp->piece);
        if (rp->error) {
            failure_ = Error{"read piece " + std::to_string(piece) + " of " + tarball_ + ": " +
                                 rp->error.message(),
                             kind_of(rp->error)};
            return;
        }
        boost::shared_array<char> buf = rp->buffer;
        std::shared_ptr<const char[]> data(buf.get(), [buf](const char*) {});
        if (watcher_) {
            watcher_(piece, data, rp->size);
        }
        feeder_.deliver(piece, std::move(data), rp->size);
    } else if (const auto* tf = lt::alert_cast<lt::torrent_finished_alert>(a)) {
        if (tf->handle == h_) {
            mark_finished(now);
        }
    } else if (const auto* fe = lt::alert_cast<lt::file_error_alert>(a)) {
        if (fe->handle == h_) {
            failure_ =
                Error{"staging " + tarball_ + " in " + staging_dir_ + ": " + fe->error.message(),
                      kind_of(fe->error)};
        }
    } else if (const auto* hf = lt::alert_cast<lt::hash_failed_alert>(a)) {
        // A peer sent bad data: libtorrent drops the piece and asks again elsewhere.
        log_.warn(hf->message());
    } else if (const auto* pb = lt::alert_cast<lt::peer_ban_alert>(a)) {
        if (pb->handle == h_ &&
            std::find(server_.begin(), server_.end(), pb->endpoint.address()) != server_.end()) {
            log_.warn("the image server " + pb->endpoint.address().to_string() +
                      " sent a piece that failed its hash check (a damaged tarball on the "
                      "server?); trying it again in " +
                      std::to_string(server_ban_lifted_after.count()) + " s");
            lift_server_ban_at_ = now + server_ban_lifted_after;
        }
    } else if (const auto* te = lt::alert_cast<lt::tracker_error_alert>(a)) {
        const std::string_view reason = te->failure_reason();
        const bool not_served =
            te->handle == h_ && reason.find(not_served_reason) != std::string_view::npos;
        const std::string url(te->tracker_url());
        if (not_served && !origin_tracker_.empty() && url != origin_tracker_) {
            // Another image server's tracker: it tracks another info-hash under this image's
            // name (another version), or has not packed the image yet. Its peers are not of
            // this swarm; the others' trackers and peers go on.
            if (std::find(other_version_at_.begin(), other_version_at_.end(), url) ==
                other_version_at_.end()) {
                other_version_at_.push_back(url);
                log_.warn("tracker " + url + " does not serve " + tarball_ +
                          " with this info-hash (that server holds another version of the "
                          "image, or has not packed it yet); going on with the other trackers");
            }
            return;
        }
        if (not_served) {
            // Our tracker no longer serves this info-hash: the image was repacked or dropped.
            // No seed will send its pieces again; waiting would only end in a stall.
            failure_ =
                Error{"the image changed on the server while installing: its tracker " +
                          std::string(te->tracker_url()) + " answered \"" + std::string(reason) +
                          "\" for " + tarball_ + "; install again to get the new image",
                      ErrorKind::superseded};
            return;
        }
        // A dead image server's tracker fails every few seconds until the end: said once per
        // repeat window, with the count (several servers make that the usual case).
        log_.warn_repeated("tracker " + url, te->message());
    } else if (const auto* tea = lt::alert_cast<lt::torrent_error_alert>(a)) {
        if (tea->handle == h_) {
            failure_ = Error{tarball_ + ": " + tea->error.message(), kind_of(tea->error)};
        }
    }
}

}  // namespace si
