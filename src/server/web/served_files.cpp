#include "server/web/served_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace si {
namespace {

std::int64_t mtime_ns(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

bool plain_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of(std::string_view("/\0", 2)) == std::string::npos;
}

}  // namespace

std::string http_date(std::int64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(buf, n);
}

void ServedFiles::publish(const std::vector<PublishedFile>& files) {
    std::map<std::string, Pin> next;
    for (const PublishedFile& f : files) {
        if (!plain_name(f.name)) {
            continue;
        }
        auto old = files_.find(f.name);
        if (old != files_.end() && old->second.path == f.path && old->second.version == f.version) {
            next[f.name] = old->second;
            continue;
        }
        Pin pin{f.path, f.version};
        struct stat st {};
        if (::lstat(f.path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            pin.exists = true;
            pin.size = static_cast<std::uint64_t>(st.st_size);
            pin.mtime_ns = mtime_ns(st);
        }
        next[f.name] = std::move(pin);
    }
    files_ = std::move(next);
}

Result<OpenedFile> ServedFiles::open(const std::string& name, FileRefusal& refusal) const {
    auto it = files_.find(name);
    if (it == files_.end()) {
        refusal = {404, "no such tarball"};
        return Error{"not published: " + name, ErrorKind::not_found};
    }
    const Pin& pin = it->second;
    const auto changed = [&](const std::string& why) -> Result<OpenedFile> {
        refusal = {503, "tarball " + name + " changed since it was published; being repacked"};
        return Error{pin.path + ": " + why, ErrorKind::io};
    };
    if (!pin.exists) {
        return changed("missing when published");
    }
    UniqueFd fd(::open(pin.path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        return changed(std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<std::uint64_t>(st.st_size) != pin.size || mtime_ns(st) != pin.mtime_ns) {
        return changed("size or mtime differ from the published file");
    }
    OpenedFile out;
    out.fd = std::move(fd);
    out.size = pin.size;
    out.etag = "\"" + pin.version + "\"";
    out.last_modified = http_date(st.st_mtim.tv_sec);
    return out;
}

}  // namespace si
