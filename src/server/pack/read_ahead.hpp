#pragma once
// Asks the kernel to start reading the next files of the walk before the tar writer gets to
// them (posix_fadvise WILLNEED from a helper thread), so a cold tree is read with many requests
// in flight instead of one file at a time. Only the page cache is affected: the tarball's bytes
// do not depend on it. Files it cannot open are left for the tar writer to report.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "server/pack/tree_walk.hpp"

namespace si {

// How far ahead of the tar writer the kernel is asked to read: enough to keep a disk busy, small
// enough that the pages are still cached when the writer arrives.
inline constexpr std::uint64_t read_ahead_bytes = 64ULL << 20;
inline constexpr std::size_t read_ahead_files = 512;

class ReadAhead {
  public:
    // `entries` must outlive this object.
    explicit ReadAhead(const std::vector<TreeEntry>& entries);
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;
    ~ReadAhead();  // stops and joins the thread

    // The tar writer is at entry `index` now.
    void advance(std::size_t index);

  private:
    void run();

    const std::vector<TreeEntry>& entries_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::size_t cursor_ = 0;  // the writer's position
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace si
