#include "common/log.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace si {

Logger::~Logger() {
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

void Logger::info(std::string_view msg) {
    write("", msg, false);
}
void Logger::warn(std::string_view msg) {
    write("warning: ", msg, true);
}
void Logger::error(std::string_view msg) {
    write("error: ", msg, true);
}

void Logger::write(std::string_view level, std::string_view msg, bool force_stderr) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm local{};
    localtime_r(&ts.tv_sec, &local);
    char stamp[40];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    std::lock_guard lock(mu_);
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
