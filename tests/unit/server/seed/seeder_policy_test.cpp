#include "server/seed/seeder_policy.hpp"

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

TEST(SeederPolicy, DeltaReadyTorrentsAreSuperSeededOnlyWhenNodesSayWhatTheyWant) {
    EXPECT_FALSE(super_seeds(true, 500, true));  // delta nodes ask for pieces out of order
    EXPECT_TRUE(super_seeds(true, 500, false));  // plain images: as before
    EXPECT_FALSE(super_seeds(false, 500, true));
    EXPECT_FALSE(super_seeds(true, min_super_seed_pieces - 1, true));
    // si_wanted: each node is offered only the pieces it wants
    EXPECT_TRUE(super_seeds(true, 500, true, true));
    EXPECT_FALSE(super_seeds(false, 500, true, true));  // BT_SUPER_SEED=n still rules
    EXPECT_FALSE(super_seeds(true, min_super_seed_pieces - 1, true, true));
}

TEST(SeederPolicy, OfferBudgetIsTwoMebibytesOfPieces) {
    EXPECT_EQ(super_seed_offer_pieces(64 * 1024), 32);
    EXPECT_EQ(super_seed_offer_pieces(256 * 1024), 8);
    EXPECT_EQ(super_seed_offer_pieces(4 * 1024 * 1024), 2);  // never below libtorrent's two
    EXPECT_EQ(super_seed_offer_pieces(0), 2);
}

TEST(SeederPolicy, ALoneLeecherHasTheWholeOfferAndALargeSwarmTwoEach) {
    EXPECT_EQ(super_seed_offer_per_peer(32, 1), 32);
    EXPECT_EQ(super_seed_offer_per_peer(32, 0), 32);  // before the first one connects
    EXPECT_EQ(super_seed_offer_per_peer(32, 2), 16);
    EXPECT_EQ(super_seed_offer_per_peer(32, 4), 8);
    EXPECT_EQ(super_seed_offer_per_peer(32, 16), 2);   // as before the budget
    EXPECT_EQ(super_seed_offer_per_peer(32, 100), 2);  // never fewer than two
}

TEST(SeederPolicy, ALeecherThatGetsNothingIsServedNormallyAfterTheStallTime) {
    LeecherWatch w;
    const LeecherSample idle{0, 0, false};
    for (double t = 0; t < super_seed_stall_s - 1; t += 1) {
        w = watch_leecher(w, idle, 1.0);
        EXPECT_FALSE(serve_normally(w)) << t;
    }
    w = watch_leecher(w, idle, 1.0);
    EXPECT_TRUE(serve_normally(w));
    w.served_normally = true;  // once only
    w = watch_leecher(w, idle, 1.0);
    EXPECT_FALSE(serve_normally(w));
}

TEST(SeederPolicy, BytesFromUsOrPiecesFromOthersAreProgress) {
    LeecherWatch w;
    w = watch_leecher(w, {0, 0, false}, 4.0);
    EXPECT_DOUBLE_EQ(w.quiet_s, 4.0);
    w = watch_leecher(w, {65536, 0, false}, 4.0);  // a piece from the server
    EXPECT_DOUBLE_EQ(w.quiet_s, 0.0);
    w = watch_leecher(w, {65536, 0, false}, 4.0);
    EXPECT_DOUBLE_EQ(w.quiet_s, 4.0);
    w = watch_leecher(w, {65536, 3, false}, 4.0);  // pieces from other nodes (its HAVEs)
    EXPECT_DOUBLE_EQ(w.quiet_s, 0.0);
    EXPECT_FALSE(serve_normally(w));
}

TEST(SeederPolicy, ASeedIsNeverStalled) {
    LeecherWatch w;
    for (int i = 0; i < 20; ++i) {
        w = watch_leecher(w, {0, 100, true}, 1.0);
    }
    EXPECT_FALSE(serve_normally(w));
}

TEST(SeederPolicy, TheFirstLookStartsTheClock) {
    // A peer seen for the first time has quiet time 0 whatever the elapsed time says.
    const LeecherWatch w = watch_leecher(LeecherWatch{}, {0, 0, false}, 0.0);
    EXPECT_DOUBLE_EQ(w.quiet_s, 0.0);
}

// Only our agents take the super-seeder's offers; every other client is seeded normally from its
// handshake on (issue 28: transmission-cli got nothing from the offers).
TEST(SeederPolicy, OnlyAgentsAreSuperSeeded) {
    EXPECT_TRUE(super_seeds_peer("-SI0100-0123456789ab"));
    EXPECT_FALSE(super_seeds_peer("-TR3000-0123456789ab"));
    EXPECT_FALSE(super_seeds_peer("-LT2080-0123456789ab"));
    EXPECT_FALSE(super_seeds_peer("A2-1-36-0-0123456789"));
    EXPECT_FALSE(super_seeds_peer(std::string(20, '\0')));
}

}  // namespace
}  // namespace si
