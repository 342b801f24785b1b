#pragma once
// When a download has stalled: no new verified bytes for the agent's stall limit
// (BITTORRENT_STALL_TIMEOUT, seconds). Time comes from the clock seam (common/clock.hpp), so the
// rule is tested without sleeping; the transfer loop (swarm.cpp) feeds it and names the stall.
#include <chrono>
#include <cstdint>

#include "common/clock.hpp"

namespace si {

class StallWatchdog {
  public:
    // Starts counting now: a download that never gets a byte stalls `limit` after this.
    StallWatchdog(const Clock& clock, std::chrono::seconds limit);

    // The verified bytes so far (any unit, as long as it only grows); a change is progress.
    void observe(std::int64_t done_bytes);
    // True once more than `limit` has passed since the start or the last progress.
    bool stalled() const;

  private:
    const Clock& clock_;
    std::chrono::seconds limit_;
    std::chrono::steady_clock::time_point last_progress_;
    std::int64_t last_done_ = -1;
};

}  // namespace si
