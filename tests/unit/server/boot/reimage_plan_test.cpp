#include "server/boot/reimage_plan.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

using Idx = std::vector<std::size_t>;

// Applies a step as si_btreimage does.
void apply(std::vector<ReimageNode>& nodes, const ReimageStep& s, std::int64_t now) {
    for (auto i : s.time_out) {
        nodes[i].state = ReimageState::timed_out;
    }
    for (auto i : s.start) {
        nodes[i].state = ReimageState::installing;
        nodes[i].started = now;
    }
    for (auto i : s.skip) {
        nodes[i].state = ReimageState::skipped;
    }
}

TEST(ReimagePlan, BatchesFollowTheGivenOrder) {
    auto nodes = assign_batches(5, 2);
    EXPECT_EQ(nodes[0].batch, 0u);
    EXPECT_EQ(nodes[1].batch, 0u);
    EXPECT_EQ(nodes[2].batch, 1u);
    EXPECT_EQ(nodes[4].batch, 2u);
    for (const auto& n : assign_batches(4, 0)) {
        EXPECT_EQ(n.batch, 0u);
    }
}

TEST(ReimagePlan, WithoutBatchesEveryNodeStartsAtOnce) {
    auto nodes = assign_batches(3, 0);
    auto s = next_reimage_step(nodes, {}, 0);
    EXPECT_EQ(s.start, (Idx{0, 1, 2}));
    EXPECT_FALSE(s.finished);
}

TEST(ReimagePlan, ABatchStartsOnlyWhenTheOneBeforeHasEnded) {
    auto nodes = assign_batches(4, 2);
    ReimageOptions o;
    o.batch_size = 2;
    auto s = next_reimage_step(nodes, o, 0);
    EXPECT_EQ(s.start, (Idx{0, 1}));
    apply(nodes, s, 0);
    nodes[0].state = ReimageState::done;
    s = next_reimage_step(nodes, o, 10);
    EXPECT_TRUE(s.start.empty());  // node 1 still installing
    EXPECT_FALSE(s.finished);
    nodes[1].state = ReimageState::failed;  // a failure ends a node too
    s = next_reimage_step(nodes, o, 20);
    EXPECT_EQ(s.start, (Idx{2, 3}));
    apply(nodes, s, 20);
    nodes[2].state = nodes[3].state = ReimageState::done;
    s = next_reimage_step(nodes, o, 30);
    EXPECT_TRUE(s.start.empty());
    EXPECT_TRUE(s.finished);
}

TEST(ReimagePlan, TheConcurrencyCapRollsWithinABatch) {
    auto nodes = assign_batches(5, 0);
    ReimageOptions o;
    o.max_concurrent = 2;
    auto s = next_reimage_step(nodes, o, 0);
    EXPECT_EQ(s.start, (Idx{0, 1}));
    apply(nodes, s, 0);
    nodes[1].state = ReimageState::done;
    s = next_reimage_step(nodes, o, 5);
    EXPECT_EQ(s.start, (Idx{2}));
}

TEST(ReimagePlan, ANodePastItsTimeOutEndsAndFreesItsSlot) {
    auto nodes = assign_batches(3, 0);
    ReimageOptions o;
    o.max_concurrent = 1;
    o.node_timeout_s = 100;
    apply(nodes, next_reimage_step(nodes, o, 0), 0);
    auto s = next_reimage_step(nodes, o, 99);
    EXPECT_TRUE(s.time_out.empty());
    EXPECT_TRUE(s.start.empty());
    s = next_reimage_step(nodes, o, 100);
    EXPECT_EQ(s.time_out, (Idx{0}));
    EXPECT_EQ(s.start, (Idx{1}));
}

TEST(ReimagePlan, StopOnFailureSkipsLaterBatchesButWaitsForTheRunningOnes) {
    auto nodes = assign_batches(4, 2);
    ReimageOptions o;
    o.batch_size = 2;
    o.stop_on_failure = true;
    apply(nodes, next_reimage_step(nodes, o, 0), 0);
    nodes[0].state = ReimageState::failed;
    nodes[1].state = ReimageState::done;
    auto s = next_reimage_step(nodes, o, 10);
    EXPECT_TRUE(s.start.empty());
    EXPECT_EQ(s.skip, (Idx{2, 3}));
    EXPECT_TRUE(s.finished);
    // Without the flag the next batch starts.
    o.stop_on_failure = false;
    s = next_reimage_step(nodes, o, 10);
    EXPECT_EQ(s.start, (Idx{2, 3}));
}

TEST(ReimagePlan, NoNodesIsFinishedAtOnce) {
    EXPECT_TRUE(next_reimage_step({}, {}, 0).finished);
}

}  // namespace
}  // namespace si
