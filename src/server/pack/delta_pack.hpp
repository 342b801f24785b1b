#pragma once
// A delta-ready tarball: the tree as one valid .tar.zst (what `tar --zstd`, libarchive and
// foreign BitTorrent clients read as usual) made of concatenated zstd frames, so that a node
// holding an older version of the image can skip the frames of what it already holds:
//  - each regular file with at least own_frame_min_bytes of data gets a frame of its own that
//    holds its whole tar entry (pax header, header, data, padding);
//  - the other entries share frames of about shared_frame_bytes of tar each;
//  - the stream ends with the delta manifest and its locator (common/delta_trailer.hpp).
// Frames are not padded to piece boundaries: a node needs every piece that overlaps a frame it
// lacks, so an unpadded frame costs a node at most the two pieces at its ends, and a blank
// disk pays no padding at all (what padding would have cost: up to a piece per own frame).
//
// Deterministic: the same tree gives the same bytes whatever the number of threads.
#include <atomic>
#include <cstdint>
#include <functional>
#include <span>

#include "common/delta_manifest.hpp"
#include "common/log.hpp"
#include "common/result.hpp"
#include "server/pack/block_compressor.hpp"
#include "server/pack/owner_names.hpp"
#include "server/pack/tree_walk.hpp"

namespace si {

// The delta-ready pack's zstd level: two levels above the plain pack's, which wins back most of
// what the frame boundaries cost (a node decompresses it as fast; the server packs longer).
inline constexpr int delta_zstd_level = 5;
inline constexpr std::int64_t delta_own_frame_min_bytes = 128 << 10;
inline constexpr std::int64_t delta_shared_frame_bytes = 512 << 10;

struct DeltaLayout {
    std::int64_t own_frame_min_bytes = 0;  // a file with this much data or more: its own frame
    std::int64_t shared_frame_bytes = 0;   // tar bytes after which a shared frame is closed
    int level = delta_zstd_level;          // zstd compression level of the frames
};

// The layout for pieces of `piece_size` bytes, chosen on a real Debian 12 root and its update
// (bench/delta_bench.sh, docs/performance.md): own frames for files of at least 128 KiB and
// one piece, shared frames of at least 512 KiB of tar and four pieces, zstd level
// delta_zstd_level. Each frame restarts compression without the history of the files before
// it, and similar files (kernel modules, libraries) lose most: 64 KiB own frames and 256 KiB
// shared ones at level 3 cost a blank install +6.6 % against the plain tarball, this layout
// +1.9 %, and a node updating that root receives slightly less than before (60.6 against
// 61.4 MB): level 5 wins back more than a changed small file's larger frame costs.
DeltaLayout delta_layout_for(int piece_size);

struct DeltaPackStats {
    std::int64_t frames = 0;
    std::int64_t own_frames = 0;
    std::int64_t own_frame_bytes = 0;  // compressed bytes in own frames
    std::int64_t tar_bytes = 0;        // the uncompressed tar stream
    std::int64_t manifest_bytes = 0;   // the manifest frame (compressed), in the stream
    std::int64_t stream_bytes = 0;     // everything written
    DeltaManifest manifest;
};

// Writes `tree` as a delta-ready .tar.zst through `sink` (in stream order, from this thread).
// zstd runs with `threads` workers (at least one: the output is then the same for any count).
// Fails with the entry at fault (as TarWriter::add), the manifest's walk, or the sink's error.
using DeltaSink = std::function<Status(std::span<const char>)>;
Result<DeltaPackStats> write_delta_tarball(const Tree& tree, const OwnerNames& names,
                                           const DeltaLayout& layout, unsigned threads,
                                           const DeltaSink& sink, Logger& log,
                                           const std::atomic<bool>* cancel = nullptr);

}  // namespace si
