#include "server/node_view.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "common/file_io.hpp"
#include "server/view/monitor_report.hpp"
#include "temp_dir.hpp"

namespace si {
namespace {

MonitorReport report(const std::string& line) {
    auto r = parse_monitor_report(line);
    EXPECT_TRUE(r) << line;
    return r ? *r : MonitorReport{};
}

const std::string mac = "mac=52.54.00.00.00.01";
const std::string proof = ":pieces=10/10:archive=end:overrides=1/1:entries=3:bytes=100";

// A view whose log goes to a file of its own, on a clock the test moves.
class NodeViewTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(dir.path().empty());
        log.set_stderr(false);
        ASSERT_TRUE(log.open_file(dir / "log"));
        monitor.enabled = false;
        monitor.state_file = dir / "nodes.json";
        netboot.nodes_file = dir / "nodes.conf";  // missing: no node listed
        netboot.config_dir = dir / "pxelinux.cfg";
        netboot.template_path = dir / "pxelinux.cfg/default";
    }
    std::unique_ptr<NodeView> make() {
        return std::make_unique<NodeView>(io, monitor, netboot, clock, counters, log);
    }
    std::string log_text() {
        auto t = read_text_file(dir / "log");
        return t ? *t : "";
    }

    test::TempDir dir;
    Logger log;
    boost::asio::io_context io;
    ManualClock clock;
    DaemonCounters counters;
    MonitorSettings monitor;
    NetbootSettings netboot;
};

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

// A node that turns stuck is logged once, with how long it was silent; its next report is
// logged too. A node that finished never turns stuck.
TEST_F(NodeViewTest, AStuckNodeIsLoggedOnceAndItsReturnToo) {
    auto view = make();
    view->on_report(report(mac + ":host=n1:status=40"), "10.0.0.5");
    view->on_report(report("mac=52.54.00.00.00.02:host=n2:status=100" + proof), "10.0.0.6");
    clock.advance(std::chrono::seconds(monitor.stuck_after_s - 1));
    view->check_stuck();
    EXPECT_EQ(count(log_text(), "is stuck"), 0u) << log_text();
    clock.advance(std::chrono::seconds(2));
    view->check_stuck();
    view->check_stuck();
    const std::string stuck = "n1 (52:54:00:00:00:01) at 10.0.0.5 is stuck: no report for " +
                              std::to_string(monitor.stuck_after_s + 1) + " s at 40 %";
    EXPECT_EQ(count(log_text(), stuck), 1u) << log_text();
    EXPECT_EQ(count(log_text(), "is stuck"), 1u) << log_text();
    view->on_report(report(mac + ":status=45"), "10.0.0.5");
    EXPECT_EQ(count(log_text(),
                    "n1 (52:54:00:00:00:01) at 10.0.0.5 reports again; it is "
                    "installing now"),
              1u)
        << log_text();
    view->check_stuck();
    EXPECT_EQ(count(log_text(), "reports again"), 1u) << log_text();
}

TEST_F(NodeViewTest, ReportsAreRecordedCountedAndAFinishIsLoggedOnce) {
    auto view = make();
    view->on_report(report(mac + ":host=n1:status=40"), "10.0.0.5");
    view->on_report(report(mac + ":status=100" + proof), "10.0.0.5");
    view->on_report(report(mac + ":status=100" + proof), "10.0.0.5");
    EXPECT_EQ(counters.reports_accepted, 3u);
    EXPECT_EQ(counters.reports_rejected, 0u);
    ASSERT_EQ(view->nodes().nodes().size(), 1u);
    const std::string text = log_text();
    const std::string line = "reports status 100 with the proof of a whole install";
    const auto first = text.find(line);
    ASSERT_NE(first, std::string::npos) << text;
    EXPECT_EQ(text.find(line, first + 1), std::string::npos) << text;
}

TEST_F(NodeViewTest, AFailureIsLoggedAsAWarningWithItsError) {
    auto view = make();
    view->on_report(report(mac + ":host=n1:status=-8:error=stalled"), "10.0.0.5");
    EXPECT_NE(log_text().find("n1 (52:54:00:00:00:01) at 10.0.0.5 failed, status -8: stalled"),
              std::string::npos)
        << log_text();
}

TEST_F(NodeViewTest, RejectsAreCountedAndTheirLinesSpacedOnTheClock) {
    auto view = make();
    view->on_reject("monitor report: no mac= field", "10.0.0.7");
    view->on_reject("monitor report: no mac= field", "10.0.0.7");
    view->on_reject("monitor report: no mac= field", "10.0.0.7");
    EXPECT_EQ(counters.reports_rejected, 3u);
    EXPECT_EQ(log_text().find("more since the last one"), std::string::npos);
    clock.advance(reject_log_interval);
    view->on_reject("monitor report: no mac= field", "10.0.0.8");
    EXPECT_NE(log_text().find("(from 10.0.0.8; dropped, and 2 more since the last one)"),
              std::string::npos)
        << log_text();
}

TEST_F(NodeViewTest, StatusCarriesTheClockTheStuckTimeAndTheTable) {
    monitor.stuck_after_s = 60;
    auto view = make();
    const std::int64_t t0 = view->now();
    clock.advance(std::chrono::seconds(30));
    StatusInput in = view->status();
    EXPECT_EQ(in.now, t0 + 30);
    EXPECT_EQ(in.stuck_after_s, 60);
    EXPECT_EQ(in.nodes, &view->nodes());
    EXPECT_EQ(in.listed, nullptr) << "no nodes file: no per-node boot";
    view->set_stuck_after(120);
    EXPECT_EQ(view->status().stuck_after_s, 120);
    EXPECT_NE(log_text().find("a node silent for 120 s is stuck (BT_MONITOR_STUCK)"),
              std::string::npos);
}

TEST_F(NodeViewTest, StopSavesTheTableAndTheNextRunRestoresIt) {
    {
        auto view = make();
        view->on_report(report(mac + ":host=n1:status=40"), "10.0.0.5");
        view->stop();
        view->on_report(report("mac=52.54.00.00.00.02:status=40"), "10.0.0.6");
        EXPECT_EQ(counters.reports_accepted, 1u) << "a report after stop is not taken";
    }
    auto next = make();
    next->restore();
    ASSERT_EQ(next->nodes().nodes().size(), 1u);
    EXPECT_NE(log_text().find("restored 1 node(s)"), std::string::npos) << log_text();
}

TEST_F(NodeViewTest, ABadSavedTableStartsEmptyWithAWarning) {
    std::ofstream(monitor.state_file) << "not json";
    auto view = make();
    view->restore();
    EXPECT_TRUE(view->nodes().empty());
    EXPECT_NE(log_text().find("starting with no nodes"), std::string::npos) << log_text();
}

TEST_F(NodeViewTest, MonitorOffIsSaidAndNothingListens) {
    auto view = make();
    view->start_listening();
    EXPECT_EQ(view->address(), "");
    EXPECT_NE(log_text().find("monitor: off (BT_MONITOR=n)"), std::string::npos);
}

}  // namespace
}  // namespace si
