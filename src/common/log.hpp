#pragma once
// Timestamped one-line log records to a file and, optionally, to stderr. Thread-safe.
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/repeat_limit.hpp"
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

    // As info() and warn(), for a line that may come many times a second: lines of one `kind`
    // ("refused announce") are written at most once per repeat_window, the next one with the
    // count of those left out (repeat_limit.hpp). Counted lines left when a window ends are
    // told by the next line written, and by the destructor.
    void info_repeated(std::string_view kind, std::string_view msg);
    void warn_repeated(std::string_view kind, std::string_view msg);

    // Tells every kind's counted lines now (as at exit): called before a program's last line.
    void flush_repeated();

    // Keeps the last `lines` records written (level and text, no time) for tail(); 0: none
    // kept (the default). The agent's MONITOR_CONSOLE sends them with a failure report.
    void keep_tail(std::size_t lines);
    // The kept records, oldest first.
    std::vector<std::string> tail() const;

    // The log file's descriptor (-1 when none): a fatal signal's handler writes its last line
    // there with write(2), the one call it may make.
    int file_descriptor() const;

  private:
    void write(std::string_view level, std::string_view msg, bool force_stderr);
    void write_repeated(std::string_view level, std::string_view kind, std::string_view msg,
                        bool force_stderr);
    // With mu_ held.
    void write_locked(std::string_view level, std::string_view msg, bool force_stderr);
    void flush_repeats_locked(bool at_exit);
    mutable std::mutex mu_;
    std::deque<std::string> tail_;
    std::size_t tail_lines_ = 0;
    RepeatLimiter repeats_;
    // Each counted line's level, by kind, for the line that tells them at the window's end.
    std::map<std::string, std::pair<std::string, bool>, std::less<>> repeat_levels_;
    std::FILE* file_ = nullptr;
    bool to_stderr_ = true;
    bool quiet_ = false;
};

}  // namespace si
