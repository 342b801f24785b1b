#pragma once
// The agent's one libtorrent session: downloads each tarball rarest-first while the pieces just
// ahead of the unpack cursor get deadlines, feeds the verified in-order prefix to the unpacker,
// and keeps seeding everything it has until the agent leaves.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <libtorrent/session.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "common/agent_settings.hpp"
#include "common/clock.hpp"
#include "common/known_contents.hpp"
#include "common/log.hpp"
#include "common/result.hpp"
#include "delta_install.hpp"
#include "torrent_fetch.hpp"
#include "transfer_alerts.hpp"

namespace si {

// What the progress callback sees every polling period (and once at the end of a transfer).
struct TransferProgress {
    std::string tarball;
    std::int64_t total_bytes = 0;
    std::int64_t downloaded_bytes = 0;  // verified bytes of this tarball
    std::int64_t unpacked_bytes = 0;    // tarball bytes the unpacker has consumed
    int download_rate = 0;              // bytes/s
    int upload_rate = 0;                // bytes/s, all torrents
    int peers = 0;
    std::int64_t uploaded_total = 0;  // payload bytes sent to peers, all torrents
};

struct TransferReport {
    std::string tarball;
    std::int64_t bytes = 0;
    std::int64_t entries = 0;
    std::int64_t file_bytes = 0;       // file data written into the root
    std::int64_t pieces_verified = 0;  // pieces libtorrent checked against their SHA-1
    std::int64_t pieces_total = 0;
    bool archive_end = false;  // the unpacker read the tarball to its end-of-archive blocks
    // Who sent the pieces, most first (every block received is counted to its sender).
    std::vector<PeerSource> sources;
    // Piece bytes that arrived although this node already had them (libtorrent's
    // total_redundant_bytes: a block asked of two peers, in end-game or after a request timed
    // out) and bytes of pieces that failed their SHA-1 check (total_failed_bytes).
    std::int64_t redundant_bytes = 0;
    std::int64_t failed_bytes = 0;
    double download_seconds = 0;     // from start to the last piece verified
    double unpack_tail_seconds = 0;  // from the last piece verified to the last file on disk
    // A delta install (agent/delta_start.hpp): what the root kept and what was fetched.
    bool delta = false;
    std::int64_t held_entries = 0;
    std::int64_t held_bytes = 0;       // file data kept in place
    std::int64_t needed_bytes = 0;     // bytes of the pieces wanted
    std::int64_t received_bytes = 0;   // payload bytes received (libtorrent's count)
    std::int64_t removed_entries = 0;  // topmost paths removed before the unpack
};

// A delta install of one image over a root that holds an earlier version (any): the scan of
// the root taken before anything was written, and the paths every scan leaves out.
struct DeltaRequest {
    LocalScan scan;
    std::vector<std::string> exclude;
    // The root is on disks reimaged in place (not formatted): an image that is not delta-ready
    // is installed in full over the root cleared first (clear_root, keeping `exclude`,
    // emptying the layout's filesystems mounted at `mounts`).
    bool in_place = false;
    std::vector<std::string> mounts;  // raw root paths ("/boot", "/boot/efi"), "/" left out
};

class Swarm {
  public:
    Swarm(const AgentSettings& settings, std::string bind_address, Logger& log);
    ~Swarm();
    Swarm(const Swarm&) = delete;
    Swarm& operator=(const Swarm&) = delete;

    Status start();

    // Every regular file unpacked from now on has the digest of its bytes remembered in
    // `known` (agent/stream_unpack.hpp, UnpackOptions::known), which must outlive the swarm's
    // downloads. nullptr: none.
    void remember_contents(KnownContents* known) { known_ = known; }

    // Downloads `t` into `staging_dir` and unpacks it into `root` while it downloads; returns
    // once both are done. Fails with the kind of the cause (ErrorKind::stalled, no_space,
    // unpack, io). `progress` is called every polling period.
    // With `delta`, only what the root lacks is downloaded (agent/delta_start.hpp), and the
    // root is then checked to equal the image entry by entry (ErrorKind::unpack when not).
    Result<TransferReport> download_and_unpack(
        const FetchedTorrent& t, const std::string& staging_dir, const std::string& root,
        const std::function<void(const TransferProgress&)>& progress,
        DeltaRequest* delta = nullptr);

    // BITTORRENT_SEED_WAIT: keeps seeding until the upload rate stays below the minimum for a
    // polling period and no connected peer wants pieces (seed_wait.hpp), at most seed_max_s.
    // `progress` is called every polling period.
    void seed_wait(const std::function<void(const TransferProgress&)>& progress);

    // Payload bytes sent to other peers so far (all torrents).
    std::int64_t uploaded_total();

    // Leaves the swarm: stopped announces, session closed (bounded).
    void stop();

  private:
    TransferProgress snapshot(const lt::torrent_handle& h);

    AgentSettings settings_;
    SystemClock clock_;
    std::string bind_;
    Logger& log_;
    std::unique_ptr<lt::session> session_;
    std::vector<lt::torrent_handle> torrents_;
    KnownContents* known_ = nullptr;
};

}  // namespace si
