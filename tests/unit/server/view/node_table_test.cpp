#include "server/view/node_table.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

MonitorReport report(const std::string& line) {
    auto r = parse_monitor_report(line);
    EXPECT_TRUE(r) << line;
    return r ? *r : MonitorReport{};
}

const std::string mac = "mac=52.54.00.00.00.01";
const std::string proof = ":pieces=10/10:archive=end:overrides=1/1:entries=3:bytes=100";

TEST(NodeTable, LaterReportsKeepFieldsTheyDoNotCarry) {
    NodeTable t;
    ASSERT_TRUE(t.apply(report(mac + ":host=n1:os=img:status=0"), "10.0.0.5", 1000));
    ASSERT_TRUE(t.apply(report(mac + ":status=40:speed=900"), "10.0.0.5", 1010));
    const NodeRecord& n = t.nodes().at("52:54:00:00:00:01");
    EXPECT_EQ(n.report.host, "n1");
    EXPECT_EQ(n.report.os, "img");
    EXPECT_EQ(n.report.status, 40);
    EXPECT_EQ(n.first_seen, 1000);
    EXPECT_EQ(n.started, 1000);
    EXPECT_EQ(n.last_report, 1010);
    ASSERT_EQ(n.history.size(), 2u);
    EXPECT_EQ(n.history.back().down_kbs, 900);
    EXPECT_EQ(node_state(n, 1011, 60), NodeState::installing);
    EXPECT_EQ(node_percent(n), 40);
}

TEST(NodeTable, SilentInstallIsStuckButAFinishedOneIsNot) {
    NodeTable t;
    t.apply(report(mac + ":status=40"), "a", 1000);
    const NodeRecord& n = t.nodes().begin()->second;
    EXPECT_EQ(node_state(n, 1060, 60), NodeState::installing);
    EXPECT_EQ(node_state(n, 1061, 60), NodeState::stuck);
    t.apply(report(mac + ":status=100" + proof), "a", 1070);
    EXPECT_EQ(node_state(n, 99999, 60), NodeState::done);
    EXPECT_EQ(n.finished, 1070);
}

TEST(NodeTable, HundredWithoutProofIsNotDone) {
    NodeTable t;
    t.apply(report(mac + ":status=100"), "a", 1000);
    const NodeRecord& n = t.nodes().begin()->second;
    EXPECT_EQ(node_state(n, 1000, 60), NodeState::unverified);
    // Each part of the proof is needed.
    for (const char* partial :
         {":pieces=9/10:archive=end:overrides=1/1", ":pieces=10/10:overrides=1/1",
          ":pieces=10/10:archive=end:overrides=0/1", ":pieces=10/10:archive=end",
          ":pieces=0/0:archive=end:overrides=0/0"}) {
        NodeTable u;
        u.apply(report(mac + ":status=100" + partial), "a", 1000);
        EXPECT_EQ(node_state(u.nodes().begin()->second, 1000, 60), NodeState::unverified)
            << partial;
    }
}

TEST(NodeTable, NegativeStatusIsFailed) {
    NodeTable t;
    t.apply(report(mac + ":status=30"), "a", 1000);
    t.apply(report(mac + ":status=-8:error=stalled"), "a", 1010);
    const NodeRecord& n = t.nodes().begin()->second;
    EXPECT_EQ(node_state(n, 5000, 60), NodeState::failed);
    EXPECT_EQ(n.report.error, "stalled");
    EXPECT_EQ(n.finished, 1010);
}

TEST(NodeTable, StatusZeroStartsANewInstall) {
    NodeTable t;
    t.apply(report(mac + ":status=100:speed=5" + proof), "a", 1000);
    t.apply(report(mac + ":status=0"), "a", 2000);
    const NodeRecord& n = t.nodes().begin()->second;
    EXPECT_EQ(node_state(n, 2001, 60), NodeState::installing);
    EXPECT_FALSE(n.report.pieces_total);
    EXPECT_FALSE(n.report.archive_end);
    EXPECT_EQ(n.started, 2000);
    EXPECT_EQ(n.finished, 0);
    EXPECT_EQ(n.first_seen, 1000);
    EXPECT_EQ(n.history.size(), 1u);
}

TEST(NodeTable, HistoryAndNodeCountAreBounded) {
    NodeTable t;
    for (std::size_t i = 0; i < max_node_samples + 50; ++i) {
        t.apply(report(mac + ":status=5"), "a", static_cast<std::int64_t>(1000 + i));
    }
    EXPECT_EQ(t.nodes().begin()->second.history.size(), max_node_samples);
    NodeTable many;
    char line[64];
    for (std::size_t i = 0; i < max_nodes; ++i) {
        std::snprintf(line, sizeof line, "mac=02.00.00.%02zx.%02zx.%02zx:status=1", i >> 16,
                      (i >> 8) & 0xff, i & 0xff);
        ASSERT_TRUE(many.apply(report(line), "a", 1));
    }
    EXPECT_FALSE(many.apply(report("mac=02.ff.ff.ff.ff.ff:status=1"), "a", 1));
    EXPECT_TRUE(many.apply(report("mac=02.00.00.00.00.00:status=2"), "a", 1));  // known: kept
    EXPECT_EQ(many.nodes().size(), max_nodes);
}

TEST(NodeTable, SaveThenLoadKeepsEverything) {
    NodeTable t;
    t.apply(report(mac + ":host=n1:os=img:status=0"), "10.0.0.5", 1000);
    t.apply(report(mac + ":status=100:up=7" + proof), "10.0.0.5", 1100);
    t.apply(report("mac=52.54.00.00.00.02:status=-9:error=no room"), "10.0.0.6", 1200);
    NodeTable back;
    ASSERT_TRUE(back.load(t.save()));
    EXPECT_EQ(back.save(), t.save());
    const NodeRecord& n = back.nodes().at("52:54:00:00:00:01");
    EXPECT_EQ(node_state(n, 5000, 60), NodeState::done);
    EXPECT_EQ(n.from, "10.0.0.5");
    EXPECT_EQ(n.history.size(), 2u);
    EXPECT_EQ(node_state(back.nodes().at("52:54:00:00:00:02"), 5000, 60), NodeState::failed);
}

TEST(NodeTable, BadSnapshotsChangeNothing) {
    NodeTable t;
    t.apply(report(mac + ":status=3"), "a", 1);
    const std::string before = t.save();
    for (const std::string& bad :
         {std::string("garbage"), std::string("[]"), std::string("{\"version\":7,\"nodes\":[]}"),
          std::string("{\"version\":1}"),
          std::string("{\"version\":1,\"nodes\":[{\"report\":\"no mac\"}]}"),
          std::string("{\"version\":1,\"nodes\":[{\"report\":\"mac=00.00.00.00.00.01\"}]}"),
          std::string("{\"version\":1,\"nodes\":[{\"report\":5}]}")}) {
        auto st = t.load(bad);
        EXPECT_FALSE(st) << bad;
        EXPECT_EQ(t.save(), before) << bad;
    }
}

}  // namespace
}  // namespace si

namespace si {
namespace {

TEST(NodeTable, ForgetTakesAMacInAnySpellingANameOrAnAddress) {
    NodeTable t;
    t.apply(report("mac=52.54.00.00.00.01:host=n1:ip=10.0.0.5:status=40"), "10.0.0.5", 1000);
    t.apply(report("mac=52.54.00.00.00.02:host=n2:ip=10.0.0.6:status=40"), "10.0.0.6", 1000);
    t.apply(report("mac=52.54.00.00.00.03:host=n3:status=100" + proof), "10.0.0.7", 1000);
    t.apply(report("mac=00:00:00:00:00:00:host=lo:status=10"), "127.0.0.2", 1000);
    EXPECT_TRUE(t.forget("").empty());
    EXPECT_TRUE(t.forget("n9").empty());
    EXPECT_TRUE(t.forget("52:54:00:00:00:09").empty());
    EXPECT_EQ(t.nodes().size(), 4u);

    EXPECT_EQ(t.forget("52-54-00-00-00-01"), std::vector<std::string>{"52:54:00:00:00:01"});
    EXPECT_EQ(t.forget("n2"), std::vector<std::string>{"52:54:00:00:00:02"});
    EXPECT_EQ(t.forget("10.0.0.7"), std::vector<std::string>{"52:54:00:00:00:03"});
    EXPECT_EQ(t.forget("ip:127.0.0.2"), std::vector<std::string>{"ip:127.0.0.2"});
    EXPECT_TRUE(t.empty());

    // A forgotten node that reports again starts a new record.
    t.apply(report("mac=52.54.00.00.00.01:host=n1:status=50"), "10.0.0.5", 2000);
    EXPECT_EQ(t.nodes().at("52:54:00:00:00:01").first_seen, 2000);
    EXPECT_EQ(t.nodes().at("52:54:00:00:00:01").history.size(), 1u);
}

TEST(NodeTable, ForgetDropsEveryNodeANameMatches) {
    NodeTable t;
    t.apply(report("mac=52.54.00.00.00.01:host=spare:status=40"), "10.0.0.5", 1000);
    t.apply(report("mac=52.54.00.00.00.02:host=spare:status=40"), "10.0.0.6", 1000);
    t.apply(report("mac=52.54.00.00.00.03:host=n3:status=40"), "10.0.0.7", 1000);
    EXPECT_EQ(t.forget("spare"),
              (std::vector<std::string>{"52:54:00:00:00:01", "52:54:00:00:00:02"}));
    EXPECT_EQ(t.nodes().size(), 1u);
    // The saved table no longer holds them.
    NodeTable restored;
    ASSERT_TRUE(restored.load(t.save()));
    EXPECT_EQ(restored.nodes().size(), 1u);
    EXPECT_TRUE(restored.nodes().contains("52:54:00:00:00:03"));
}

TEST(NodeTable, NodesWithoutAMacAreKnownByTheirAddress) {
    NodeTable t;
    t.apply(report("mac=00.00.00.00.00.00:ip=127.0.0.2:status=5"), "127.0.0.2", 1);
    t.apply(report("mac=00.00.00.00.00.00:ip=127.0.0.3:status=6"), "127.0.0.3", 1);
    t.apply(report("mac=00.00.00.00.00.00:status=7"), "127.0.0.4", 1);
    ASSERT_EQ(t.nodes().size(), 3u);
    EXPECT_TRUE(t.nodes().contains("ip:127.0.0.2"));
    EXPECT_TRUE(t.nodes().contains("ip:127.0.0.4"));
    NodeTable back;
    ASSERT_TRUE(back.load(t.save()));
    EXPECT_EQ(back.nodes().size(), 3u);
}

TEST(NodeTable, AReportThatIsNotUtf8IsSavedAsValidJson) {
    NodeTable t;
    ASSERT_TRUE(t.apply(report(mac + ":host=caf\xe9:status=-11:error=open /a/donn\xe9"
                                     "es (EIO)"),
                        "10.0.0.5", 1000));
    const std::string saved = t.save();  // threw a JSON type error before (issue 29)
    NodeTable u;
    ASSERT_TRUE(u.load(saved)) << saved;
    EXPECT_EQ(u.nodes().begin()->second.report.host, "caf\xef\xbf\xbd");
    EXPECT_EQ(u.nodes().begin()->second.report.error,
              "open /a/donn\xef\xbf\xbd"
              "es (EIO)");
}

// A server clock stepped back (issue 29): ages are never negative, and a restored node that
// stays silent still turns stuck.
TEST(NodeTable, AgesAreNeverNegative) {
    EXPECT_EQ(age_s(1000, 1010), 10);
    EXPECT_EQ(age_s(1000, 1000), 0);
    EXPECT_EQ(age_s(1000, 10), 0);
    EXPECT_EQ(age_s(std::int64_t{1} << 40, -(std::int64_t{1} << 40)), 0);
    NodeTable t;
    t.apply(report(mac + ":status=40"), "a", 1'900'000'000);
    const NodeRecord& n = t.nodes().begin()->second;
    // Five years earlier by the clock: installing, with an age of 0, not -157787975.
    EXPECT_EQ(node_state(n, 1'900'000'000 - 157'787'975, 60), NodeState::installing);
}

TEST(NodeTable, ClampToTakesTimesAfterNowAsNow) {
    NodeTable t;
    t.apply(report(mac + ":status=0"), "a", 1'900'000'000);
    t.apply(report(mac + ":status=40"), "a", 1'900'000'100);
    NodeTable restored;
    ASSERT_TRUE(restored.load(t.save()));
    const std::int64_t now = 1'700'000'000;  // the clock was stepped back since
    EXPECT_EQ(restored.clamp_to(now), 200'000'100);
    const NodeRecord& n = restored.nodes().begin()->second;
    EXPECT_EQ(n.last_report, now);
    EXPECT_EQ(n.started, now);
    EXPECT_EQ(n.first_seen, now);
    for (const NodeSample& s : n.history) {
        EXPECT_EQ(s.time, now);
    }
    EXPECT_EQ(node_state(n, now + 60, 60), NodeState::installing);
    EXPECT_EQ(node_state(n, now + 61, 60), NodeState::stuck);
    EXPECT_EQ(restored.clamp_to(now + 100), 0);  // nothing ahead any more
}

}  // namespace
}  // namespace si
