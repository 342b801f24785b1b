#include "agent/piece_priority.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace si {
namespace {

struct Torrent {
    explicit Torrent(int pieces)
        : have(static_cast<std::size_t>(pieces), 0),
          availability(static_cast<std::size_t>(pieces), 0),
          deadline_set(static_cast<std::size_t>(pieces), 0) {}
    std::vector<char> have;
    std::vector<int> availability;
    std::vector<char> deadline_set;
    int cursor = 0;

    int have_count() const {
        int n = 0;
        for (char c : have) {
            n += c;
        }
        return n;
    }
    std::vector<PieceDeadline> plan(const DeadlinePolicy& p) const {
        return plan_deadlines({cursor, have_count(), have, availability, deadline_set}, p);
    }
};

std::vector<int> pieces_of(const std::vector<PieceDeadline>& d) {
    std::vector<int> out;
    for (const auto& x : d) {
        out.push_back(x.piece);
    }
    return out;
}

DeadlinePolicy small_policy() {
    DeadlinePolicy p;
    p.span_pieces = 4;
    p.step_ms = 100;
    p.min_availability = 2;
    p.lag_pieces = 3;
    return p;
}

TEST(DeadlinePolicyFor, SpansThirtyTwoMebibytesClamped) {
    EXPECT_EQ(deadline_policy_for(256 << 10, 1000).span_pieces, 128);
    EXPECT_EQ(deadline_policy_for(16 << 20, 1000).span_pieces, 4);    // at least 4
    EXPECT_EQ(deadline_policy_for(16 << 10, 1000).span_pieces, 512);  // at most 512
}

TEST(DeadlinePolicyFor, LagLimitIsTwoPercentAtLeastEight) {
    EXPECT_EQ(deadline_policy_for(256 << 10, 100).lag_pieces, 8);
    EXPECT_EQ(deadline_policy_for(256 << 10, 5000).lag_pieces, 100);
}

TEST(PlanDeadlines, AClusterStartGivesNoDeadlines) {
    // Every node starts at once: only the server has each piece.
    Torrent t(100);
    std::fill(t.availability.begin(), t.availability.end(), 1);
    EXPECT_TRUE(t.plan(small_policy()).empty());
}

TEST(PlanDeadlines, SharedPiecesInTheSpanGetIncreasingDeadlines) {
    Torrent t(100);
    t.availability[0] = 3;
    t.availability[2] = 2;
    t.availability[5] = 9;  // beyond the span of 4 missing pieces
    auto d = t.plan(small_policy());
    ASSERT_EQ(pieces_of(d), (std::vector<int>{0, 2}));
    EXPECT_EQ(d[0].deadline_ms, 100);
    EXPECT_EQ(d[1].deadline_ms, 300);  // the third missing piece from the cursor
}

TEST(PlanDeadlines, PiecesHeldAreSkippedAndDoNotUseTheSpan) {
    Torrent t(100);
    t.cursor = 10;
    t.have[10] = t.have[11] = 1;
    for (int i = 10; i < 20; ++i) {
        t.availability[static_cast<std::size_t>(i)] = 2;
    }
    auto d = t.plan(small_policy());
    EXPECT_EQ(pieces_of(d), (std::vector<int>{12, 13, 14, 15}));
    EXPECT_EQ(d.front().deadline_ms, 100);
}

TEST(PlanDeadlines, ADeadlineIsGivenOnce) {
    Torrent t(10);
    std::fill(t.availability.begin(), t.availability.end(), 5);
    t.deadline_set[0] = t.deadline_set[1] = 1;
    EXPECT_EQ(pieces_of(t.plan(small_policy())), (std::vector<int>{2, 3}));
}

TEST(PlanDeadlines, AnUnpackThatLagsCatchesUpWhateverTheAvailability) {
    Torrent t(100);
    std::fill(t.availability.begin(), t.availability.end(), 1);
    // Three verified pieces past the cursor: the lag limit.
    t.have[50] = t.have[60] = t.have[70] = 1;
    EXPECT_EQ(pieces_of(t.plan(small_policy())), (std::vector<int>{0, 1, 2, 3}));
    t.have[70] = 0;  // one fewer: no catch-up
    EXPECT_TRUE(t.plan(small_policy()).empty());
}

TEST(PlanDeadlines, MissingAvailabilityCountsAsNone) {
    Torrent t(10);
    t.availability.clear();  // not read yet
    EXPECT_TRUE(t.plan(small_policy()).empty());
}

TEST(PlanDeadlines, StopsAtTheLastPiece) {
    Torrent t(3);
    t.cursor = 1;
    std::fill(t.availability.begin(), t.availability.end(), 4);
    EXPECT_EQ(pieces_of(t.plan(small_policy())), (std::vector<int>{1, 2}));
    t.cursor = 3;  // unpack done
    EXPECT_TRUE(t.plan(small_policy()).empty());
}

}  // namespace
}  // namespace si
