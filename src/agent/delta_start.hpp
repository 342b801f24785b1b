#pragma once
// The start of a delta install inside the transfer loop (swarm.cpp): the torrent is added with
// only the pieces of the image's trailer wanted (common/delta_trailer.hpp); once they are
// verified and read back, the manifest is parsed, the plan made against the root's scan
// (agent/delta_plan.hpp), what the image lacks removed from the root, the needed pieces
// wanted, and the unpacker released with the frames it skips. An image that is not
// delta-ready (no locator at its end) is installed in full over the root, as before.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <libtorrent/download_priority.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>

#include "agent/delta_install.hpp"
#include "agent/delta_plan.hpp"
#include "agent/piece_feeder.hpp"
#include "agent/wanted_pieces_plugin.hpp"
#include "common/delta_trailer.hpp"
#include "common/log.hpp"
#include "common/result.hpp"

namespace si {

class DeltaStart {
  public:
    // `scan`: the root as it is before anything is written (scan_root).
    DeltaStart(const lt::torrent_info& info, std::string root, LocalScan scan, PieceFeeder& feeder,
               Logger& log);

    // The priorities to add the torrent with: the trailer's last pieces only.
    std::vector<lt::download_priority_t> initial_priorities() const;

    // A full install (the image is not delta-ready) first clears the root, keeping the raw
    // root paths of `keep` and emptying the filesystems at `mounts` (delta_install.hpp,
    // clear_root): for disks reimaged in place.
    void clear_before_full_install(std::vector<std::string> keep, std::vector<std::string> mounts) {
        clear_keep_ = std::move(keep);
        clear_mounts_ = std::move(mounts);
        clear_root_ = true;
    }

    // Where every change of the piece priorities is published from now on (for the image
    // server's super-seeder, agent/wanted_pieces_plugin.hpp); the initial ones at once.
    void publish_to(std::shared_ptr<WantedPieces> wanted);

    // A piece read back (TransferAlerts::watch_pieces).
    void take_piece(int piece, std::shared_ptr<const char[]> data, int size);

    // One turn of the transfer loop: reads back the verified pieces it waits for, and makes and
    // applies the plan once it can. Fails with the removal's error; a missing or bad trailer
    // is not a failure (a full install follows, logged).
    Status step(lt::torrent_handle& h, const std::vector<char>& have);

    bool planned() const { return done_; }
    // Whether a plan applies (the image was delta-ready).
    bool delta() const { return manifest_.has_value(); }
    const DeltaPlan& plan() const { return plan_; }
    const DeltaManifest& manifest() const { return *manifest_; }
    // The pieces wanted once planned (all for a full install).
    int wanted_pieces() const { return wanted_; }
    // Once a plan applies: 1 for each piece verified here or left out by the plan (what the
    // deadline policy may take as there).
    const std::vector<char>& held_or_had(const std::vector<char>& have);

  private:
    bool have_range(const std::vector<char>& have, std::int64_t offset, std::int64_t length,
                    lt::torrent_handle& h);
    std::string bytes(std::int64_t offset, std::int64_t length) const;
    Status full_install(lt::torrent_handle& h, const std::string& why);
    // torrent_handle::prioritize_pieces, published (publish_to)
    void prioritize(lt::torrent_handle& h, const std::vector<lt::download_priority_t>& prio);

    const lt::torrent_info& info_;
    std::string root_;
    LocalScan scan_;
    PieceFeeder& feeder_;
    Logger& log_;
    std::map<int, std::pair<std::shared_ptr<const char[]>, int>> pieces_;
    std::vector<char> asked_;
    std::optional<DeltaLocator> locator_;
    std::optional<DeltaManifest> manifest_;
    DeltaPlan plan_;
    bool done_ = false;
    int wanted_ = 0;
    std::vector<char> held_or_had_;
    std::shared_ptr<WantedPieces> wanted_pieces_;
    bool clear_root_ = false;
    std::vector<std::string> clear_keep_;
    std::vector<std::string> clear_mounts_;
};

}  // namespace si
