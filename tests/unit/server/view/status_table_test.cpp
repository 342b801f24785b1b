#include "server/view/status_table.hpp"

#include <gtest/gtest.h>

#include "server/view/status_view.hpp"

namespace si {
namespace {

std::string sample_status() {
    static NodeTable nodes;
    nodes = NodeTable{};
    auto add = [](const std::string& line, const std::string& from, std::int64_t t) {
        auto r = parse_monitor_report(line);
        ASSERT_TRUE(r) << line;
        nodes.apply(*r, from, t);
    };
    add("mac=52.54.00.00.00.01:host=alpha:os=rhel:status=0", "10.0.0.1", 1000);
    add("mac=52.54.00.00.00.01:status=100:pieces=4/4:archive=end:overrides=1/1:entries=9:"
        "bytes=2048",
        "10.0.0.1", 1100);
    add("mac=52.54.00.00.00.02:host=bravo:os=rhel:status=50:speed=2048:up=100:peers=4", "10.0.0.2",
        1195);
    add("mac=52.54.00.00.00.03:host=charlie:os=rhel:status=-8:error=stalled", "10.0.0.3", 1150);
    add("mac=52.54.00.00.00.04:host=delta:os=other:status=30", "10.0.0.4", 1000);
    StatusInput in;
    in.now = 1200;
    in.nodes = &nodes;
    in.daemon.version = "9.9";
    in.daemon.started = 1000;
    return status_json(in, false);
}

TEST(StatusTable, NodesThatNeedTheOperatorComeFirst) {
    TableOptions opt;
    opt.width = 200;
    auto t = render_status_table(sample_status(), opt);
    ASSERT_TRUE(t) << t.error().message;
    const std::string& s = *t;
    const auto failed = s.find("charlie");
    const auto stuck = s.find("delta");
    const auto installing = s.find("bravo");
    const auto done = s.find("alpha");
    ASSERT_NE(failed, std::string::npos);
    EXPECT_LT(failed, stuck);
    EXPECT_LT(stuck, installing);
    EXPECT_LT(installing, done);
    EXPECT_NE(s.find("[#######.......]  50%"), std::string::npos) << s;
    EXPECT_NE(s.find("2.0 MB/s"), std::string::npos);
    EXPECT_NE(s.find("error -8: stalled"), std::string::npos);
    EXPECT_NE(s.find("verified: 4/4 pieces, archive end, 1/1 overrides, 9 entries, 2.0 KiB"),
              std::string::npos);
    EXPECT_NE(s.find("4 of 4 nodes: done 1, installing 1, stuck 1, failed 1"), std::string::npos);
    EXPECT_EQ(s.find("\033["), std::string::npos);  // no colour unless asked
}

TEST(StatusTable, FiltersAndColour) {
    TableOptions opt;
    opt.image = "other";
    auto t = render_status_table(sample_status(), opt);
    ASSERT_TRUE(t);
    EXPECT_NE(t->find("delta"), std::string::npos);
    EXPECT_EQ(t->find("alpha"), std::string::npos);
    opt.image.clear();
    opt.state = "failed";
    opt.color = true;
    t = render_status_table(sample_status(), opt);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->find("bravo"), std::string::npos);
    EXPECT_NE(t->find("\033[31mfailed"), std::string::npos);
}

std::size_t longest_line(const std::string& s) {
    std::size_t longest = 0;
    std::size_t start = 0;
    for (std::size_t nl = s.find('\n'); nl != std::string::npos; nl = s.find('\n', start)) {
        longest = std::max(longest, nl - start);
        start = nl + 1;
    }
    return longest;
}

TEST(StatusTable, EightyColumnsFitWithTheErrorOnItsOwnLine) {
    TableOptions opt;
    opt.width = 80;
    opt.url = "http://10.0.0.1:6969";
    auto t = render_status_table(sample_status(), opt);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_LE(longest_line(*t), 80u) << *t;
    EXPECT_NE(t->find("\n  error -8: stalled\n"), std::string::npos) << *t;
    EXPECT_NE(t->find("[#####.....]  50%"), std::string::npos) << *t;
    // Done nodes are proven: no proof line for them here.
    EXPECT_EQ(t->find("verified: 4/4"), std::string::npos) << *t;
    EXPECT_LT(t->find("charlie"), t->find("alpha"));
}

TEST(StatusTable, WidthZeroCutsNothing) {
    TableOptions opt;
    opt.width = 0;
    auto t = render_status_table(sample_status(), opt);
    ASSERT_TRUE(t);
    EXPECT_NE(t->find("verified: 4/4 pieces, archive end, 1/1 overrides, 9 entries, 2.0 KiB\n"),
              std::string::npos)
        << *t;
    opt.width = 140;  // narrow table below 144 columns: the MAC column goes
    t = render_status_table(sample_status(), opt);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->find("52:54:00:00:00:01"), std::string::npos) << *t;
    opt.width = 150;
    t = render_status_table(sample_status(), opt);
    ASSERT_TRUE(t);
    EXPECT_NE(t->find("52:54:00:00:00:01"), std::string::npos) << *t;
    EXPECT_LE(longest_line(*t), 150u) << *t;
}

// With a nodes file (issue 27), each node's boot file and target image, at any width.
std::string status_with_nodes_file() {
    static NodeTable nodes;
    nodes = NodeTable{};
    auto add = [](const std::string& line, std::int64_t t) {
        auto r = parse_monitor_report(line);
        ASSERT_TRUE(r) << line;
        nodes.apply(*r, "10.0.0.9", t);
    };
    const std::string proof = ":pieces=4/4:archive=end:overrides=1/1:entries=9:bytes=2048";
    add("mac=52.54.00.00.00.01:host=alpha:os=rhel:status=100" + proof, 1100);
    add("mac=52.54.00.00.00.02:host=bravo:os=rhel:status=100" + proof, 1100);
    add("mac=52.54.00.00.00.03:host=charlie:os=rhel2:status=40", 1190);
    add("mac=52.54.00.00.00.04:host=stray:os=rhel:status=100" + proof, 1100);
    static std::vector<NodeBootView> listed;
    listed = {{"52:54:00:00:00:01", "alpha", "rhel", "g1", "local", "rhel", 1100},
              {"52:54:00:00:00:02", "bravo", "rhel", "g1", "install", "rhel", 1150},
              {"52:54:00:00:00:03", "charlie", "rhel", "g2", "install", "rhel2", 1150}};
    StatusInput in;
    in.now = 1200;
    in.nodes = &nodes;
    in.listed = &listed;
    in.daemon.version = "9.9";
    in.daemon.started = 1000;
    return status_json(in, false);
}

// The text under (narrow) or at the end of (wide) the row of `host`.
std::string row_of(const std::string& table, const std::string& host, bool narrow) {
    const auto at = table.find("\n" + host + " ");
    if (at == std::string::npos) {
        return "";
    }
    auto end = table.find('\n', at + 1);
    if (narrow && table.compare(end + 1, 2, "  ") == 0) {
        end = table.find('\n', end + 1);
    }
    return table.substr(at + 1, end - at - 1);
}

TEST(StatusTable, ListedNodesShowTheirBootFileAndTargetImage) {
    for (int width : {0, 80}) {
        TableOptions opt;
        opt.width = width;
        auto t = render_status_table(status_with_nodes_file(), opt);
        ASSERT_TRUE(t) << t.error().message;
        const bool narrow = width == 80;
        // Done and booting its disk: nothing under it at 80 columns.
        const std::string alpha = row_of(*t, "alpha", narrow);
        EXPECT_EQ(alpha.find('\n'), std::string::npos) << *t;
        if (!narrow) {
            EXPECT_NE(alpha.find("[boot local rhel]"), std::string::npos) << *t;
        }
        // Done, but its file still installs (the switch to local boot did not happen).
        EXPECT_NE(row_of(*t, "bravo", narrow).find("[boot install rhel]"), std::string::npos) << *t;
        // Marked with another image than the nodes file's.
        EXPECT_NE(row_of(*t, "charlie", narrow).find("[boot install rhel2, target rhel]"),
                  std::string::npos)
            << *t;
        // A MAC the nodes file does not list.
        EXPECT_NE(row_of(*t, "stray", narrow).find("[unlisted]"), std::string::npos) << *t;
        EXPECT_NE(t->find("nodes file: 3 listed, boot install 2 local 1"), std::string::npos) << *t;
        if (narrow) {
            EXPECT_LE(longest_line(*t), 80u) << *t;
        }
    }
}

TEST(StatusTable, RefusesWhatIsNotAStatusDocument) {
    for (const char* bad : {"", "<html>", "[]", "{\"schema\":2,\"nodes\":[]}", "{\"nodes\":5}"}) {
        auto t = render_status_table(bad, TableOptions{});
        ASSERT_FALSE(t) << bad;
        EXPECT_EQ(t.error().message.rfind("not a si_btd status document", 0), 0u);
    }
}

}  // namespace
}  // namespace si
