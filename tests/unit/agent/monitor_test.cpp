#include "agent/monitor.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

NodeFacts node() {
    NodeFacts n;
    n.mac = "52.54.00.12.34.56";
    n.ip = "10.0.0.7";
    n.host = "node07";
    n.cpu = "Xeon";
    n.ncpus = 4;
    n.kernel = "6.1.0";
    n.mem_kb = 1024;
    return n;
}

TEST(MonitorLine, TheOriginalsFieldsFirst) {
    AgentReport r;
    r.status = 42;
    r.speed_kbs = 900;
    EXPECT_EQ(monitor_line(node(), "rocky9", 3, 60, r),
              "mac=52.54.00.12.34.56:ip=10.0.0.7:host=node07:cpu=Xeon:ncpus=4:kernel=6.1.0:"
              "mem=1024:os=rocky9:tmpfs=3:time=60:status=42:speed=900");
}

// MONITOR_CONSOLE=y: the log's last lines ride along, ' | ' between them, nothing that would
// end a field, and the last ones kept when they are long.
TEST(MonitorLine, TheConsoleKeepsItsLastLinesAndNoFieldSeparator) {
    AgentReport r;
    r.status = -6;
    r.console = {"si_btagent: installing image x", "warning: tracker: no answer"};
    const std::string line = monitor_line(node(), "x", 0, 1, r);
    EXPECT_NE(line.find(":log=si_btagent - installing image x | warning - tracker - no answer"),
              std::string::npos)
        << line;
    r.console.assign(200, std::string(40, 'a'));
    r.console.back() = "the last line";
    const std::string long_line = monitor_line(node(), "x", 0, 1, r);
    const std::string log = long_line.substr(long_line.find(":log=") + 5);
    EXPECT_LE(log.size(), max_console_bytes);
    EXPECT_EQ(log.substr(0, 3), "...");
    EXPECT_TRUE(log.ends_with("the last line")) << log;
    r.console.clear();
    EXPECT_EQ(monitor_line(node(), "x", 0, 1, r).find("log="), std::string::npos);
}

TEST(MonitorLine, TheProofAndHowTheNodeGotItsImage) {
    AgentReport r;
    r.status = monitor_status::imaged;
    r.phase = "done";
    r.proof = InstallProof{120, 120, true, 1, 1, 5000, 123456};
    for (const char* install : {"full", "held"}) {
        r.install = install;
        const std::string line = monitor_line(node(), "rocky9", 3, 60, r);
        EXPECT_NE(line.find(":status=100:speed=0:phase=done:pieces=120/120:archive=end:"
                            "overrides=1/1:entries=5000:bytes=123456:install=" +
                            std::string(install)),
                  std::string::npos)
            << line;
    }
    r.install.clear();
    EXPECT_EQ(monitor_line(node(), "rocky9", 3, 60, r).find("install="), std::string::npos);
}

}  // namespace
}  // namespace si
