#pragma once
// The mark a node's root carries while an install is under way: written before the first byte
// is unpacked, removed only once the image and every override are applied. A root that still
// has it after the agent stopped (a failure, a signal, a power cut) is not the image, whatever
// its files' sizes and times say. si_btagent(8), FILES.
#include <string>
#include <vector>

#include "common/result.hpp"

namespace si {

// Name of the mark, relative to the root.
inline constexpr const char* incomplete_mark_name = ".systemimager-incomplete";

// Writes <root>/.systemimager-incomplete (which image and overrides, and how to tell) and
// makes it durable (fsync of the file and the root). Fails with ErrorKind::io (no_space on a full
// root), e.g. "mark /a/.systemimager-incomplete: Read-only file system".
Status mark_incomplete(const std::string& root, const std::string& image,
                       const std::vector<std::string>& overrides);

// Removes the mark once what was written under `root` is durable, in this order, so that a
// power cut at any point leaves either the mark or the whole image:
//   1. syncfs(2) of each filesystem mounted at or under `root` (the files' data and metadata),
//   2. unlink of the mark,
//   3. fsync of `root` (the unlink itself).
// Only then may the install be called done. A missing mark is fine (the data is still synced).
// Fails with ErrorKind::io (no_space), e.g. "sync /a/boot: Input/output error".
Status clear_incomplete(const std::string& root);

// The filesystems whose data an install under `root` wrote: `root` itself and each mount
// point below it, from /proc/self/mountinfo's text (`mountinfo`, proc(5)); `root` has no
// trailing '/'. Mount points are unescaped ("\040" is a space).
std::vector<std::string> mounts_under(const std::string& root, const std::string& mountinfo);

}  // namespace si
