#include "server/pidfile.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace si {

std::optional<pid_t> running_daemon(const std::string& path) {
    std::ifstream in(path);
    long pid = 0;
    if (!(in >> pid) || pid <= 1) {
        return std::nullopt;
    }
    if (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) {
        return std::nullopt;
    }
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (comm && std::getline(comm, name) && name.rfind("si_btd", 0) != 0) {
        return std::nullopt;  // the pid was reused by something else
    }
    return static_cast<pid_t>(pid);
}

Result<Pidfile> Pidfile::create(const std::string& path) {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::filesystem::create_directories(parent, ec);
    }
    std::string tmp = path + ".tmp" + std::to_string(getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "we");
    if (f == nullptr) {
        return Error{"pidfile " + path + ": " + std::strerror(errno)};
    }
    bool ok = std::fprintf(f, "%d\n", static_cast<int>(getpid())) > 0;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        std::remove(tmp.c_str());
        return Error{"pidfile " + path + ": " + std::strerror(err)};
    }
    return Pidfile(path);
}

Pidfile::Pidfile(Pidfile&& other) noexcept : path_(std::exchange(other.path_, {})) {}

Pidfile& Pidfile::operator=(Pidfile&& other) noexcept {
    if (this != &other) {
        if (!path_.empty()) {
            std::remove(path_.c_str());
        }
        path_ = std::exchange(other.path_, {});
    }
    return *this;
}

Pidfile::~Pidfile() {
    if (!path_.empty()) {
        std::remove(path_.c_str());
    }
}

}  // namespace si
