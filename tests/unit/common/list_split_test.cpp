#include "common/list_split.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

using V = std::vector<std::string>;

TEST(ListSplit, CommasSpacesAndDuplicates) {
    EXPECT_EQ(split_list("a,b,c").items, (V{"a", "b", "c"}));
    EXPECT_FALSE(split_list("a,b,c").had_spaces);
    EXPECT_EQ(split_list("a, b ,c").items, (V{"a", "b", "c"}));
    EXPECT_TRUE(split_list("a, b").had_spaces);
    EXPECT_EQ(split_list("a b\tc").items, (V{"a", "b", "c"}));
    EXPECT_EQ(split_list(",,a,,a,").items, (V{"a"}));
    EXPECT_TRUE(split_list("").items.empty());
}

}  // namespace
}  // namespace si
