#pragma once
// The delta plan, a pure function: given a delta-ready image's manifest (common/delta_manifest)
// and the tree manifest of what a node's root holds now (any earlier version, edited or not),
// which frames of the tarball the node can skip, which pieces it must download, what it removes
// before unpacking, and which kept entries get their metadata from the image afterwards.
//
// An entry is held when the root has an entry at its path whose tree-manifest line equals the
// image's but for mode, uid, gid and mtime (same type, size, content SHA-256, link target,
// device numbers, extended attributes and link count); those four are set from the image after
// the unpack. A frame is skipped when every entry in it is held, but for the last frame, which
// holds tar's end-of-archive records and so is always unpacked. Hard links: when any member of
// an image hard-link group lies in a frame that is unpacked, or its members are not one inode
// in the root (`local_inode`), every frame holding a member is unpacked (an unpacked entry
// replaces the inode; the others must link to the new one).
// A piece is needed when any of its bytes is not in a skipped frame (the trailer and the frames
// unpacked); a node downloads exactly these.
// Removed first: every root entry the image does not have, and every one whose type differs
// from the image's at that path (a directory that becomes a file); only the topmost of a
// removed subtree is listed.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/delta_manifest.hpp"

namespace si {

struct ByteRange {
    std::int64_t offset = 0;
    std::int64_t length = 0;
};

struct DeltaPlan {
    std::vector<char> skip_frame;      // per frame: 1 when every entry in it is held
    std::vector<char> needed_pieces;   // per piece: 1 to download
    std::vector<ByteRange> skipped;    // stream bytes not fed to the unpacker (merged, sorted)
    std::vector<std::string> remove;   // raw root paths ("/usr/lib/old"), removed recursively
    std::vector<std::size_t> restamp;  // indexes of manifest entries in skipped frames whose
                                       // mode, owner or mtime must be set from the image, and
                                       // every directory (its mtime changes as entries come)
    std::int64_t held_entries = 0;
    std::int64_t held_bytes = 0;    // file data kept in place
    std::int64_t needed_bytes = 0;  // bytes of the needed pieces
    int needed_piece_count = 0;
};

// `local_lines`: the root's tree manifest (sorted or not). `local_inode`: for root paths that
// are regular files, an identity of their inode (device and inode number); paths missing from
// it count as distinct inodes. `stream_bytes` and `piece_length`: the torrent's.
DeltaPlan plan_delta(const DeltaManifest& image, std::span<const std::string> local_lines,
                     const std::map<std::string, std::uint64_t>& local_inode,
                     std::int64_t stream_bytes, int piece_length);

// Whether two tree-manifest lines describe the same bytes and attributes but for mode, uid,
// gid and mtime.
bool same_but_stamp(std::string_view image_line, std::string_view local_line);

}  // namespace si
