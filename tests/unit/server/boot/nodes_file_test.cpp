#include "server/boot/nodes_file.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TEST(NodesFile, ReadsEveryColumnInAnySpellingWithCommentsAndBlankLines) {
    auto inv = parse_nodes_file(
        "# hostname MAC image group overrides\n"
        "\n"
        "node01  52:54:00:12:34:01  debian12  compute  site,compute   # the first\n"
        "node02\t52-54-00-12-34-02\tdebian12\n"
        "login1  52.54.00.12.34.03  login     -        site\n",
        "nodes.conf");
    ASSERT_TRUE(inv) << inv.error().message;
    ASSERT_EQ(inv->nodes.size(), 3u);
    const ListedNode& a = inv->nodes[0];
    EXPECT_EQ(a.hostname, "node01");
    EXPECT_EQ(a.mac, "52:54:00:12:34:01");
    EXPECT_EQ(a.image, "debian12");
    EXPECT_EQ(a.group, "compute");
    EXPECT_EQ(a.overrides, (std::vector<std::string>{"site", "compute"}));
    EXPECT_EQ(a.line, 3);
    EXPECT_EQ(inv->nodes[1].group, "");
    EXPECT_TRUE(inv->nodes[1].overrides.empty());
    EXPECT_EQ(inv->nodes[2].group, "");
    EXPECT_EQ(inv->nodes[2].overrides, (std::vector<std::string>{"site"}));
    EXPECT_EQ(inv->by_mac("52:54:00:12:34:02"), &inv->nodes[1]);
    EXPECT_EQ(inv->by_hostname("LOGIN1"), &inv->nodes[2]);
    EXPECT_EQ(inv->by_mac("52:54:00:12:34:09"), nullptr);
}

TEST(NodesFile, AnEmptyFileListsNoNode) {
    auto inv = parse_nodes_file("# nothing yet\n\n", "nodes.conf");
    ASSERT_TRUE(inv);
    EXPECT_TRUE(inv->nodes.empty());
}

struct BadLine {
    const char* text;
    const char* message;
};

TEST(NodesFile, EachBadLineIsNamedWithItsFileLineAndWhatIsWrong) {
    const BadLine cases[] = {
        {"node01 52:54:00:12:34:01\n",
         "nodes.conf:1: expected 'hostname MAC image [group "
         "[overrides]]', found 2 column(s)"},
        {"a b c d e f\n", "nodes.conf:1: expected"},
        {"\nnode_1 52:54:00:12:34:01 img\n", "nodes.conf:2: hostname 'node_1' is not a valid"},
        {"-node 52:54:00:12:34:01 img\n", "hostname '-node'"},
        {"node01 52:54:00:12:34 img\n", "nodes.conf:1: MAC '52:54:00:12:34' is not six hex pairs"},
        {"node01 52:54:00:12:34:01 ../etc\n", "image '../etc' is not a valid name"},
        {"node01 52:54:00:12:34:01 img gr/oup\n", "group 'gr/oup' is not a valid name"},
        {"node01 52:54:00:12:34:01 img g a,../b\n", "override '../b' is not a valid name"},
        {"node01 52:54:00:12:34:01 img\nnode02 52-54-00-12-34-01 img\n",
         "nodes.conf:2: MAC 52:54:00:12:34:01 is already listed on line 1"},
        {"node01 52:54:00:12:34:01 img\nNODE01 52:54:00:12:34:02 img\n",
         "nodes.conf:2: hostname NODE01 is already listed on line 1"},
    };
    for (const BadLine& c : cases) {
        auto inv = parse_nodes_file(c.text, "nodes.conf");
        ASSERT_FALSE(inv) << c.text;
        EXPECT_EQ(inv.error().kind, ErrorKind::config);
        EXPECT_NE(inv.error().message.find(c.message), std::string::npos)
            << inv.error().message << "\nwanted: " << c.message;
    }
}

TEST(NodesFile, AMissingFileListsNoNodeAndAnUnreadableOneIsAConfigError) {
    auto missing = load_nodes_file("/nonexistent/si-nodes.conf");
    ASSERT_TRUE(missing);
    EXPECT_TRUE(missing->nodes.empty());
    auto dir = load_nodes_file("/");
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().kind, ErrorKind::config);
}

TEST(Hostname, LabelsOfLettersDigitsAndDashes) {
    EXPECT_TRUE(is_valid_hostname("node01"));
    EXPECT_TRUE(is_valid_hostname("n1.rack-2.cluster"));
    EXPECT_FALSE(is_valid_hostname(""));
    EXPECT_FALSE(is_valid_hostname("a..b"));
    EXPECT_FALSE(is_valid_hostname("a."));
    EXPECT_FALSE(is_valid_hostname("node-"));
    EXPECT_FALSE(is_valid_hostname(std::string(64, 'a')));
    EXPECT_FALSE(is_valid_hostname("caf\xe9"));
}

}  // namespace
}  // namespace si
