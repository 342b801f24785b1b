#pragma once
// The time the operator's view stamps node reports with: Unix seconds that never go back.
// It is the wall clock read once at start-up plus the monotonic time since, so that a wall-
// clock step while si_btd runs (an operator's `date`, NTP stepping a clock that was years
// off) moves no node's age: an age is measured on the monotonic clock, as peer ages are
// (clock.hpp). A step between runs is caught when the node table is restored
// (NodeTable::clamp_to): times after start-up are taken as start-up.
#include <chrono>
#include <cstdint>

#include "common/clock.hpp"

namespace si {

class NodeClock {
  public:
    explicit NodeClock(const Clock& clock)
        : clock_(clock), wall_start_(clock.wall_now()), steady_start_(clock.now()) {}

    // Unix seconds: the wall time at construction plus the monotonic seconds since.
    std::int64_t now() const {
        const auto since = clock_.now() - steady_start_;
        return std::chrono::duration_cast<std::chrono::seconds>(
                   (wall_start_ +
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(since))
                       .time_since_epoch())
            .count();
    }

  private:
    const Clock& clock_;
    std::chrono::system_clock::time_point wall_start_;
    std::chrono::steady_clock::time_point steady_start_;
};

}  // namespace si
