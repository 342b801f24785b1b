#pragma once
// Timestamped one-line log records to a file and, optionally, to stderr. Thread-safe.
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

class Logger {
  public:
    Logger() = default;
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;
    ~Logger();

    // Appends to `path` (its directory is created); fails with "path: strerror".
    Status open_file(const std::string& path);
    void set_stderr(bool on) { to_stderr_ = on; }
    void set_quiet(bool on) { quiet_ = on; }

    void info(std::string_view msg);   // suppressed on stderr when quiet
    void warn(std::string_view msg);   // "warning: ..."
    void error(std::string_view msg);  // "error: ..."

  private:
    void write(std::string_view level, std::string_view msg, bool force_stderr);
    std::mutex mu_;
    std::FILE* file_ = nullptr;
    bool to_stderr_ = true;
    bool quiet_ = false;
};

}  // namespace si
