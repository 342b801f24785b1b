#pragma once
// Files that appear under their final name only when complete: a temp file beside the target
// (".<name>.tmp.XXXXXX", O_CLOEXEC), fsync, rename, fsync of the directory. The temp file is
// unlinked on every path that does not commit. Errors are ErrorKind::no_space for a full
// filesystem (ENOSPC, EDQUOT) and ErrorKind::io otherwise, whoever the caller is.
#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

class TempFile {
  public:
    TempFile() = default;
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    // Closes and unlinks the temp file unless commit() succeeded.
    ~TempFile();

    // Creates the temp file for `final_path` with permissions `mode` (not umask-dependent).
    // Fails with "create <dir>/.<name>.tmp.XXXXXX: <strerror>".
    Status create(const std::string& final_path, mode_t mode);
    int fd() const { return fd_; }
    const std::string& temp_path() const { return temp_path_; }
    const std::string& final_path() const { return final_path_; }

    // fsync + close (errors name the final path: that is the file the admin knows).
    Status sync_and_close();
    // Renames to the final name (after sync_and_close) and fsyncs the directory.
    Status commit();
    // Unlinks now.
    void discard();

  private:
    int fd_ = -1;
    std::string temp_path_;
    std::string final_path_;
};

// Writes `bytes` to `path` through a TempFile; fails with "write <path>: <strerror>" and
// the like.
Status write_file_atomically(const std::string& path, std::string_view bytes, mode_t mode);

// mkdir -p; fails with "mkdir <dir>: <strerror>".
Status make_directories(const std::string& dir);

}  // namespace si
