#include "common/agent_cmdline_keys.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "common/file_io.hpp"

namespace si {
namespace {

std::set<std::string> table_names() {
    std::set<std::string> out;
    for (const AgentCmdlineKey& k : agent_cmdline_keys()) {
        out.insert(std::string(k.name));
    }
    return out;
}

std::string read_source(const std::string& rel) {
    auto text = read_text_file(std::string(SI_SOURCE_DIR) + "/" + rel);
    EXPECT_TRUE(text) << rel;
    return text ? *text : "";
}

const std::string base = "BITTORRENT=y IMAGESERVER=10.0.0.1 IMAGENAME=img ";

// A value each integer and yes/no variable accepts that differs from its default.
std::string other_value(const AgentCmdlineKey& k) {
    switch (k.type) {
        case CmdlineType::yes_no:
            return "y";
        case CmdlineType::integer:
            return std::to_string(k.max);
        case CmdlineType::servers:
            return "10.0.0.9,10.0.0.8:7000";
        case CmdlineType::image_name:
            return "other";
        case CmdlineType::names:
            return "o1,o2";
        case CmdlineType::abs_path:
            return "/staging";
        case CmdlineType::disk_map:
            return "/dev/sda=/dev/vdb";
        case CmdlineType::host_name:
            return "node-1";
    }
    return "";
}

TEST(AgentCmdlineKeys, DefaultsAreAgentSettings) {
    auto plain = agent_settings_from(parse_kernel_cmdline(base));
    ASSERT_TRUE(plain);
    for (const AgentCmdlineKey& k : agent_cmdline_keys()) {
        if (k.type != CmdlineType::integer) {
            continue;
        }
        auto with = agent_settings_from(
            parse_kernel_cmdline(base + std::string(k.name) + "=" + std::string(k.default_value)));
        ASSERT_TRUE(with) << k.name << ": " << with.error().message;
        std::visit(
            [&](auto member) {
                EXPECT_EQ((*with).*member, (*plain).*member) << k.name;
                EXPECT_EQ(AgentSettings{}.*member, (*plain).*member) << k.name;
            },
            k.field);
    }
}

TEST(AgentCmdlineKeys, EachVariableLandsInItsField) {
    auto plain = agent_settings_from(parse_kernel_cmdline(base));
    ASSERT_TRUE(plain);
    for (const AgentCmdlineKey& k : agent_cmdline_keys()) {
        if (k.name == "BITTORRENT") {
            continue;  // on in `base` already
        }
        const std::string line = base + std::string(k.name) + "=" + other_value(k);
        auto with = agent_settings_from(parse_kernel_cmdline(line));
        ASSERT_TRUE(with) << line << ": " << with.error().message;
        std::visit([&](auto member) { EXPECT_NE((*with).*member, (*plain).*member) << k.name; },
                   k.field);
    }
}

TEST(AgentCmdlineKeys, IntegersOutOfRangeNameTheRange) {
    for (const AgentCmdlineKey& k : agent_cmdline_keys()) {
        if (k.type != CmdlineType::integer) {
            continue;
        }
        const auto bad = agent_settings_from(
            parse_kernel_cmdline(base + std::string(k.name) + "=" + std::to_string(k.max + 1)));
        ASSERT_FALSE(bad) << k.name;
        EXPECT_EQ(bad.error().message, "kernel command line: " + std::string(k.name) + ": '" +
                                           std::to_string(k.max + 1) + "' is not a number from " +
                                           std::to_string(k.min) + " to " + std::to_string(k.max));
    }
}

// si_btagent(8)'s KERNEL COMMAND LINE section has a .TP entry per variable, and no other.
TEST(AgentCmdlineKeys, TheManPageListsExactlyTheTablesVariables) {
    std::istringstream page(read_source("docs/man/si_btagent.8"));
    std::set<std::string> documented;
    bool in_section = false;
    bool after_tp = false;
    for (std::string line; std::getline(page, line);) {
        if (line.rfind(".SH", 0) == 0) {
            in_section = line == ".SH KERNEL COMMAND LINE";
            continue;
        }
        if (in_section && after_tp && line.rfind(".B ", 0) == 0) {
            documented.insert(line.substr(3));
        }
        after_tp = line == ".TP";
    }
    EXPECT_EQ(documented, table_names());
}

// The client HOWTO's table of si_btagent's variables (the first table whose rows start with
// `BITTORRENT`) has a row per variable, and no other.
TEST(AgentCmdlineKeys, TheClientHowtoTableListsExactlyTheTablesVariables) {
    std::istringstream howto(read_source("docs/client-howto.md"));
    std::set<std::string> documented;
    bool in_table = false;
    for (std::string line; std::getline(howto, line);) {
        if (line.rfind("| `BITTORRENT` |", 0) == 0) {
            in_table = true;
        }
        if (in_table) {
            if (line.rfind("| `", 0) != 0) {
                break;
            }
            documented.insert(line.substr(3, line.find('`', 3) - 3));
        }
    }
    EXPECT_EQ(documented, table_names());
}

}  // namespace
}  // namespace si
