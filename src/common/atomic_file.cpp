#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/file_io.hpp"

namespace si {
namespace {

Error file_error(const std::string& what, const std::string& path, int err) {
    return Error{what + " " + path + ": " + std::strerror(err), io_error_kind(err)};
}

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

void fsync_dir(const std::string& dir) {
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);  // best effort: the rename itself is already done
        close(fd);
    }
}

}  // namespace

TempFile::~TempFile() {
    discard();
}

Status TempFile::create(const std::string& final_path, mode_t mode) {
    discard();
    final_path_ = final_path;
    std::string dir = parent_of(final_path);
    std::string base = final_path.substr(final_path.rfind('/') + 1);
    std::string templ = dir + "/." + base + ".tmp.XXXXXX";
    fd_ = mkostemp(templ.data(), O_CLOEXEC);
    if (fd_ < 0) {
        return file_error("create", templ, errno);
    }
    temp_path_ = templ;
    if (fchmod(fd_, mode) != 0) {
        int err = errno;
        discard();
        return file_error("chmod", templ, err);
    }
    return Ok{};
}

Status TempFile::sync_and_close() {
    if (fd_ < 0) {
        return Ok{};
    }
    int rc = fsync(fd_);
    int err = errno;
    int crc = close(fd_);
    if (crc != 0 && rc == 0) {
        rc = crc;
        err = errno;
    }
    fd_ = -1;
    if (rc != 0) {
        return file_error("write", final_path_, err);
    }
    return Ok{};
}

Status TempFile::commit() {
    Status s = sync_and_close();
    if (!s) {
        return s;
    }
    if (rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
        return file_error("rename to", final_path_, errno);
    }
    temp_path_.clear();
    fsync_dir(parent_of(final_path_));
    return Ok{};
}

void TempFile::discard() {
    if (fd_ >= 0) {
        close(fd_);
        fd_ = -1;
    }
    if (!temp_path_.empty()) {
        unlink(temp_path_.c_str());
        temp_path_.clear();
    }
}

Status write_file_atomically(const std::string& path, std::string_view bytes, mode_t mode) {
    TempFile tmp;
    Status s = tmp.create(path, mode);
    if (!s) {
        return s;
    }
    if (const int err = write_all(tmp.fd(), bytes); err != 0) {
        return file_error("write", path, err);
    }
    return tmp.commit();
}

Status make_directories(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return Error{"mkdir " + dir + ": " + ec.message(), io_error_kind(ec.value())};
    }
    return Ok{};
}

}  // namespace si
