#pragma once
#include <string>

#include "swarm.hpp"

namespace si {

// "image-rhel5.tar.gz  42.0%  12.3 MB/s  up 3.1 MB/s  peers 5  ETA 0:34  unpacked 40.1%"
std::string progress_line(const TransferProgress& p);

// "seeding: up 3.1 MB/s  peers 5  sent 120.4 MiB"
std::string seeding_line(const TransferProgress& p);

// The monitor status for overall progress: 1-99 while imaging (never 0 or 100 early).
int monitor_percent(std::int64_t done_bytes, std::int64_t total_bytes);

}  // namespace si
