#include "agent/wanted_pieces_plugin.hpp"

#include <gtest/gtest.h>

#include "common/wanted_pieces_message.hpp"

namespace si {
namespace {

std::vector<lt::download_priority_t> priorities(std::initializer_list<int> p) {
    std::vector<lt::download_priority_t> out;
    for (int v : p) {
        out.emplace_back(static_cast<std::uint8_t>(v));
    }
    return out;
}

TEST(WantedPieces, NothingToSendBeforeThePlan) {
    WantedPieces w;
    std::uint64_t seen = 0;
    EXPECT_FALSE(w.newer_than(seen).has_value());
}

TEST(WantedPieces, APieceIsWantedUnlessItsPriorityIsDontDownload) {
    WantedPieces w;
    w.publish(priorities({0, 4, 1, 0, 7}));
    std::uint64_t seen = 0;
    auto payload = w.newer_than(seen);
    ASSERT_TRUE(payload.has_value());
    auto wanted = decode_wanted_pieces(std::span<const char>(payload->data(), payload->size()), 5);
    ASSERT_TRUE(wanted.has_value());
    EXPECT_EQ(*wanted, (std::vector<bool>{false, true, true, false, true}));
}

TEST(WantedPieces, EachChangeIsSentOnceAndARepeatIsNoChange) {
    WantedPieces w;
    std::uint64_t seen = 0;
    w.publish(priorities({0, 0, 4}));  // the trailer
    ASSERT_TRUE(w.newer_than(seen).has_value());
    EXPECT_FALSE(w.newer_than(seen).has_value());
    w.publish(priorities({0, 0, 4}));  // the same wanted set, published again
    EXPECT_FALSE(w.newer_than(seen).has_value());
    w.publish(priorities({4, 0, 4}));  // the plan
    auto payload = w.newer_than(seen);
    ASSERT_TRUE(payload.has_value());
    EXPECT_EQ(static_cast<unsigned char>((*payload)[0]), 0xA0);
    // another connection, which saw nothing yet, gets the newest at once
    std::uint64_t other = 0;
    EXPECT_EQ(w.newer_than(other), payload);
}

}  // namespace
}  // namespace si
