#include "server/seeder_policy.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TEST(SeederPolicy, SuperSeedingServesEveryNode) {
    EXPECT_EQ(seeder_choking(true).upload_slots, -1);  // each node takes only what it is offered
    EXPECT_EQ(seeder_choking(false).upload_slots, 2);
}

TEST(SeederPolicy, OnlyTorrentsWithEnoughPiecesAreSuperSeeded) {
    EXPECT_TRUE(super_seeds(true, 500));
    EXPECT_TRUE(super_seeds(true, min_super_seed_pieces));
    EXPECT_FALSE(super_seeds(true, min_super_seed_pieces - 1));
    EXPECT_FALSE(super_seeds(true, 1));  // a small override
    EXPECT_FALSE(super_seeds(false, 500));
}

}  // namespace
}  // namespace si
