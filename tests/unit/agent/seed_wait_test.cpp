#include "agent/seed_wait.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace si
