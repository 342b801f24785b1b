#include "agent/incomplete_mark.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_io.hpp"
#include "common/unique_fd.hpp"

namespace si {
namespace {

std::string mark_path(const std::string& root) {
    return (root.empty() || root.back() != '/' ? root + "/" : root) + incomplete_mark_name;
}

Error io_error(const std::string& what, const std::string& path, int err) {
    return Error{what + " " + path + ": " + std::strerror(err), io_error_kind(err)};
}

// fsync of a directory, so that a file created or removed in it survives a power cut.
Status sync_dir(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) {
        return io_error("sync", dir, errno);
    }
    return Ok{};
}

}  // namespace

Status mark_incomplete(const std::string& root, const std::string& image,
                       const std::vector<std::string>& overrides) {
    const std::string path = mark_path(root);
    std::string text = "si_btagent is installing image " + image;
    if (!overrides.empty()) {
        text += " with overrides";
        for (const auto& o : overrides) {
            text += " " + o;
        }
    }
    text +=
        ".\nWhile this file exists the install is not complete: some files may be missing or "
        "old.\nsi_btagent removes it once the image and every override are applied.\n";
    // O_NOFOLLOW: the root may hold an older image's files; never write through a link.
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) {
        return io_error("mark", path, errno);
    }
    if (const int err = write_all(fd.get(), text); err != 0) {
        return io_error("mark", path, err);
    }
    if (::fsync(fd.get()) != 0) {
        return io_error("mark", path, errno);
    }
    return sync_dir(root);
}

Status clear_incomplete(const std::string& root) {
    const std::string path = mark_path(root);
    // The root's mtime is the image's by now: removing the mark must not change it.
    struct stat st {};
    const bool have_times = ::stat(root.c_str(), &st) == 0;
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) {
            return Ok{};
        }
        return io_error("unmark", path, errno);
    }
    if (have_times) {
        const timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
        if (::utimensat(AT_FDCWD, root.c_str(), times, 0) != 0) {
            return io_error("unmark: restore times of", root, errno);
        }
    }
    return sync_dir(root);
}

}  // namespace si
