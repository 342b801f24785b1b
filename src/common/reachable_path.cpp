#include "common/reachable_path.hpp"

#include <fcntl.h>
#include <limits.h>

#include <cerrno>
#include <cstring>

namespace si {
namespace {

// Opens directory `dir` (O_PATH) in pieces of at most PATH_MAX / 2 bytes cut at '/': each is
// resolved from the directory the pieces before it reached, so the whole resolves as `dir`
// would. Fails with "<why>" naming no path (the caller names it).
Result<UniqueFd> open_in_pieces(const std::string& dir) {
    constexpr std::size_t piece_max = PATH_MAX / 2;
    UniqueFd fd;
    std::size_t at = 0;
    if (dir.empty()) {
        return UniqueFd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    while (at < dir.size()) {
        std::size_t end = dir.size();
        if (end - at > piece_max) {
            end = dir.rfind('/', at + piece_max);
            if (end == std::string::npos || end <= at) {
                return Error{"a component over " + std::to_string(piece_max) + " bytes",
                             ErrorKind::io};
            }
        }
        std::string piece = dir.substr(at, end - at);
        if (piece.empty()) {
            piece = "/";  // the root alone
        }
        UniqueFd next(
            ::openat(fd ? fd.get() : AT_FDCWD, piece.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!next) {
            return Error{std::strerror(errno), io_error_kind(errno)};
        }
        fd = std::move(next);
        at = end;
        while (at < dir.size() && dir[at] == '/') {
            ++at;  // the next piece is relative to the directory just opened
        }
    }
    return fd;
}

std::string shown(const std::string& path) {
    return path.size() > 120 ? path.substr(0, 60) + "..." + path.substr(path.size() - 57) : path;
}

}  // namespace

Result<ReachablePath> ReachablePath::of(const std::string& path) {
    ReachablePath r;
    if (path.size() < PATH_MAX) {
        r.path_ = path;
        return r;
    }
    const auto slash = path.find_last_of('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.empty() || name.size() > NAME_MAX) {
        return Error{shown(path) + ": " + std::strerror(ENAMETOOLONG), ErrorKind::io};
    }
    auto dir = open_in_pieces(slash == std::string::npos ? "" : path.substr(0, slash));
    if (!dir) {
        return Error{shown(path) + ": its directory cannot be opened: " + dir.error().message,
                     ErrorKind::io};
    }
    r.dir_ = std::move(*dir);
    r.path_ = "/proc/self/fd/" + std::to_string(r.dir_.get()) + "/" + name;
    return r;
}

Result<ReachablePath> ReachablePath::directory(const std::string& dir) {
    auto fd = open_in_pieces(dir);
    if (!fd) {
        return Error{shown(dir) + ": cannot be opened: " + fd.error().message, ErrorKind::io};
    }
    ReachablePath r;
    r.dir_ = std::move(*fd);
    r.path_ = "/proc/self/fd/" + std::to_string(r.dir_.get());
    return r;
}

}  // namespace si
