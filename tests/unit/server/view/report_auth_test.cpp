// What an unauthenticated monitor report may do (server/view/report_auth.hpp): be shown, never
// prove an install, never hide a node that authenticates.
#include "server/view/report_auth.hpp"

#include <gtest/gtest.h>

#include "server/view/monitor_report.hpp"
#include "server/view/node_table.hpp"

namespace si {
namespace {

MonitorReport done_report(const std::string& auth) {
    auto r = parse_monitor_report(
        "mac=52.54.00.5e.00.33:os=demo:status=100:pieces=3/3:archive=end:overrides=0/0");
    EXPECT_TRUE(r.ok());
    r->auth = auth;
    return *r;
}

TEST(ReportAuth, OnlyAnAuthenticatedOrUncheckedReportProvesAnInstall) {
    EXPECT_TRUE(proves_install(done_report("")));
    EXPECT_TRUE(proves_install(done_report("ok")));
    EXPECT_FALSE(proves_install(done_report("none")));
    EXPECT_FALSE(proves_install(done_report("bad")));
}

TEST(ReportAuth, AnUnauthenticatedReportNeverReplacesAnAuthenticatedNode) {
    EXPECT_TRUE(take_report("ok", ""));
    EXPECT_TRUE(take_report("ok", "none"));
    EXPECT_TRUE(take_report("none", ""));
    EXPECT_TRUE(take_report("bad", "none"));
    EXPECT_TRUE(take_report("", ""));
    EXPECT_FALSE(take_report("none", "ok"));
    EXPECT_FALSE(take_report("bad", "ok"));
    EXPECT_TRUE(take_report("ok", "ok"));
}

TEST(ReportAuth, TheNodeShowsItsLatestReportsAuthAndKeepsItWhenSaved) {
    NodeTable t;
    ASSERT_TRUE(t.apply(done_report("ok"), "10.0.0.5", 100));
    ASSERT_TRUE(t.apply(done_report("none"), "10.0.0.6", 101));
    const NodeRecord& n = t.nodes().begin()->second;
    EXPECT_EQ(n.report.auth, "none");
    EXPECT_EQ(node_state(n, 102, 60), NodeState::unverified);
    NodeTable restored;
    ASSERT_TRUE(restored.load(t.save()).ok());
    EXPECT_EQ(restored.nodes().begin()->second.report.auth, "none");
}

TEST(ReportAuth, TheWireCannotClaimAuthButAnHmacFieldIsNoUnknownKey) {
    // The listener overwrites auth after parsing; the parser takes only the three words.
    auto r = parse_monitor_report("mac=52.54.00.5e.00.33:status=0:auth=maybe:hmac=00ff");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->auth, "");
    EXPECT_EQ(r->unknown_keys, 0);
}

}  // namespace
}  // namespace si
