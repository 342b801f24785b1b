#pragma once
// Extracts a tarball (plain, gzip or zstd; detected from its bytes) into a root directory with
// libarchive while it is still downloading: bytes come in order from a PieceFeeder.
// Everything the server packed comes back exactly: numeric owners, modes incl. setuid, mtimes,
// symlinks, hardlinks, device nodes, fifos, sparse files, xattrs (security.capability) and ACLs.
// Nothing is written outside the root: entries with "..", absolute paths, or whose parent
// directories resolve (through symlinks, taken relative to the root as a chroot would) to a
// place outside the root are refused. Paths through symlinks inside the root are followed the
// way a chroot would (merged-/usr images: ./lib -> usr/lib).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/known_contents.hpp"
#include "common/result.hpp"
#include "piece_feeder.hpp"

namespace si {

struct UnpackStats {
    std::int64_t entries = 0;
    std::int64_t bytes_in = 0;   // tarball bytes consumed
    std::int64_t bytes_out = 0;  // file data written
    bool archive_end = false;    // tar's end-of-archive was read
};

struct UnpackOptions {
    std::string root;  // must exist
    // How long to wait for the next bytes before failing ("no data for N s").
    std::chrono::milliseconds stall_timeout{std::chrono::minutes(5)};
    // When set, each regular file's SHA-256 is taken from the bytes as they are written and
    // remembered here with the file's identity (common/known_contents.hpp), so the install
    // record's manifest does not read the file back. Owned by the caller.
    KnownContents* known = nullptr;
};

// Reads the tarball from `feeder` and extracts it under options.root; it stops at tar's
// end-of-archive blocks, so the last pieces (record padding) may never be asked for: the caller
// must not wait for the feeder's cursor to reach num_pieces(). Fails with one
// line naming the entry, e.g. "unpack: ./etc/x: refused: path escapes the root" or
// "unpack: ./usr/lib/big: write: No space left on device" (ErrorKind::no_space
// for a full root, else ErrorKind::unpack). An error from the feeder (the one given to
// fail(), or the stall time-out) comes back unchanged.
// Whatever stops it, no regular file is left with its final size and mtime unless its bytes
// are complete: the file being written when it stopped is removed (a size-and-mtime
// check such as rsync's would otherwise take a zero-padded file for the real one).
// Overlay semantics: existing files are replaced, nothing is deleted; a symlink where an entry
// goes is replaced, except a link to a directory met by a directory entry, which is kept (an
// override's ./lib/ over a merged-/usr image's ./lib -> usr/lib).
Result<UnpackStats> stream_unpack(PieceFeeder& feeder, const UnpackOptions& options);

}  // namespace si
