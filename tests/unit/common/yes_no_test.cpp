#include "common/yes_no.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TEST(YesNo, YesInAnyCase) {
    for (const char* v : {"y", "Y", "yes", "YES", "Yes", "1"}) {
        EXPECT_EQ(parse_yes_no(v), std::optional<bool>(true)) << v;
    }
}

TEST(YesNo, NoInAnyCase) {
    for (const char* v : {"n", "N", "no", "NO", "0"}) {
        EXPECT_EQ(parse_yes_no(v), std::optional<bool>(false)) << v;
    }
}

TEST(YesNo, AnythingElseIsNeither) {
    for (const char* v : {"", "sometimes", "yes please", "2", " y", "true"}) {
        EXPECT_FALSE(parse_yes_no(v).has_value()) << v;
    }
}

}  // namespace
}  // namespace si
