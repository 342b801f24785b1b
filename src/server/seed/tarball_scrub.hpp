#pragma once
// The background check of the seeded tarballs against their piece hashes (BT_SCRUB_RATE).
//
// libtorrent's seed mode hashes a piece only the first time it is sent; a tarball damaged on
// the server after that (bit rot, a write behind si_btd's back) would be served again
// unchecked, and nodes reject it and stall (issue 15). libtorrent's own ways to look again do
// not fit: force_recheck() takes the torrent out of seeding for the whole check, and
// read_piece() goes through the seeding session's disk thread and copies each piece into an
// alert. So a thread of its own reads each tarball piece by piece with pread(2) (through the
// page cache, i.e. the bytes libtorrent would send), hashes it with SHA-1 and compares it with
// the .torrent's hash, at a bounded rate, round after round. The seeder never waits for it.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <libtorrent/torrent_info.hpp>

#include "common/log.hpp"
#include "common/result.hpp"

namespace si {

// One seeded pair: the tarball on disk and the .torrent with its piece hashes.
struct ScrubTarget {
    std::string tarball;
    std::string torrent;
    std::string info_hash_hex;  // handed back with a mismatch, to tell an old pair from a new
};

// Reads piece `piece` of the single-file torrent `ti` from `fd` into `buffer` and compares
// its SHA-1 with the torrent's. Returns "" when it matches, else why not ("piece 12 does not
// match its hash", "piece 12: read: Input/output error", "piece 12: file ends at byte N").
std::string check_piece(int fd, const lt::torrent_info& ti, lt::piece_index_t piece,
                        std::vector<char>& buffer);

class TarballScrubber {
  public:
    // Called from the scrub thread with the target whose data does not match and why.
    using BadHook = std::function<void(const ScrubTarget&, const std::string& why)>;

    // `bytes_per_s` 0: never checks (start() starts nothing).
    TarballScrubber(std::uint64_t bytes_per_s, Logger& log);
    ~TarballScrubber();
    TarballScrubber(const TarballScrubber&) = delete;
    TarballScrubber& operator=(const TarballScrubber&) = delete;

    void start(BadHook on_bad);
    // Replaces what is checked. A target whose tarball, torrent and info-hash are unchanged
    // goes on where it was; a new one starts at piece 0. A target found bad is dropped until it
    // is set again (after its repack).
    void set_targets(std::vector<ScrubTarget> targets);
    // Stops the thread (within one piece's read and hash).
    void stop();

    // Whether the scrub thread runs (between a start() with a rate above 0 and stop()).
    bool running() const { return thread_.joinable(); }

    // Pieces checked and bytes read since start, for the log and the benchmark.
    std::uint64_t pieces_checked() const;
    std::uint64_t bytes_checked() const;

  private:
    struct Slot;
    void run();

    std::uint64_t bytes_per_s_;
    Logger& log_;
    BadHook on_bad_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<ScrubTarget> targets_;
    std::uint64_t generation_ = 0;  // bumped by set_targets()
    bool stop_ = false;
    std::uint64_t pieces_ = 0;
    std::uint64_t bytes_ = 0;
    std::thread thread_;
};

}  // namespace si
