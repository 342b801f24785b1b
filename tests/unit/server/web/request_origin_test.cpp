#include "server/web/request_origin.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

using boost::asio::ip::make_address;

TEST(RequestOrigin, LoopbackIsThisHost) {
    EXPECT_TRUE(from_this_host(make_address("127.0.0.1"), make_address("127.0.0.1")));
    EXPECT_TRUE(from_this_host(make_address("127.0.0.5"), make_address("10.0.0.1")));
    EXPECT_TRUE(from_this_host(make_address("::1"), make_address("::1")));
    EXPECT_TRUE(from_this_host(make_address("::ffff:127.0.0.1"), make_address("::ffff:10.0.0.1")));
}

TEST(RequestOrigin, TheInterfaceAddressItselfIsThisHost) {
    // si_btstatus on the server connects to BT_INTERFACE's address, and comes from it.
    EXPECT_TRUE(from_this_host(make_address("10.0.0.1"), make_address("10.0.0.1")));
    EXPECT_TRUE(from_this_host(make_address("::ffff:10.0.0.1"), make_address("10.0.0.1")));
}

TEST(RequestOrigin, ANodeIsNot) {
    EXPECT_FALSE(from_this_host(make_address("10.0.0.7"), make_address("10.0.0.1")));
    EXPECT_FALSE(from_this_host(make_address("::ffff:10.0.0.7"), make_address("::ffff:10.0.0.1")));
    EXPECT_FALSE(from_this_host(make_address("fe80::1"), make_address("fe80::2")));
    EXPECT_FALSE(from_this_host(make_address("0.0.0.0"), make_address("0.0.0.0")));
}

}  // namespace
}  // namespace si
