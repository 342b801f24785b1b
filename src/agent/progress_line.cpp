#include "progress_line.hpp"

#include <algorithm>
#include <cstdio>

namespace si {

std::string progress_line(const TransferProgress& p) {
    double pct = p.total_bytes > 0 ? 100.0 * static_cast<double>(p.downloaded_bytes) /
                                         static_cast<double>(p.total_bytes)
                                   : 100.0;
    double unpacked = p.total_bytes > 0 ? 100.0 * static_cast<double>(p.unpacked_bytes) /
                                              static_cast<double>(p.total_bytes)
                                        : 100.0;
    char eta[32] = "--:--";
    std::int64_t left = p.total_bytes - p.downloaded_bytes;
    if (p.download_rate > 0 && left > 0) {
        std::int64_t s = left / p.download_rate;
        std::snprintf(eta, sizeof eta, "%lld:%02lld", static_cast<long long>(s / 60),
                      static_cast<long long>(s % 60));
    } else if (left <= 0) {
        std::snprintf(eta, sizeof eta, "0:00");
    }
    char line[256];
    std::snprintf(
        line, sizeof line, "%s %5.1f%%  %.1f MB/s  up %.1f MB/s  peers %d  ETA %s  unpacked %.1f%%",
        p.tarball.c_str(), pct, p.download_rate / 1e6, p.upload_rate / 1e6, p.peers, eta, unpacked);
    return line;
}

std::string seeding_line(const TransferProgress& p) {
    char line[160];
    std::snprintf(line, sizeof line, "seeding: up %.1f MB/s  peers %d  sent %.1f MiB",
                  p.upload_rate / 1e6, p.peers, static_cast<double>(p.uploaded_total) / (1 << 20));
    return line;
}

int monitor_percent(std::int64_t done_bytes, std::int64_t total_bytes) {
    if (total_bytes <= 0) {
        return 1;
    }
    auto pct = static_cast<int>(done_bytes * 100 / total_bytes);
    return std::clamp(pct, 1, 99);
}

std::vector<std::string> transfer_summary_lines(const TransferReport& r, std::size_t max_sources) {
    std::vector<std::string> lines;
    char line[256];
    std::snprintf(line, sizeof line,
                  "%s: %lld entries unpacked; download %.1f s, last file %.2f s after the last "
                  "piece",
                  r.tarball.c_str(), static_cast<long long>(r.entries), r.download_seconds,
                  r.unpack_tail_seconds);
    lines.emplace_back(line);
    std::snprintf(
        line, sizeof line,
        "%s: %.1f MiB received twice (%.1f %% of the tarball), %.1f MiB failed the hash "
        "check",
        r.tarball.c_str(), static_cast<double>(r.redundant_bytes) / (1 << 20),
        r.bytes > 0 ? 100.0 * static_cast<double>(r.redundant_bytes) / static_cast<double>(r.bytes)
                    : 0.0,
        static_cast<double>(r.failed_bytes) / (1 << 20));
    lines.emplace_back(line);
    if (r.sources.empty()) {
        return lines;
    }
    std::string from = r.tarball + ": pieces from";
    const std::size_t shown = std::min(r.sources.size(), max_sources);
    for (std::size_t i = 0; i < shown; ++i) {
        char part[96];
        std::snprintf(part, sizeof part, "%s %s (%.1f MiB)", i == 0 ? "" : ",",
                      r.sources[i].ip.c_str(), static_cast<double>(r.sources[i].bytes) / (1 << 20));
        from += part;
    }
    if (r.sources.size() > shown) {
        from += " and " + std::to_string(r.sources.size() - shown) + " more";
    }
    lines.push_back(std::move(from));
    return lines;
}

}  // namespace si
