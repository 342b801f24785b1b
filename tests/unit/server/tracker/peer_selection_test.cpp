#include "server/tracker/peer_selection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace si {
namespace {

using std::chrono::seconds;

std::vector<PeerCandidate> swarm(int live, int dead) {
    std::vector<PeerCandidate> out;
    for (int i = 0; i < live; ++i) {
        out.push_back({static_cast<std::uint32_t>(i), seconds(10)});
    }
    for (int i = 0; i < dead; ++i) {
        out.push_back({static_cast<std::uint32_t>(live + i), seconds(600)});
    }
    return out;
}

TEST(PeerSelection, LivePeersComeFirstAmongManyDeadOnes) {
    // The storm's aftermath: 512 peers that went away, 3 live agents.
    const auto candidates = swarm(3, 512);
    std::mt19937_64 rng(1);
    for (int round = 0; round < 20; ++round) {
        auto picks = select_peers(candidates, 50, seconds(75), rng);
        ASSERT_EQ(picks.size(), 50U);
        std::set<std::uint32_t> first3(picks.begin(), picks.begin() + 3);
        EXPECT_EQ(first3, (std::set<std::uint32_t>{0, 1, 2}));
        EXPECT_EQ(std::set<std::uint32_t>(picks.begin(), picks.end()).size(), 50U) << "twice";
    }
}

TEST(PeerSelection, StalePeersStillFillTheReply) {
    // Third-party clients announce only every 300 s: they are older, not gone.
    std::mt19937_64 rng(2);
    auto picks = select_peers(swarm(2, 5), 200, seconds(75), rng);
    std::sort(picks.begin(), picks.end());
    EXPECT_EQ(picks, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(PeerSelection, ManyLivePeersAreSampledUniformly) {
    const auto candidates = swarm(100, 0);
    std::mt19937_64 rng(3);
    std::vector<int> times(100, 0);
    for (int round = 0; round < 2000; ++round) {
        for (auto i : select_peers(candidates, 10, seconds(75), rng)) {
            ++times[i];
        }
    }
    // 2000 replies x 10 of 100 peers: each about 200 times.
    for (int t : times) {
        EXPECT_GT(t, 120);
        EXPECT_LT(t, 280);
    }
}

TEST(PeerSelection, ALeecherGetsTheSeedAmongAsManyFreshPeers) {
    // Right after a storm: 512 dead peers announced as recently as the image server's seeder
    // (index 0) and two agents; a leecher asking for 200 always gets the seeder.
    std::vector<PeerCandidate> candidates{
        {0, seconds(20), true}, {1, seconds(5), false}, {2, seconds(5), false}};
    for (std::uint32_t i = 0; i < 512; ++i) {
        candidates.push_back({3 + i, seconds(1), false});
    }
    std::mt19937_64 rng(5);
    for (int round = 0; round < 50; ++round) {
        auto picks = select_peers(candidates, 200, seconds(75), rng);
        ASSERT_EQ(picks.size(), 200U);
        EXPECT_EQ(picks[0], 0U);
    }
}

TEST(PeerSelection, ASeedGetsLeechersBeforeOtherSeeds) {
    std::vector<PeerCandidate> candidates{{0, seconds(5), true},
                                          {1, seconds(5), false},
                                          {2, seconds(5), true},
                                          {3, seconds(500), false}};
    std::mt19937_64 rng(6);
    auto picks = select_peers(candidates, 2, seconds(75), rng, /*requester_is_seed=*/true);
    ASSERT_EQ(picks.size(), 2U);
    EXPECT_EQ(picks[0], 1U);  // the live leecher
    EXPECT_TRUE(picks[1] == 0U || picks[1] == 2U)
        << picks[1];  // then a live seed, not the old leecher
    // A leecher asking: live seeds first, then the live leecher, the old one last.
    auto all = select_peers(candidates, 4, seconds(75), rng);
    ASSERT_EQ(all.size(), 4U);
    EXPECT_EQ(std::set<std::uint32_t>(all.begin(), all.begin() + 2),
              (std::set<std::uint32_t>{0, 2}));
    EXPECT_EQ(all[2], 1U);
    EXPECT_EQ(all[3], 3U);
}

TEST(PeerSelection, NothingWantedOrNobodyThere) {
    std::mt19937_64 rng(4);
    EXPECT_TRUE(select_peers(swarm(3, 3), 0, seconds(75), rng).empty());
    EXPECT_TRUE(select_peers({}, 50, seconds(75), rng).empty());
}

}  // namespace
}  // namespace si
