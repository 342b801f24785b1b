#include "server/pack/delta_pack.hpp"

#include <sys/stat.h>

#include <zstd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/delta_trailer.hpp"
#include "common/tree_manifest.hpp"
#include "server/pack/block_compressor.hpp"
#include "server/pack/pack_error.hpp"
#include "server/pack/tar_writer.hpp"

namespace si {
namespace {

// The manifest is read by every node before anything else: compressed harder than the data
// (it is a few MB of text at most, so the time does not count).
constexpr int manifest_level = 12;

// "./etc/passwd" -> "/etc/passwd", "." -> "/".
std::string manifest_path(const std::string& tar_path) {
    if (tar_path == ".") {
        return "/";
    }
    return tar_path.starts_with("./") ? tar_path.substr(1) : "/" + tar_path;
}

// Compresses the tar stream into frames, one ZSTD_e_end at each frame's end.
class FrameWriter {
  public:
    FrameWriter(const DeltaSink& sink, unsigned threads, int level)
        : sink_(sink), threads_(threads), level_(level) {}

    Status start() {
        cctx_.reset(ZSTD_createCCtx());
        if (!cctx_) {
            return pack_error("zstd: cannot create a compression context");
        }
        Status s = zstd_check(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, level_),
                              "level");
        if (s) {
            s = zstd_check(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1), "checksum");
        }
        if (s) {
            s = zstd_check(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_nbWorkers,
                                                  static_cast<int>(std::max(1u, threads_))),
                           "nbWorkers (libzstd built without threads?)");
        }
        out_.resize(ZSTD_CStreamOutSize());
        return s;
    }

    bool open() const { return open_; }
    std::int64_t frame_tar_bytes() const { return frame_tar_; }
    std::int64_t stream_bytes() const { return stream_; }
    std::int64_t tar_bytes() const { return tar_; }
    std::int64_t frame_count() const { return static_cast<std::int64_t>(frames_.size()); }
    std::vector<DeltaFrame>& frames() { return frames_; }

    void begin() {
        open_ = true;
        frame_start_ = stream_;
        frame_tar_ = 0;
    }

    Status write(std::span<const char> data) {
        if (!open_) {
            return pack_error("delta pack: tar bytes outside a frame (a bug)");
        }
        frame_tar_ += static_cast<std::int64_t>(data.size());
        tar_ += static_cast<std::int64_t>(data.size());
        return run(data, ZSTD_e_continue);
    }

    Status end() {
        if (Status s = run({}, ZSTD_e_end); !s) {
            return s;
        }
        open_ = false;
        frame_tar_ = 0;
        frames_.push_back(DeltaFrame{frame_start_, stream_ - frame_start_});
        return Ok{};
    }

    // Bytes outside any frame (the trailer).
    Status raw(std::string_view bytes) {
        stream_ += static_cast<std::int64_t>(bytes.size());
        return sink_(std::span<const char>(bytes.data(), bytes.size()));
    }

  private:
    Status run(std::span<const char> data, ZSTD_EndDirective mode) {
        ZSTD_inBuffer in{data.data(), data.size(), 0};
        for (;;) {
            ZSTD_outBuffer out{out_.data(), out_.size(), 0};
            const std::size_t rc = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
            if (Status s = zstd_check(rc, "compress"); !s) {
                return s;
            }
            if (out.pos > 0) {
                stream_ += static_cast<std::int64_t>(out.pos);
                if (Status s = sink_(std::span<const char>(out_.data(), out.pos)); !s) {
                    return s;
                }
            }
            const bool done = mode == ZSTD_e_end ? rc == 0 : in.pos == in.size;
            if (done) {
                return Ok{};
            }
        }
    }

    struct Free {
        void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
    };
    const DeltaSink& sink_;
    unsigned threads_;
    int level_;
    std::unique_ptr<ZSTD_CCtx, Free> cctx_;
    std::vector<char> out_;
    bool open_ = false;
    std::int64_t frame_start_ = 0;
    std::int64_t frame_tar_ = 0;
    std::int64_t stream_ = 0;
    std::int64_t tar_ = 0;
    std::vector<DeltaFrame> frames_;
};

Result<std::string> compress_manifest(const std::string& text) {
    std::string out(ZSTD_compressBound(text.size()), '\0');
    const std::size_t n =
        ZSTD_compress(out.data(), out.size(), text.data(), text.size(), manifest_level);
    if (Status s = zstd_check(n, "manifest"); !s) {
        return s.error();
    }
    out.resize(n);
    return out;
}

}  // namespace

DeltaLayout delta_layout_for(int piece_size) {
    DeltaLayout l;
    l.own_frame_min_bytes = std::max<std::int64_t>(delta_own_frame_min_bytes, piece_size);
    l.shared_frame_bytes =
        std::max<std::int64_t>(delta_shared_frame_bytes, 4 * static_cast<std::int64_t>(piece_size));
    return l;
}

Result<DeltaPackStats> write_delta_tarball(const Tree& tree, const OwnerNames& names,
                                           const DeltaLayout& layout, unsigned threads,
                                           const DeltaSink& sink, Logger& log,
                                           const std::atomic<bool>* cancel) {
    // The image's own tree manifest: each entry's line is the one a node's scan gives for it.
    auto walked = build_tree_manifest(tree.root, ManifestOptions{});
    if (!walked) {
        return walked.error();
    }
    std::unordered_map<std::string, std::string> line_of;
    line_of.reserve(walked->lines.size());
    for (std::string& line : walked->lines) {
        std::string key = line.substr(0, line.find(' '));
        line_of.emplace(std::move(key), std::move(line));
    }

    DeltaPackStats stats;
    FrameWriter frames(sink, threads, layout.level);
    if (Status s = frames.start(); !s) {
        return s.error();
    }
    TarWriter tar([&frames](std::span<const char> d) { return frames.write(d); }, names, log);
    tar.flush_each_entry();
    // The writer's first bytes come at the first header; a frame is open from here on.
    frames.begin();
    if (Status s = tar.open(); !s) {
        return s.error();
    }
    // Hard links: the first path of a (device, inode) holds the data, as the tar writer's
    // link resolver does it.
    std::map<std::pair<dev_t, ino_t>, std::string> first_link;
    for (const TreeEntry& entry : tree.entries) {
        if (cancel != nullptr && cancel->load()) {
            return Error{"cancelled (shutting down)", ErrorKind::internal};
        }
        if (S_ISSOCK(entry.st.st_mode)) {
            if (Status s = tar.add(entry); !s) {  // skipped with a warning, as ever
                return s.error();
            }
            continue;
        }
        DeltaEntry de;
        de.path = manifest_path(entry.path);
        auto line = line_of.find(manifest_escape(de.path));
        if (line == line_of.end()) {
            return pack_error(entry.abs_path + " changed while packing (not in its manifest)");
        }
        de.line = line->second;
        if (S_ISDIR(entry.st.st_mode)) {
            de.dir_mtime_ns = static_cast<std::int64_t>(entry.st.st_mtim.tv_sec) * 1'000'000'000 +
                              entry.st.st_mtim.tv_nsec;
        }
        bool data = S_ISREG(entry.st.st_mode);
        if (data && entry.st.st_nlink > 1) {
            auto [it, first] =
                first_link.emplace(std::make_pair(entry.st.st_dev, entry.st.st_ino), de.path);
            if (!first) {
                de.link = it->second;
                data = false;
            }
        }
        const bool own = data && entry.st.st_size >= layout.own_frame_min_bytes;
        if (own && frames.open() && frames.frame_tar_bytes() > 0) {
            if (Status s = frames.end(); !s) {
                return s.error();
            }
        }
        if (!frames.open()) {
            frames.begin();
        }
        de.frame = static_cast<int>(frames.frame_count());
        if (Status s = tar.add(entry); !s) {
            return s.error();
        }
        if (own) {
            ++stats.own_frames;
        }
        if (own || frames.frame_tar_bytes() >= layout.shared_frame_bytes) {
            if (Status s = frames.end(); !s) {
                return s.error();
            }
            if (own) {
                stats.own_frame_bytes += frames.frames().back().length;
            }
        }
        stats.manifest.entries.push_back(std::move(de));
    }
    // The end-of-archive records go in the last frame (a frame of their own after an own one).
    if (!frames.open()) {
        frames.begin();
    }
    if (Status s = tar.close(); !s) {
        return s.error();
    }
    if (Status s = frames.end(); !s) {
        return s.error();
    }
    stats.manifest.frames = frames.frames();
    stats.frames = frames.frame_count();
    stats.tar_bytes = frames.tar_bytes();

    auto compressed = compress_manifest(delta_manifest_text(stats.manifest));
    if (!compressed) {
        return compressed.error();
    }
    if (compressed->size() > max_skippable_payload) {
        return pack_error("delta manifest too large for a zstd skippable frame");
    }
    const std::string manifest_frame = skippable_frame(delta_manifest_magic, *compressed);
    const std::int64_t manifest_at = frames.stream_bytes();
    if (Status s = frames.raw(manifest_frame); !s) {
        return s.error();
    }
    if (Status s = frames.raw(
            delta_locator_frame(manifest_at, static_cast<std::int64_t>(manifest_frame.size())));
        !s) {
        return s.error();
    }
    stats.manifest_bytes = static_cast<std::int64_t>(manifest_frame.size());
    stats.stream_bytes = frames.stream_bytes();
    return stats;
}

}  // namespace si
