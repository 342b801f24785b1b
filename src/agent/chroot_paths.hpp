#pragma once
// Where a tar entry goes under the node's root, resolved the way it would be inside
// chroot(root): symlinks met on the way are followed (absolute targets from the root, relative
// ones from the link's directory, ".." stopping at the root), so nothing is ever written outside
// the root, and merged-/usr images (./lib -> usr/lib) unpack as the kernel would resolve them.
// The security-critical part of the unpacker (stream_unpack.hpp), with tests of its own.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/reachable_path.hpp"

namespace si {

// Symlinks followed while resolving one path before giving up with ELOOP (the kernel's limit).
inline constexpr int max_links_followed = 40;
// Resolved parent directories remembered between entries; a tarball lists a directory's files
// together, so a small cache saves most of the lstat() walks. Cleared when it grows past this.
inline constexpr std::size_t max_cached_dirs = 4096;
// Directories deeper than PATH_MAX held open at once (each costs a descriptor).
inline constexpr std::size_t max_long_parents = 256;

// The components of a tar entry name, without "." and empty ones; nullopt when the name is
// empty, absolute or has a ".." component. No components means the root itself ("./").
std::optional<std::vector<std::string>> safe_components(std::string_view name);

class ChrootPaths {
  public:
    // `root`: a canonical directory path without a trailing slash, "" for "/".
    explicit ChrootPaths(std::string root) : root_(std::move(root)) {}

    // `rel` (relative to the root, "" for the root) as a path the process can use.
    std::string full(const std::string& rel) const;

    // Resolves `parts` under the root, following every symlink met; when `follow_last` is false
    // the last component is taken as it is. Every component but the last must be a directory
    // or missing. Returns the resolved path relative to the root, or an errno value (ELOOP,
    // ENOTDIR, EACCES, ENAMETOOLONG, ...).
    std::pair<std::string, int> resolve(const std::vector<std::string>& parts,
                                        bool follow_last) const;

    // resolve(parts without the last, true) + "/" + last, with the parent cached.
    std::pair<std::string, int> resolve_parent(const std::vector<std::string>& parts);

    // A symlink appeared or disappeared under the root: what was resolved may be stale.
    // (The long parents stay: write_disk may still name files through them.)
    void forget() { parents_.clear(); }

    // `path` (under the root) itself, or for one of PATH_MAX bytes or more, the same file named
    // through its parent directory, held open (reachable_path.hpp): an image may hold paths
    // that long once the root is put in front. The parents stay open until this object goes
    // (write_disk restores directory times and modes by name at its close: a descriptor closed
    // early could be reused for another directory). Fails with an errno value (ENAMETOOLONG
    // when max_long_parents such directories are held).
    std::pair<std::string, int> usable(const std::string& path) const;

  private:
    std::string root_;
    std::unordered_map<std::string, std::string> parents_;
    mutable std::map<std::string, ReachablePath> long_parents_;
};

}  // namespace si
