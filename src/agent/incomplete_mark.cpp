#include "agent/incomplete_mark.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

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

// syncfs(2) of the filesystem holding `dir`: every file written there reaches the disk.
Status sync_filesystem(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::syncfs(fd.get()) != 0) {
        return io_error("sync", dir, errno);
    }
    return Ok{};
}

// "\\040" -> " " (proc(5): space, tab, newline and backslash are written as octal escapes).
std::string unescape_mount_point(std::string_view s) {
    auto octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) &&
            octal(s[i + 3])) {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::vector<std::string> mounts_under(const std::string& root, const std::string& mountinfo) {
    std::vector<std::string> out{root};
    const std::string prefix = root == "/" ? "/" : root + "/";
    std::size_t pos = 0;
    while (pos < mountinfo.size()) {
        std::size_t eol = mountinfo.find('\n', pos);
        if (eol == std::string::npos) {
            eol = mountinfo.size();
        }
        const std::string_view line(mountinfo.data() + pos, eol - pos);
        pos = eol + 1;
        // "36 35 98:0 /mnt1 /mnt/parent rw,noatime ...": the fifth field is the mount point.
        std::size_t start = 0;
        for (int field = 0; field < 4 && start != std::string_view::npos; ++field) {
            start = line.find(' ', start);
            start = start == std::string_view::npos ? start : start + 1;
        }
        if (start == std::string_view::npos) {
            continue;
        }
        const std::string point =
            unescape_mount_point(line.substr(start, line.find(' ', start) - start));
        if (point != root && point.starts_with(prefix) &&
            std::find(out.begin(), out.end(), point) == out.end()) {
            out.push_back(point);
        }
    }
    return out;
}

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
    // 1. The data first: without this, a power cut after the unlink may leave a root with no
    // mark and files whose data never reached the disk (empty, or old), that looks installed.
    std::string trimmed = root;
    while (trimmed.size() > 1 && trimmed.back() == '/') {
        trimmed.pop_back();
    }
    auto mountinfo = read_text_file("/proc/self/mountinfo");
    for (const std::string& dir : mounts_under(trimmed, mountinfo ? *mountinfo : std::string())) {
        if (auto st = sync_filesystem(dir); !st) {
            return st;
        }
    }
    // 2. The mark, 3. its removal made durable (sync_dir below).
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
