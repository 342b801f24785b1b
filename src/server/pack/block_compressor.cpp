#include "server/pack/block_compressor.hpp"

#include <algorithm>
#include <utility>

#include <libdeflate.h>
#include <zstd.h>

#include "server/pack/pack_error.hpp"

namespace si {
namespace {

// RAII owners for the compressor states.
struct DeflateDeleter {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct ZstdDeleter {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
using DeflatePtr = std::unique_ptr<libdeflate_compressor, DeflateDeleter>;
using ZstdPtr = std::unique_ptr<ZSTD_CCtx, ZstdDeleter>;

Result<ZstdPtr> make_zstd(unsigned threads) {
    ZstdPtr cctx(ZSTD_createCCtx());
    if (!cctx) {
        return pack_error("zstd: cannot create a compression context");
    }
    int workers = static_cast<int>(std::max(1u, threads));
    Status s = zstd_check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, zstd_level),
                          "level");
    if (s) {
        s = zstd_check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1), "checksum");
    }
    if (s) {
        // Multi-threaded mode: libzstd promises identical output for any nbWorkers >= 1.
        s = zstd_check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers, workers),
                       "nbWorkers (libzstd built without threads?)");
    }
    if (!s) {
        return s.error();
    }
    return cctx;
}

Status zstd_compress(ZSTD_CCtx* cctx, const std::vector<char>& in, bool last,
                     std::vector<char>& out) {
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    const std::size_t step = ZSTD_CStreamOutSize();
    ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
        std::size_t used = out.size();
        out.resize(used + step);
        ZSTD_outBuffer output{out.data() + used, step, 0};
        std::size_t rc = ZSTD_compressStream2(cctx, &output, &input, mode);
        out.resize(used + output.pos);
        Status s = zstd_check(rc, "compress");
        if (!s) {
            return s;
        }
        bool input_done = input.pos == input.size;
        if (last ? rc == 0 : input_done) {
            return Ok{};
        }
    }
}

}  // namespace

BlockCompressor::BlockCompressor(Compression compression, unsigned threads, Sink sink)
    : compression_(compression), threads_(std::max(1u, threads)), sink_(std::move(sink)) {}

BlockCompressor::~BlockCompressor() {
    stop_and_join();
}

Status BlockCompressor::start() {
    current_.reserve(block_input_bytes);
    started_ = true;
    writer_ = std::thread([this] { writer_main(); });
    if (compression_ == Compression::gzip) {
        for (unsigned i = 0; i < threads_; ++i) {
            workers_.emplace_back([this] { worker_main(); });
        }
    } else if (compression_ == Compression::zstd) {
        // One stateful stream: a single worker takes the blocks in order; libzstd runs its own
        // threads underneath.
        workers_.emplace_back([this] { worker_main(); });
    }
    return Ok{};
}

void BlockCompressor::fail(Error e) {
    // Called with mu_ held.
    if (!error_) {
        error_ = std::make_unique<Error>(std::move(e));
    }
    aborted_ = true;
    work_cv_.notify_all();
    done_cv_.notify_all();
    space_cv_.notify_all();
}

Status BlockCompressor::write(std::span<const char> data) {
    while (!data.empty()) {
        std::size_t room = block_input_bytes - current_.size();
        std::size_t n = std::min(room, data.size());
        current_.insert(current_.end(), data.begin(), data.begin() + static_cast<long>(n));
        data = data.subspan(n);
        if (current_.size() == block_input_bytes) {
            Status s = submit(false);
            if (!s) {
                return s;
            }
        }
    }
    return Ok{};
}

Status BlockCompressor::submit(bool last) {
    auto block = std::make_shared<Block>();
    block->in.swap(current_);
    block->last = last;
    current_.reserve(block_input_bytes);
    any_submitted_ = true;
    std::unique_lock lock(mu_);
    space_cv_.wait(lock,
                   [&] { return aborted_ || in_order_.size() < max_blocks_in_flight(threads_); });
    if (aborted_) {
        return *error_;
    }
    if (compression_ == Compression::none) {
        block->out.swap(block->in);
        block->done = true;
        in_order_.push_back(std::move(block));
        done_cv_.notify_all();
    } else {
        in_order_.push_back(block);
        pending_.push_back(std::move(block));
        work_cv_.notify_one();
    }
    return Ok{};
}

void BlockCompressor::worker_main() {
    DeflatePtr deflate;
    ZstdPtr zstd;
    if (compression_ == Compression::gzip) {
        deflate.reset(libdeflate_alloc_compressor(gzip_level));
        if (!deflate) {
            std::lock_guard lock(mu_);
            fail(pack_error("libdeflate: cannot allocate a compressor"));
            return;
        }
    } else {
        auto z = make_zstd(threads_);
        if (!z) {
            std::lock_guard lock(mu_);
            fail(z.error());
            return;
        }
        zstd = std::move(*z);
    }
    for (;;) {
        std::shared_ptr<Block> block;
        {
            std::unique_lock lock(mu_);
            work_cv_.wait(lock, [&] { return aborted_ || closed_ || !pending_.empty(); });
            if (aborted_ || pending_.empty()) {
                return;  // aborted, or closed with nothing left
            }
            block = std::move(pending_.front());
            pending_.pop_front();
        }
        Status s = Ok{};
        if (deflate) {
            std::size_t bound = libdeflate_gzip_compress_bound(deflate.get(), block->in.size());
            block->out.resize(bound);
            std::size_t n = libdeflate_gzip_compress(deflate.get(), block->in.data(),
                                                     block->in.size(), block->out.data(), bound);
            if (n == 0) {
                s = pack_error("libdeflate: compression failed");
            }
            block->out.resize(n);
        } else {
            s = zstd_compress(zstd.get(), block->in, block->last, block->out);
        }
        std::vector<char>().swap(block->in);  // free the input early
        std::lock_guard lock(mu_);
        if (!s) {
            fail(s.error());
            return;
        }
        block->done = true;
        done_cv_.notify_all();
    }
}

void BlockCompressor::writer_main() {
    for (;;) {
        std::shared_ptr<Block> block;
        {
            std::unique_lock lock(mu_);
            done_cv_.wait(lock, [&] {
                return aborted_ || (!in_order_.empty() && in_order_.front()->done) ||
                       (closed_ && in_order_.empty());
            });
            if (aborted_ || in_order_.empty()) {
                return;
            }
            block = std::move(in_order_.front());
            in_order_.pop_front();
            space_cv_.notify_all();
        }
        Status s = sink_(std::span<const char>(block->out.data(), block->out.size()));
        if (!s) {
            std::lock_guard lock(mu_);
            fail(s.error());
            return;
        }
    }
}

Status BlockCompressor::finish() {
    if (!started_ || finished_) {
        return pack_error("compressor: finish() without start()");
    }
    // zstd must always see the end of the stream; gzip needs one member even for no input.
    if (!current_.empty() || compression_ == Compression::zstd || !any_submitted_) {
        Status s = submit(true);
        if (!s) {
            stop_and_join();
            return s;
        }
    }
    {
        std::lock_guard lock(mu_);
        closed_ = true;
        work_cv_.notify_all();
        done_cv_.notify_all();
    }
    for (auto& t : workers_) {
        t.join();
    }
    workers_.clear();
    {
        // Workers are gone: wake the writer so it sees the last blocks' state.
        std::lock_guard lock(mu_);
        done_cv_.notify_all();
    }
    writer_.join();
    finished_ = true;
    std::lock_guard lock(mu_);
    if (error_) {
        return *error_;
    }
    return Ok{};
}

void BlockCompressor::stop_and_join() {
    {
        std::lock_guard lock(mu_);
        aborted_ = true;
        if (!error_) {
            error_ = std::make_unique<Error>(pack_error("compression stopped"));
        }
        work_cv_.notify_all();
        done_cv_.notify_all();
        space_cv_.notify_all();
    }
    for (auto& t : workers_) {
        if (t.joinable()) {
            t.join();
        }
    }
    workers_.clear();
    if (writer_.joinable()) {
        writer_.join();
    }
}

}  // namespace si
