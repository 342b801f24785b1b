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

// Removes the mark; a missing mark is fine. Fails with ErrorKind::io.
Status clear_incomplete(const std::string& root);

}  // namespace si
