#pragma once
// The agent's log lines and monitor figures about a transfer: pure functions of its progress
// and its report.
#include <cstdint>
#include <string>
#include <vector>

#include "swarm.hpp"

namespace si {

// "image-rhel5.tar.gz  42.0%  12.3 MB/s  up 3.1 MB/s  peers 5  ETA 0:34  unpacked 40.1%"
std::string progress_line(const TransferProgress& p);

// "seeding: up 3.1 MB/s  peers 5  sent 120.4 MiB"
std::string seeding_line(const TransferProgress& p);

// The monitor status for overall progress: 1-99 while imaging (never 0 or 100 early).
int monitor_percent(std::int64_t done_bytes, std::int64_t total_bytes);

// What a finished tarball logs: "<tarball>: 1037 entries unpacked; download 212.4 s, last file
// 0.31 s after the last piece", then "<tarball>: 1.2 MiB received twice (0.9 % of the tarball),
// 0.0 MiB failed the hash check", then, when any peer sent pieces, "<tarball>: pieces from
// 10.0.0.2 (12.0 MiB), 10.0.0.3 (9.5 MiB)" naming the first `max_sources` of
// report.sources (most first) and "and N more".
std::vector<std::string> transfer_summary_lines(const TransferReport& report,
                                                std::size_t max_sources = 8);

}  // namespace si
