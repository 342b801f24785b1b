#include "server/view/node_clock.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

using namespace std::chrono_literals;

// A clock whose wall time an operator can step, as `date -s` or NTP does.
class SteppedClock final : public Clock {
  public:
    std::chrono::steady_clock::time_point now() const override { return steady; }
    std::chrono::system_clock::time_point wall_now() const override { return wall; }
    std::chrono::steady_clock::time_point steady{1000h};
    std::chrono::system_clock::time_point wall{1'900'000'000s};
};

TEST(NodeClock, AWallClockStepMovesNoAge) {
    SteppedClock c;
    NodeClock clock(c);
    EXPECT_EQ(clock.now(), 1'900'000'000);
    const std::int64_t report = clock.now();
    c.steady += 30s;
    c.wall -= std::chrono::hours(24 * 365 * 5);  // stepped back five years
    EXPECT_EQ(clock.now(), 1'900'000'030);
    EXPECT_EQ(clock.now() - report, 30);  // the age is the 30 s that passed
    c.steady += 10s;
    c.wall += std::chrono::hours(24 * 365 * 10);  // and forward ten
    EXPECT_EQ(clock.now() - report, 40);
}

}  // namespace
}  // namespace si
