#include "common/log.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace si {

Logger::~Logger() {
    std::lock_guard lock(mu_);
    flush_repeats_locked(/*at_exit=*/true);
    if (file_ != nullptr) {
        std::fclose(file_);
    }
}

Status Logger::open_file(const std::string& path) {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::filesystem::create_directories(parent, ec);
    }
    std::FILE* f = std::fopen(path.c_str(), "ae");
    if (f == nullptr) {
        return Error{path + ": " + std::strerror(errno)};
    }
    std::lock_guard lock(mu_);
    if (file_ != nullptr) {
        std::fclose(file_);
    }
    file_ = f;
    return Ok{};
}

int Logger::file_descriptor() const {
    return file_ != nullptr ? fileno(file_) : -1;
}

void Logger::info(std::string_view msg) {
    write("", msg, false);
}
void Logger::warn(std::string_view msg) {
    write("warning: ", msg, true);
}
void Logger::error(std::string_view msg) {
    write("error: ", msg, true);
}
void Logger::flush_repeated() {
    std::lock_guard lock(mu_);
    flush_repeats_locked(/*at_exit=*/true);
}

void Logger::info_repeated(std::string_view kind, std::string_view msg) {
    write_repeated("", kind, msg, false);
}
void Logger::warn_repeated(std::string_view kind, std::string_view msg) {
    write_repeated("warning: ", kind, msg, true);
}

void Logger::write(std::string_view level, std::string_view msg, bool force_stderr) {
    std::lock_guard lock(mu_);
    flush_repeats_locked(false);
    write_locked(level, msg, force_stderr);
}

void Logger::write_repeated(std::string_view level, std::string_view kind, std::string_view msg,
                            bool force_stderr) {
    std::lock_guard lock(mu_);
    flush_repeats_locked(false);
    if (auto line = repeats_.admit(kind, msg, std::chrono::steady_clock::now())) {
        write_locked(level, *line, force_stderr);
    } else if (repeat_levels_.find(kind) == repeat_levels_.end()) {
        repeat_levels_.emplace(std::string(kind), std::pair{std::string(level), force_stderr});
    }
}

void Logger::flush_repeats_locked(bool at_exit) {
    for (const RepeatLimiter::Told& t : repeats_.flush(std::chrono::steady_clock::now(), at_exit)) {
        auto level = repeat_levels_.find(t.kind);
        if (level == repeat_levels_.end()) {
            write_locked("", t.line, false);
        } else {
            write_locked(level->second.first, t.line, level->second.second);
        }
    }
}

void Logger::keep_tail(std::size_t lines) {
    std::lock_guard lock(mu_);
    tail_lines_ = lines;
    while (tail_.size() > tail_lines_) {
        tail_.pop_front();
    }
}

std::vector<std::string> Logger::tail() const {
    std::lock_guard lock(mu_);
    return {tail_.begin(), tail_.end()};
}

void Logger::write_locked(std::string_view level, std::string_view msg, bool force_stderr) {
    if (tail_lines_ > 0) {
        if (tail_.size() == tail_lines_) {
            tail_.pop_front();
        }
        tail_.emplace_back(std::string(level) + std::string(msg));
    }
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm local{};
    localtime_r(&ts.tv_sec, &local);
    char stamp[40];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    if (file_ != nullptr) {
        std::fprintf(file_, "%s.%03ld %.*s%.*s\n", stamp, ts.tv_nsec / 1000000,
                     static_cast<int>(level.size()), level.data(), static_cast<int>(msg.size()),
                     msg.data());
        std::fflush(file_);
    }
    if (to_stderr_ && (force_stderr || !quiet_)) {
        std::fprintf(stderr, "%.*s%.*s\n", static_cast<int>(level.size()), level.data(),
                     static_cast<int>(msg.size()), msg.data());
    }
}

}  // namespace si
