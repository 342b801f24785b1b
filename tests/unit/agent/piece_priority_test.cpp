#include "agent/piece_priority.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace si {
namespace {

struct Torrent {
    explicit Torrent(int pieces)
        : have(static_cast<std::size_t>(pieces), 0),
          deadline_set(static_cast<std::size_t>(pieces), 0) {}
    std::vector<char> have;
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
        return plan_deadlines({cursor, have_count(), have, deadline_set}, p);
    }
    // Verified pieces far past the cursor: the unpack lags by `n` pieces.
    void lag_by(int n) {
        for (int i = 0; i < n; ++i) {
            have[have.size() - 1 - static_cast<std::size_t>(i)] = 1;
        }
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

TEST(PlanDeadlines, AnUnpackThatKeepsUpGetsNoDeadlines) {
    // Every node starts at once; pieces arrive in order or close to it.
    Torrent t(100);
    EXPECT_TRUE(t.plan(small_policy()).empty());
    t.have[0] = t.have[1] = 1;
    t.cursor = 2;
    t.lag_by(2);  // two pieces past the cursor: under the lag limit of 3
    EXPECT_TRUE(t.plan(small_policy()).empty());
}

TEST(PlanDeadlines, AnUnpackThatLagsGetsIncreasingDeadlinesOverTheSpan) {
    Torrent t(100);
    t.lag_by(3);  // three verified pieces past the cursor: the lag limit
    auto d = t.plan(small_policy());
    ASSERT_EQ(pieces_of(d), (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(d[0].deadline_ms, 100);
    EXPECT_EQ(d[3].deadline_ms, 400);  // the fourth missing piece from the cursor
}

TEST(PlanDeadlines, PiecesHeldAreSkippedAndDoNotUseTheSpan) {
    Torrent t(100);
    for (int i = 0; i < 10; ++i) {
        t.have[static_cast<std::size_t>(i)] = 1;  // unpacked
    }
    t.cursor = 10;
    t.have[11] = t.have[12] = 1;
    t.lag_by(1);
    auto d = t.plan(small_policy());
    EXPECT_EQ(pieces_of(d), (std::vector<int>{10, 13, 14, 15}));
    EXPECT_EQ(d[0].deadline_ms, 100);
    EXPECT_EQ(d[1].deadline_ms, 200);  // the second missing piece, not the fourth piece
}

TEST(PlanDeadlines, ADeadlineIsGivenOnce) {
    Torrent t(10);
    t.lag_by(3);
    t.deadline_set[0] = t.deadline_set[1] = 1;
    EXPECT_EQ(pieces_of(t.plan(small_policy())), (std::vector<int>{2, 3}));
}

TEST(DeadlineStep, TwoPieceTimesAtTheRateButNoLessThanTheShortestStep) {
    const DeadlinePolicy p = deadline_policy_for(64 << 10, 1212);
    std::vector<char> none(1212, 0);
    auto step_at = [&](std::int64_t bytes_per_s, std::int64_t piece_length) {
        return deadline_step_ms({0, 0, none, none, bytes_per_s, piece_length}, p);
    };
    // 1 Mbit/s (119.5 kB/s of payload): a 64 KiB piece takes 548 ms.
    EXPECT_EQ(step_at(119'500, 64 << 10), 1096);
    // 1 Gb/s with 256 KiB pieces: 2 ms a piece, so the 250 ms step stands.
    EXPECT_EQ(step_at(125'000'000, 256 << 10), 250);
    EXPECT_EQ(step_at(0, 64 << 10), 250);      // no rate measured yet
    EXPECT_EQ(step_at(119'500, 0), 250);       // piece size not known
    EXPECT_EQ(step_at(10, 16 << 20), 60'000);  // a trickle: one step is at most 60 s
}

TEST(PlanDeadlines, ASlowLinkGetsDeadlinesItCanMeet) {
    Torrent t(1212);
    t.lag_by(100);  // past the lag limit of 24
    const DeadlinePolicy p = deadline_policy_for(64 << 10, 1212);
    const auto d =
        plan_deadlines({t.cursor, t.have_count(), t.have, t.deadline_set, 119'500, 64 << 10}, p);
    ASSERT_EQ(d.size(), 512u);  // the span is the same at every rate
    EXPECT_EQ(d[0].deadline_ms, 1096);
    EXPECT_EQ(d[4].deadline_ms, 5 * 1096);
    const auto fast = plan_deadlines(
        {t.cursor, t.have_count(), t.have, t.deadline_set, 125'000'000, 64 << 10}, p);
    EXPECT_EQ(fast[4].deadline_ms, 5 * 250);
}

TEST(PlanDeadlines, StopsAtTheLastPiece) {
    Torrent t(6);
    t.cursor = 1;
    t.have[0] = t.have[1] = t.have[2] = t.have[3] = 1;
    auto d = t.plan(small_policy());
    EXPECT_EQ(pieces_of(d), (std::vector<int>{4, 5}));
    t.have[4] = t.have[5] = 1;
    t.cursor = 6;  // unpack done
    EXPECT_TRUE(t.plan(small_policy()).empty());
}

TEST(DeltaLagHaveCount, CountsOnlyPiecesVerifiedHereFromTheCursorOn) {
    // 10 pieces; the unpacker is at piece 4. Pieces 0-3 are behind it (held or consumed).
    std::vector<char> verified{1, 0, 1, 0, 0, 1, 0, 1, 1, 0};
    EXPECT_EQ(delta_lag_have_count(verified, 4), 4 + 3);  // 5, 7, 8
    EXPECT_EQ(delta_lag_have_count(verified, 5), 5 + 3);  // the cursor's own piece counts
    EXPECT_EQ(delta_lag_have_count(verified, 10), 10);    // unpack done
    EXPECT_EQ(delta_lag_have_count(verified, 0), 5);      // every verified piece
    EXPECT_EQ(delta_lag_have_count({}, 0), 0);
}

TEST(DeltaLagHaveCount, HeldPiecesPastTheCursorDoNotStartDeadlines) {
    // A delta node that holds most pieces and has fetched none yet: no lag, no deadlines,
    // pieces come rarest-first. Held pieces count as there in `have` (skipped by the plan).
    Torrent t(40);
    for (int i = 0; i < 40; ++i) {
        t.have[static_cast<std::size_t>(i)] = i % 4 != 0 ? 1 : 0;  // held
    }
    const std::vector<char> verified(40, 0);
    const DeadlinePolicy p = small_policy();
    EXPECT_TRUE(
        plan_deadlines({0, delta_lag_have_count(verified, 0), t.have, t.deadline_set}, p).empty());
    // Once three fetched pieces wait past the cursor, the missing ones from it get deadlines,
    // held ones skipped.
    std::vector<char> fetched(40, 0);
    fetched[20] = fetched[24] = fetched[28] = 1;
    t.have[20] = t.have[24] = t.have[28] = 1;
    const auto d = plan_deadlines({0, delta_lag_have_count(fetched, 0), t.have, t.deadline_set}, p);
    EXPECT_EQ(pieces_of(d), (std::vector<int>{0, 4, 8, 12}));
}

}  // namespace
}  // namespace si
