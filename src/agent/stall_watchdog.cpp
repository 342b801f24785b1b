#include "stall_watchdog.hpp"

namespace si {

StallWatchdog::StallWatchdog(const Clock& clock, std::chrono::seconds limit)
    : clock_(clock), limit_(limit), last_progress_(clock.now()) {}

void StallWatchdog::observe(std::int64_t done_bytes) {
    if (done_bytes != last_done_) {
        last_done_ = done_bytes;
        last_progress_ = clock_.now();
    }
}

bool StallWatchdog::stalled() const {
    return clock_.now() - last_progress_ > limit_;
}

}  // namespace si
