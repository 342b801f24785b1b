#include "server/boot/power_command.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

const PowerTarget node{"node01", "52:54:00:12:34:01", "debian12", "compute"};

TEST(PowerCommand, PlaceholdersBecomeQuotedValues) {
    auto cmd =
        expand_power_command("ipmitool -H %h-ipmi chassis power cycle # %m %i %g 100%%", node);
    ASSERT_TRUE(cmd) << cmd.error().message;
    EXPECT_EQ(*cmd,
              "ipmitool -H 'node01'-ipmi chassis power cycle # '52:54:00:12:34:01' 'debian12' "
              "'compute' 100%");
}

TEST(PowerCommand, AValueCannotAddACommand) {
    PowerTarget evil = node;
    evil.group = "x'; rm -rf /; '";
    auto cmd = expand_power_command("echo %g", evil);
    ASSERT_TRUE(cmd);
    EXPECT_EQ(*cmd, "echo 'x'\\''; rm -rf /; '\\'''");
}

TEST(PowerCommand, UnknownPlaceholdersAndATrailingPercentAreRefused) {
    for (const char* t : {"reboot %x", "reboot %"}) {
        auto cmd = expand_power_command(t, node);
        ASSERT_FALSE(cmd) << t;
        EXPECT_EQ(cmd.error().kind, ErrorKind::config);
        EXPECT_NE(cmd.error().message.find("BT_POWER_COMMAND"), std::string::npos);
    }
}

}  // namespace
}  // namespace si
