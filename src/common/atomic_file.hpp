#pragma once
// Files that appear under their final name only when complete: a temp file beside the target
// (".<name>.tmp.XXXXXX", O_CLOEXEC), fsync, rename, fsync of the directory. The temp file is
// unlinked on every path that does not commit. Errors carry the exit code the caller names
// (the packer's by default; si_btagent's writes of fstab and hostname pass agent_exit::io).
#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/exit_codes.hpp"
#include "common/result.hpp"

namespace si {

class TempFile {
  public:
    explicit TempFile(int exit_code = exit_code::pack) : exit_code_(exit_code) {}
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    // Closes and unlinks the temp file unless commit() succeeded.
    ~TempFile();

    // Creates the temp file for `final_path` with permissions `mode` (not umask-dependent).
    // Fails with "create <dir>/.<name>.tmp.XXXXXX: <strerror>" (the exit code given).
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
    int exit_code_;
    int fd_ = -1;
    std::string temp_path_;
    std::string final_path_;
};

// Writes `bytes` to `path` through a TempFile; fails with "write <path>: <strerror>" and
// the like, carrying `exit_code`.
Status write_file_atomically(const std::string& path, std::string_view bytes, mode_t mode,
                             int exit_code = exit_code::pack);

// mkdir -p; fails with "mkdir <dir>: <strerror>" (`exit_code`).
Status make_directories(const std::string& dir, int exit_code = exit_code::pack);

}  // namespace si
