#include "agent/seed_wait.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace si {
namespace {

constexpr std::int64_t min_rate = 50 * 1024;  // BITTORRENT_UPLOAD_MIN=50 (KB/s)

TEST(SeedWait, StopsWhenTheRateIsLowAndNobodyWantsPieces) {
    EXPECT_TRUE(seeding_may_stop({.upload_rate = 0, .peers_wanting = 0}, min_rate));
    EXPECT_TRUE(seeding_may_stop({.upload_rate = min_rate - 1, .peers_wanting = 0}, min_rate));
}

TEST(SeedWait, StaysWhileTheRateIsAtOrAboveTheMinimum) {
    EXPECT_FALSE(seeding_may_stop({.upload_rate = min_rate, .peers_wanting = 0}, min_rate));
    EXPECT_FALSE(seeding_may_stop({.upload_rate = 10 * min_rate, .peers_wanting = 3}, min_rate));
}

TEST(SeedWait, StaysWhileAPeerStillWantsPiecesEvenWhenItsTransferPauses) {
    // The case SystemImager's rate-only rule got wrong: a peer's TCP paused for the period.
    EXPECT_FALSE(seeding_may_stop({.upload_rate = 0, .peers_wanting = 1}, min_rate));
}

TEST(SeedWait, AZeroMinimumSeedsUntilTheTimeLimit) {
    // BITTORRENT_UPLOAD_MIN=0: no rate is below it, so the node seeds to BITTORRENT_SEED_MAX.
    EXPECT_FALSE(seeding_may_stop({.upload_rate = 0, .peers_wanting = 0}, 0));
}

// The loop itself, in virtual time: waiting moves the manual clock, nothing sleeps.
class SeedWaitLoop : public ::testing::Test {
  protected:
    bool run(std::vector<SeedWaitReading> readings, std::chrono::seconds max) {
        std::size_t next = 0;
        return run_seed_wait(
            clock, [&](std::chrono::steady_clock::duration d) { clock.advance(d); },
            {std::chrono::seconds(5), max}, min_rate, 0,
            [&] {
                // The last reading repeats once the script runs out.
                const SeedWaitReading r = readings[std::min(next, readings.size() - 1)];
                ++next;
                return r;
            },
            [&](const SeedWaitReading&, std::int64_t rate) { rates.push_back(rate); });
    }

    ManualClock clock;
    std::vector<std::int64_t> rates;
};

TEST_F(SeedWaitLoop, MeasuresEachPeriodsRateFromTheBytesSent) {
    // 5 s periods: 1 MiB sent in the first, nothing in the second, nobody wanting pieces.
    EXPECT_TRUE(run({{1 << 20, 2, 0}, {1 << 20, 2, 0}}, std::chrono::seconds(60)));
    EXPECT_EQ(rates, (std::vector<std::int64_t>{(1 << 20) / 5, 0}));
}

TEST_F(SeedWaitLoop, StaysWhileAPeerWantsPiecesThenStops) {
    EXPECT_TRUE(run({{0, 1, 1}, {0, 1, 1}, {0, 1, 1}, {0, 1, 0}}, std::chrono::seconds(600)));
    EXPECT_EQ(rates.size(), 4u);
}

TEST_F(SeedWaitLoop, EndsAtTheTimeLimitWhenPeersKeepWanting) {
    const auto start = clock.now();
    EXPECT_FALSE(run({{0, 1, 1}}, std::chrono::seconds(30)));
    EXPECT_EQ(rates.size(), 6u);  // six periods of 5 s
    EXPECT_EQ(clock.now() - start, std::chrono::seconds(30));
}

}  // namespace
}  // namespace si
