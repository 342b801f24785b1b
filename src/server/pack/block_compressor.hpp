#pragma once
// Parallel, deterministic compression of one byte stream.
//
//  - gzip: the input is cut into fixed-size blocks (block_input_bytes), each compressed on a
//    worker pool with libdeflate into an independent gzip member; the members are written in
//    order, which is one valid multi-member gzip stream (RFC 1952, as pigz -i or `cat a.gz
//    b.gz`). The bytes depend only on the input, never on the number of workers.
//  - zstd: one streaming context with libzstd's own worker threads (ZSTD_c_nbWorkers >= 1,
//    whose output does not depend on the worker count).
//  - none: the bytes pass through unchanged.
//
// The output reaches `sink` in stream order from a single writer thread, so the caller's
// thread (reading the tree) never waits on disk writes or hashing. At most
// max_blocks_in_flight(threads) blocks are held at once, so memory stays small.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "common/names.hpp"
#include "common/result.hpp"

namespace si {

// Input bytes per block. Fixed: changing it changes every gzip tarball's bytes (and info-hash).
inline constexpr std::size_t block_input_bytes = std::size_t{1} << 20;
inline constexpr int gzip_level = 6;  // the gzip default: the ratio users know
inline constexpr int zstd_level = 3;  // zstd's default: fast, better ratio than gzip -6

// Blocks held at once (queued, compressing, or waiting to be written): two per worker keeps
// every worker busy while the writer drains.
inline std::size_t max_blocks_in_flight(unsigned threads) {
    return 2 * static_cast<std::size_t>(threads < 1 ? 1 : threads) + 2;
}

class BlockCompressor {
  public:
    // Called from the writer thread only, in stream order; an error stops the pipeline and is
    // returned by the next write() or finish().
    using Sink = std::function<Status(std::span<const char>)>;

    // threads: compression workers (gzip) or zstd workers; 0 is taken as 1.
    BlockCompressor(Compression compression, unsigned threads, Sink sink);
    BlockCompressor(const BlockCompressor&) = delete;
    BlockCompressor& operator=(const BlockCompressor&) = delete;
    // Stops and joins every thread (the output is then incomplete) unless finish() ran.
    ~BlockCompressor();

    // Starts the threads. Fails when the compressor cannot be set up.
    Status start();
    // Appends bytes (the caller's single thread). Blocks while the pipeline is full. Fails with
    // the first error of a worker or of the sink.
    Status write(std::span<const char> data);
    // Flushes the last block, waits for everything to reach the sink, joins all threads.
    Status finish();

  private:
    struct Block {
        std::vector<char> in;
        std::vector<char> out;
        bool last = false;
        bool done = false;
    };

    Status submit(bool last);
    void worker_main();
    void writer_main();
    void fail(Error e);  // records the first error and wakes everyone
    void stop_and_join();

    Compression compression_;
    unsigned threads_;
    Sink sink_;
    std::vector<char> current_;  // the block being filled by write()
    bool started_ = false;
    bool finished_ = false;
    bool any_submitted_ = false;

    std::mutex mu_;
    std::condition_variable work_cv_;              // pending_ grew, or closing/aborting
    std::condition_variable done_cv_;              // a block finished compressing
    std::condition_variable space_cv_;             // the writer took a block out
    std::deque<std::shared_ptr<Block>> pending_;   // waiting for a worker, FIFO
    std::deque<std::shared_ptr<Block>> in_order_;  // every block in flight, stream order
    bool closed_ = false;
    bool aborted_ = false;
    std::unique_ptr<Error> error_;
    std::vector<std::thread> workers_;
    std::thread writer_;
};

}  // namespace si
