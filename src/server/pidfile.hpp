#pragma once
// The daemon's pidfile: refuses to start when it names a live si_btd, written atomically,
// removed when the daemon exits.
#include <sys/types.h>

#include <optional>
#include <string>

#include "common/result.hpp"

namespace si {

// The pid in `path` if that process is alive and is an si_btd; nullopt otherwise (no file,
// garbage, a stale pid).
std::optional<pid_t> running_daemon(const std::string& path);

class Pidfile {
  public:
    Pidfile() = default;
    // Writes getpid() to `path` (temp + rename). Fails with "pidfile /x: strerror".
    static Result<Pidfile> create(const std::string& path);
    Pidfile(Pidfile&& other) noexcept;
    Pidfile& operator=(Pidfile&& other) noexcept;
    Pidfile(const Pidfile&) = delete;
    Pidfile& operator=(const Pidfile&) = delete;
    ~Pidfile();

  private:
    explicit Pidfile(std::string path) : path_(std::move(path)) {}
    std::string path_;  // empty: owns nothing
};

}  // namespace si
