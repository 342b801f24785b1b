#pragma once
// The floor of file I/O every part uses: whole reads and complete writes. Atomic replacement
// (temp file, fsync, rename) is atomic_file.hpp, built on this.
#include <span>
#include <string>

#include "common/result.hpp"

namespace si {

// Writes all of `bytes` to `fd`, retrying short writes and EINTR. Returns 0, or the errno of
// the failed write (EIO for a write that wrote nothing); callers name the file and their own
// exit code in the message.
int write_all(int fd, std::span<const char> bytes);

// Reads a whole file. Fails with "<path>: <strerror>" (no exit code: the caller's).
Result<std::string> read_text_file(const std::string& path);

}  // namespace si
