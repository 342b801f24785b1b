#include "common/shell_conf.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

ShellConf parse_ok(std::string_view text) {
    auto r = parse_shell_conf(text, "test.conf");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : ShellConf{};
}

std::string value_of(std::string_view text, std::string_view key) {
    ShellConf c = parse_ok(text);
    const Assignment* a = c.find(key);
    return a != nullptr ? a->value : "<unset>";
}

TEST(ShellConf, CommentsBlankLinesAndLineNumbers) {
    ShellConf c = parse_ok("# comment\n\n   # indented comment\nA=1\n\nB=two # trailing\n");
    ASSERT_EQ(c.assignments.size(), 2u);
    EXPECT_EQ(c.assignments[0].key, "A");
    EXPECT_EQ(c.assignments[0].value, "1");
    EXPECT_EQ(c.assignments[0].line, 4);
    EXPECT_EQ(c.assignments[1].value, "two");
    EXPECT_EQ(c.assignments[1].line, 6);
    EXPECT_TRUE(c.warnings.empty());
}

TEST(ShellConf, ByteOrderMarkIsSkippedWithAWarning) {
    ShellConf c = parse_ok("\xEF\xBB\xBF# SystemImager BitTorrent configuration\nBT_IMAGES=x\n");
    EXPECT_EQ(c.find("BT_IMAGES")->value, "x");
    ASSERT_EQ(c.warnings.size(), 1U);
    EXPECT_EQ(c.warnings[0], "test.conf:1: UTF-8 byte-order mark at the start (ignored)");
}

TEST(ShellConf, InvisibleBytesAreNamedInErrors) {
    auto r = parse_shell_conf(
        "BT_IMAGES=x\n\xC2\xA0"
        "BT_COMPRESS=y\n",
        "test.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "test.conf:2: not a KEY=value line: '\\xc2\\xa0BT_COMPRESS=y'");
}

TEST(ShellConf, CommentedAssignmentIsNotRead) {
    // The original's grep matched "#BT_IMAGES=x"; a shell does not.
    EXPECT_EQ(value_of("#BT_IMAGES=old\nBT_IMAGES=new\n", "BT_IMAGES"), "new");
    EXPECT_EQ(value_of("  # BT_IMAGES=old\n", "BT_IMAGES"), "<unset>");
}

TEST(ShellConf, Quotes) {
    EXPECT_EQ(value_of("A='a b # c'\n", "A"), "a b # c");
    EXPECT_EQ(value_of("A=\"x \\\"y\\\" \\$z\"\n", "A"), "x \"y\" $z");
    EXPECT_EQ(value_of("A=ab'c d'\"e\"f\n", "A"), "abc def");
    EXPECT_EQ(value_of("A=''\n", "A"), "");
    EXPECT_EQ(value_of("A=\n", "A"), "");
    EXPECT_EQ(value_of("A=a\\ b\n", "A"), "a b");
    EXPECT_EQ(value_of("A=a#b\n", "A"), "a#b");  // '#' inside a word is not a comment
}

TEST(ShellConf, ExportCrlfAndContinuation) {
    EXPECT_EQ(value_of("export A=1\r\n", "A"), "1");
    ShellConf c = parse_ok("A=one,\\\ntwo\nB=3\n");
    EXPECT_EQ(c.find("A")->value, "one,two");
    EXPECT_EQ(c.find("B")->line, 3);
}

TEST(ShellConf, ExpansionOfEarlierKeys) {
    EXPECT_EQ(value_of("D=/var/log\nL=$D/bt.log\n", "L"), "/var/log/bt.log");
    EXPECT_EQ(value_of("D=/x\nL=\"${D}/y\"\n", "L"), "/x/y");
    EXPECT_EQ(value_of("L='$D'\n", "L"), "$D");
    EXPECT_EQ(value_of("L=$UNSET/y\n", "L"), "/y");
}

TEST(ShellConf, LastAssignmentWins) {
    ShellConf c = parse_ok("A=1\nA=2\n");
    EXPECT_EQ(c.find("A")->value, "2");
    EXPECT_EQ(c.find("A")->line, 2);
}

TEST(ShellConf, UnquotedSpacesAreKeptWithAWarning) {
    ShellConf c = parse_ok("BT_IMAGES=a, b,c\n");
    EXPECT_EQ(c.find("BT_IMAGES")->value, "a, b,c");
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_NE(c.warnings[0].find("test.conf:1: BT_IMAGES"), std::string::npos);
}

TEST(ShellConf, ErrorsNameFileAndLine) {
    auto r = parse_shell_conf("A=1\nBT_PORT = 6969\n", "x.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("x.conf:2:"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("no spaces around '='"), std::string::npos);

    r = parse_shell_conf("\n\nA='open\n", "x.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("x.conf:3: A: unterminated single quote"), std::string::npos)
        << r.error().message;

    r = parse_shell_conf("A=\"open\n", "x.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("unterminated double quote"), std::string::npos);

    r = parse_shell_conf("1A=x\n", "x.conf");
    ASSERT_FALSE(r.ok());
    r = parse_shell_conf("just words\n", "x.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("x.conf:1: not a KEY=value line"), std::string::npos);
}

TEST(ShellConf, CrlfAndLfLineEndsGiveTheSameResult) {
    // A file read in one go must not depend on where lines end: join with \n or \r\n.
    ShellConf a = parse_ok("A=1\nB='x y'\n");
    ShellConf b = parse_ok("A=1\r\nB='x y'\r\n");
    ASSERT_EQ(a.assignments.size(), b.assignments.size());
    for (size_t i = 0; i < a.assignments.size(); ++i) {
        EXPECT_EQ(a.assignments[i].value, b.assignments[i].value);
    }
}

TEST(ShellConf, LoadMissingFileNamesIt) {
    auto r = load_shell_conf("/nonexistent/bittorrent.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "/nonexistent/bittorrent.conf: No such file or directory");
}

}  // namespace
}  // namespace si
