#pragma once
// A deterministic walk of an image tree: what `tar -C dir -c .` would visit, in a fixed order.
// Entries are sorted bytewise by name at each level, depth-first, "." first; paths are stored as
// "./a/b". Symlinks are never followed. The walk uses lstat only (no file is opened), so its
// fingerprint is cheap to recompute and tells whether a tarball made earlier still matches.
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace si {

struct TreeEntry {
    std::string path;      // "." or "./a/b", as tar stores it
    std::string abs_path;  // root + "/a/b": where to read it
    struct stat st {};     // lstat of abs_path at walk time
};

struct Tree {
    std::string root;
    std::vector<TreeEntry> entries;  // entries[0] is "." (the root itself)
    std::uint64_t file_bytes = 0;    // sum of regular file sizes (hardlinks counted once)
    std::string fingerprint_hex;     // SHA-1 over every entry's path and lstat fields
};

// Walks `root` (a directory, or a symlink to one: only the root is followed). Fails with the
// syscall and path at fault: "opendir /x/y: Permission denied", "stat /x: No such file or
// directory".
Result<Tree> walk_tree(const std::string& root);

// The fingerprint alone, as walk_tree computes it (used by tests and by the reuse check).
std::string fingerprint_of(const std::vector<TreeEntry>& entries);

// An upper bound of the uncompressed tarball size for the walked tree: data rounded up to
// 512-byte records plus a generous allowance for the headers of each entry.
std::uint64_t tar_size_bound(const Tree& tree);

}  // namespace si
