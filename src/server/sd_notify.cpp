#include "server/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace si {

Status notify_systemd(std::string_view state) {
    const char* env = std::getenv("NOTIFY_SOCKET");
    if (env == nullptr || *env == '\0') {
        return Ok{};
    }
    const std::string path = env;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if ((path[0] != '/' && path[0] != '@') || path.size() >= sizeof addr.sun_path) {
        return Error{"NOTIFY_SOCKET " + path + ": not a socket path", ErrorKind::io};
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (path[0] == '@') {
        addr.sun_path[0] = '\0';  // abstract namespace
    }
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return Error{"NOTIFY_SOCKET: socket: " + std::string(std::strerror(errno)), ErrorKind::io};
    }
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&addr), len);
    const int err = errno;
    ::close(fd);
    if (sent < 0 || static_cast<std::size_t>(sent) != state.size()) {
        return Error{"NOTIFY_SOCKET " + path + ": " + std::strerror(sent < 0 ? err : EMSGSIZE),
                     ErrorKind::io};
    }
    return Ok{};
}

void notify_systemd_ready(Logger& log) {
    const std::string state = "READY=1\nMAINPID=" + std::to_string(::getpid());
    if (auto st = notify_systemd(state); !st) {
        log.warn("systemd: " + st.error().message);
    }
}

}  // namespace si
