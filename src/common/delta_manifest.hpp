#pragma once
// The delta manifest of a delta-ready image: what a node that holds an older version of the
// image needs to work out which parts of the tarball it lacks.
//
// A delta-ready tarball (server/pack/delta_pack.hpp) is one valid .tar.zst made of concatenated
// zstd frames: each large file's whole tar entry (pax header, header, data, padding) is a frame
// of its own, and the small entries around them share frames. The manifest lists the frames
// (their byte ranges in the compressed stream) and, for every tar entry in tar order, the frame
// it lies in and its line of the tree manifest (common/tree_manifest.hpp), the very line a
// node's own scan of its root gives for an entry that is exactly the image's.
//
// Text, one record a line, fields separated by one tab (a tree-manifest line never holds a
// tab: control bytes are escaped):
//   si-delta 1
//   F <offset> <length>                          one per frame, in stream order
//   E <frame> <link> <dir_mtime> <manifest line> one per tar entry, in tar order
// offset and length: bytes of the compressed stream; frames are sorted, never overlap and
// need not cover the stream (the trailer that carries this manifest is in no frame).
// frame: the index of the F record (from 0). link: "-", or for a tar hard-link entry the
// %XX-escaped path of the entry that holds the data (an earlier E record). dir_mtime: "-", or
// for a directory its mtime in ns since the epoch (the tree manifest leaves a directory's
// mtime out; an install restores it).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

struct DeltaFrame {
    std::int64_t offset = 0;  // bytes from the start of the compressed stream
    std::int64_t length = 0;  // bytes
};

struct DeltaEntry {
    std::string path;  // raw bytes, "/" or "/etc/passwd" (the manifest line's path, unescaped)
    std::string line;  // the entry's tree-manifest line
    int frame = 0;     // index into DeltaManifest::frames
    std::string link;  // raw path of the entry holding the data of this hard link; "" none
    std::optional<std::int64_t> dir_mtime_ns;  // directories only
};

struct DeltaManifest {
    std::vector<DeltaFrame> frames;
    std::vector<DeltaEntry> entries;  // tar order
};

// The manifest as text (the format above), each record followed by "\n".
std::string delta_manifest_text(const DeltaManifest& m);

// Parses the text. Fails with ErrorKind::bad_data naming the line:
// "delta manifest line 7: frame 12 out of range (5 frames)".
Result<DeltaManifest> parse_delta_manifest(std::string_view text);

// The raw bytes of a %XX-escaped path or link target (manifest_escape's inverse); nullopt when
// a '%' is not followed by two hex digits.
std::optional<std::string> manifest_unescape(std::string_view escaped);

// The value of `key` in a tree-manifest line ("mode" -> "0644"); nullopt when absent.
std::optional<std::string_view> manifest_field(std::string_view line, std::string_view key);

}  // namespace si
