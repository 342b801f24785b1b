#include "staging.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace si {
namespace {

std::int64_t free_bytes(const std::string& dir) {
    struct statvfs v {};
    if (statvfs(dir.c_str(), &v) != 0) {
        return -1;
    }
    return static_cast<std::int64_t>(v.f_bavail) * static_cast<std::int64_t>(v.f_frsize);
}

std::string mib(std::int64_t b) {
    return std::to_string(b / (1024 * 1024)) + " MiB";
}

}  // namespace

Result<std::string> choose_staging(const std::string& configured, const std::string& root,
                                   std::int64_t bytes) {
    std::error_code ec;
    std::vector<std::string> candidates;
    if (!configured.empty()) {
        candidates.push_back(configured);
    } else {
        candidates = {"/tmp", root + "/tmp"};
    }
    std::string report;
    for (const auto& dir : candidates) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            report += (report.empty() ? "" : ", ") + dir + ": " + ec.message();
            continue;
        }
        std::int64_t avail = free_bytes(dir);
        if (avail >= bytes + (configured.empty() ? staging_slack_bytes : 0)) {
            return dir;
        }
        report += (report.empty() ? "" : ", ") + dir + " has " +
                  (avail < 0 ? std::string(std::strerror(errno)) : mib(avail)) + " free";
    }
    return Error{"no room to stage " + mib(bytes) + ": " + report, ErrorKind::no_space};
}

}  // namespace si
