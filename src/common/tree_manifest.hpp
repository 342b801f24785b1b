#pragma once
// A tree's manifest: one line per entry under a root, sorted by path, that changes whenever
// anything an install writes changes: type, mode, owner, size, mtime, link target, device
// numbers, hard links, extended attributes (POSIX ACLs and file capabilities included) and each
// regular file's content (SHA-256). The agent records it after an install and compares it with a
// fresh one before the next (agent/install_record.hpp); the server can make the same manifest of
// an image.
//
// One line, fields separated by one space, keys in this order, absent ones left out:
//   <path> type=<f|d|l|c|b|p|s> mode=<octal, 4 digits> uid=<n> gid=<n>
//          size=<bytes> mtime=<ns since the epoch> nlink=<n> rdev=<major>:<minor>
//          target=<link target> xattrs=<digest> content=<sha256 hex>
// path: "/" for the root, "/etc/passwd" below it. Bytes of a path or link target that are
// blanks, control bytes, '%' or above 0x7e are written %XX (hex), so a line never holds a
// blank, a newline or a byte that is not ASCII. size and mtime are given for every entry but
// directories (a directory's size is the filesystem's business, and its mtime changes when an
// entry is added to it, e.g. the install record itself); nlink for regular files (the number of
// the file's hard links inside the tree, which an archive of the tree reproduces); rdev for
// devices; target for symbolic links; xattrs (the first 128 bits, in hex, of a SHA-256 over
// the attributes' names and values, sorted by name) only when the entry has any; content for
// regular files.
//
// The walk stays inside the filesystems the install wrote: it descends into a filesystem
// mounted below the root (a layout's /boot, /var), but lists only the mount point of /proc,
// /sys, /dev and /run when something is mounted there, and of any virtual filesystem (proc,
// sysfs, devtmpfs, tmpfs, devpts, cgroup, ...). Symbolic links are never followed.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace si {

class KnownContents;

struct ManifestOptions {
    // Root-relative paths ("/.systemimager-install.record") left out of the manifest, with
    // everything below them.
    std::vector<std::string> exclude;
    // Threads that hash file contents; 0: one per core, at most 4.
    unsigned hash_threads = 0;
    // Digests of files known unchanged since they were written (common/known_contents.hpp):
    // such a file is not read. nullptr: every file is read.
    const KnownContents* known = nullptr;
    // When set, the digest of each file this walk reads is remembered here, if the file did not
    // change while it was read (a later walk given it as `known` then reads only what changed
    // since). May be the same object as `known`.
    KnownContents* learn = nullptr;
};

struct TreeManifest {
    std::vector<std::string> lines;  // sorted by path, without newlines
    std::int64_t entries = 0;        // lines
    std::int64_t files = 0;          // regular files (hard links counted once)
    std::int64_t content_bytes = 0;  // bytes read to hash contents
    std::int64_t known_files = 0;    // regular files whose digest was known (not read)
    std::int64_t known_bytes = 0;    // their bytes
};

// Walks `root` and builds its manifest. Fails with ErrorKind::io naming the entry:
// "manifest /a/etc/shadow: read: Input/output error" (a file that cannot be read, a directory
// that cannot be listed).
Result<TreeManifest> build_tree_manifest(const std::string& root, const ManifestOptions& options);

// The manifest as text: each line followed by "\n".
std::string manifest_text(std::span<const std::string> lines);

// The first difference between a recorded manifest and a fresh one, in path order, as
// "<path>: <what>": the first key whose value differs ("/etc/passwd: content",
// "/usr/bin/su: mode"), "missing" for an entry the recorded manifest has and the fresh one
// lacks, "added" for the reverse. nullopt when they are equal line by line.
std::optional<std::string> first_manifest_difference(std::span<const std::string> recorded,
                                                     std::span<const std::string> fresh);

// "%XX" escaping of a path or link target, as in a manifest line.
std::string manifest_escape(std::string_view bytes);

}  // namespace si
