#include "agent/stall_watchdog.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

using std::chrono::seconds;

TEST(StallWatchdog, ANodeThatNeverGetsAByteStallsAfterTheLimit) {
    ManualClock clock;
    StallWatchdog dog(clock, seconds(60));
    clock.advance(seconds(60));
    EXPECT_FALSE(dog.stalled());  // exactly the limit is not yet over it
    clock.advance(seconds(1));
    EXPECT_TRUE(dog.stalled());
}

TEST(StallWatchdog, NewBytesRestartTheCount) {
    ManualClock clock;
    StallWatchdog dog(clock, seconds(60));
    dog.observe(0);
    clock.advance(seconds(50));
    dog.observe(65536);
    clock.advance(seconds(50));
    EXPECT_FALSE(dog.stalled());  // 100 s since the start, 50 s since the last piece
    clock.advance(seconds(11));
    EXPECT_TRUE(dog.stalled());
}

TEST(StallWatchdog, TheSameCountAgainIsNoProgress) {
    ManualClock clock;
    StallWatchdog dog(clock, seconds(10));
    dog.observe(1000);
    for (int i = 0; i < 11; ++i) {
        clock.advance(seconds(1));
        dog.observe(1000);  // reported every second, nothing new
    }
    EXPECT_TRUE(dog.stalled());
}

TEST(StallWatchdog, AZeroLimitStallsAtTheFirstTickWithoutProgress) {
    ManualClock clock;
    StallWatchdog dog(clock, seconds(0));
    EXPECT_FALSE(dog.stalled());
    clock.advance(std::chrono::milliseconds(1));
    EXPECT_TRUE(dog.stalled());
}

}  // namespace
}  // namespace si
