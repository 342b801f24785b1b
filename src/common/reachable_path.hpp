#pragma once
// Path-based system calls fail with ENAMETOOLONG on a path of PATH_MAX (4096) bytes or more,
// and an image tree may hold such paths: tar stores any length, and SystemImager 4 packed with
// `cd image && tar -c .`, where only the relative part counts. ReachablePath names the same
// file with a path short enough for any call: a long path's parent directory is opened in
// pieces under PATH_MAX each (openat, resolving each piece as the kernel would resolve the
// whole path) and the file is named "/proc/self/fd/<fd>/<last component>". Needs /proc.
#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace si {

class ReachablePath {
  public:
    // `path` itself when shorter than PATH_MAX; else the short form, valid while this object
    // lives. Fails with the errno of the piece that could not be opened:
    // "<path>: its directory cannot be opened: <strerror>" (a long path shown shortened).
    static Result<ReachablePath> of(const std::string& path);
    // Directory `dir` held open whatever its length, named "/proc/self/fd/<fd>"; for callers
    // that name many files in one long directory.
    static Result<ReachablePath> directory(const std::string& dir);

    const char* c_str() const { return path_.c_str(); }
    const std::string& str() const { return path_; }
    // The directory held open; -1 when of() used `path` as it is.
    int dir_fd() const { return dir_.get(); }

  private:
    UniqueFd dir_;
    std::string path_;
};

}  // namespace si
