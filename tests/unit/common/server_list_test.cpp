#include "common/server_list.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

using V = std::vector<ServerAddress>;

TEST(ServerList, OrderPortsAndDuplicates) {
    auto l = parse_server_list("10.0.0.2,10.0.0.1:7000 10.0.0.3, 10.0.0.2");
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_EQ(*l, (V{{"10.0.0.2", 0}, {"10.0.0.1", 7000}, {"10.0.0.3", 0}}));
    EXPECT_EQ(format_server_list(*l), "10.0.0.2, 10.0.0.1:7000, 10.0.0.3");
}

TEST(ServerList, OneServerIsTheOriginalForm) {
    auto l = parse_server_list("192.168.1.1");
    ASSERT_TRUE(l);
    EXPECT_EQ(*l, (V{{"192.168.1.1", 0}}));
    EXPECT_EQ(format_server((*l)[0]), "192.168.1.1");
}

TEST(ServerList, EmptyIsNoServers) {
    auto l = parse_server_list(" , ");
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->empty());
}

TEST(ServerList, RefusesNamesAndBadPorts) {
    auto name = parse_server_list("10.0.0.1,imageserver");
    ASSERT_FALSE(name);
    EXPECT_EQ(name.error().message, "'imageserver' is not an IPv4 address");
    EXPECT_EQ(name.error().kind, ErrorKind::config);
    for (const char* text : {"10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:", "10.0.0.1:x"}) {
        auto l = parse_server_list(text);
        ASSERT_FALSE(l) << text;
        EXPECT_NE(l.error().message.find("is not a port number (1-65535)"), std::string::npos)
            << l.error().message;
    }
    EXPECT_FALSE(parse_server_list("10.0.0.256"));
}

}  // namespace
}  // namespace si
