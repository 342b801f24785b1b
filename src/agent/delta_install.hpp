#pragma once
// The disk side of a delta install (agent/delta_plan.hpp is the pure side): the scan of what
// the root holds, the manifest read from the image's trailer, the removals before the unpack,
// the metadata of kept entries after it, and the proof that the root ends exactly as the image.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "agent/delta_plan.hpp"
#include "common/delta_manifest.hpp"
#include "common/known_contents.hpp"
#include "common/result.hpp"

namespace si {

struct LocalScan {
    std::vector<std::string> lines;              // the root's tree manifest
    std::map<std::string, std::uint64_t> inode;  // regular files with links: raw path -> id
    std::int64_t content_bytes = 0;              // file bytes hashed
    double seconds = 0;
};

// The root's tree manifest (leaving out `exclude`, as ManifestOptions) and the inode of every
// regular file with more than one link. Fails with ErrorKind::io naming the entry.
// With `learn`, the digests it reads are remembered there (ManifestOptions::learn), so the
// checks after the install read only the files changed since.
Result<LocalScan> scan_root(const std::string& root, const std::vector<std::string>& exclude,
                            KnownContents* learn = nullptr);

// The delta manifest from the manifest frame's payload (zstd-compressed text). Fails with
// ErrorKind::bad_data ("delta manifest: ...").
Result<DeltaManifest> read_delta_manifest(std::string_view payload);

// Empties `root` for a full install over disks that were not formatted (a reimage in place
// whose image turns out not to be delta-ready): removes every entry under it, without
// following a symbolic link, except the raw root paths of `keep` ("/.systemimager-incomplete",
// a staging directory, a filesystem the layout keeps) with what is below them and the
// directories above them. It goes into the filesystems mounted at the raw root paths of
// `mounts` (the layout's), empties them and keeps their mount point and lost+found; it never
// enters or removes any other mount point (/proc, a bind mount, ...). A trailing '/' in `keep`
// or `mounts` is ignored. Fails with ErrorKind::io naming the path.
Status clear_root(const std::string& root, const std::vector<std::string>& keep,
                  const std::vector<std::string>& mounts = {});

// Removes plan.remove under `root`, each recursively and without following a symbolic link.
// Fails with ErrorKind::io naming the path.
Status remove_planned(const std::string& root, const DeltaPlan& plan);

// Sets owner, mode and mtime (directories: the manifest's dir_mtime) of the entries the plan
// restamps, directories last. Fails with ErrorKind::io naming the path.
Status restamp_planned(const std::string& root, const DeltaManifest& image, const DeltaPlan& plan);

// Nullopt when a fresh manifest of the root (leaving out `exclude`) equals the image's entries
// line by line, else the first difference ("/etc/passwd: content"). The manifest takes the
// digests of files unchanged since they were read or written from `known`
// (ManifestOptions::known).
Result<std::optional<std::string>> root_difference(const std::string& root,
                                                   const DeltaManifest& image,
                                                   const std::vector<std::string>& exclude,
                                                   const KnownContents* known = nullptr);

}  // namespace si
