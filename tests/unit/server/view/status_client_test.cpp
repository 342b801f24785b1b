#include "server/view/status_client.hpp"

#include <gtest/gtest.h>

#include "server/tracker/announce_query.hpp"

namespace si {
namespace {

TEST(StatusClient, PercentEncodeKeepsOnlyUnreservedBytes) {
    EXPECT_EQ(percent_encode("n7"), "n7");
    EXPECT_EQ(percent_encode("52:54:00:aa:bb:cc"), "52%3A54%3A00%3Aaa%3Abb%3Acc");
    EXPECT_EQ(percent_encode("a b&c=d+e/%"), "a%20b%26c%3Dd%2Be%2F%25");
    EXPECT_EQ(percent_encode("node-1.rack_2~x"), "node-1.rack_2~x");
    EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
    // What si_btd decodes is what was encoded.
    for (const std::string s : {"ip:127.0.0.2", "a b+c", "x&node=y", "\xff\x01"}) {
        auto back = percent_decode(percent_encode(s));
        ASSERT_TRUE(back) << s;
        EXPECT_EQ(*back, s);
    }
}

TEST(StatusClient, ABadUrlIsAUsageError) {
    auto r = send_command("ftp://10.0.0.1:6969", "/nodes/forget?node=n7", "test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    r = send_command("http://10.0.0.1", "/nodes/forget?node=n7", "test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
}

}  // namespace
}  // namespace si
