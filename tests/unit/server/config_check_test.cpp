#include "server/config_check.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack_test_util.hpp"

namespace si {
namespace {

using test::TempDir;
using test::write_file;

ServerSettings three_ports(std::uint16_t tracker, std::uint16_t seeder, std::uint16_t monitor,
                           bool monitor_on = true) {
    ServerSettings s;
    s.tracker.port = tracker;
    s.seeder.port = seeder;
    s.monitor.port = monitor;
    s.monitor.enabled = monitor_on;
    return s;
}

TEST(PortClashes, DistinctPortsAreFine) {
    EXPECT_TRUE(port_clashes(three_ports(6969, 6881, 8181), "bt.conf").empty());
}

TEST(PortClashes, EachClashNamesBothKeys) {
    EXPECT_EQ(
        port_clashes(three_ports(6969, 6969, 8181), "bt.conf"),
        std::vector<std::string>{"bt.conf: BT_SEEDER_PORT: port 6969 is also BT_TRACKER_PORT"});
    EXPECT_EQ(
        port_clashes(three_ports(6969, 6881, 6881), "bt.conf"),
        std::vector<std::string>{"bt.conf: BT_MONITOR_PORT: port 6881 is also BT_SEEDER_PORT"});
    EXPECT_EQ(port_clashes(three_ports(1, 1, 1), "f").size(), 3u);
}

TEST(PortClashes, AMonitorThatIsOffTakesNoPort) {
    EXPECT_TRUE(port_clashes(three_ports(6969, 6881, 6969, false), "bt.conf").empty());
}

TEST(UnwritableFile, AMissingFileUnderMissingDirectoriesIsFine) {
    TempDir t;
    EXPECT_EQ(unwritable_file_reason(t / "a/b/c.log"), "");
    EXPECT_FALSE(std::filesystem::exists(t / "a")) << "the check must create nothing";
}

TEST(UnwritableFile, AnExistingFileIsFine) {
    TempDir t;
    write_file(t / "x.log", "old\n");
    EXPECT_EQ(unwritable_file_reason(t / "x.log"), "");
}

TEST(UnwritableFile, ADirectoryASymlinkOrAFileInTheWayAreNot) {
    TempDir t;
    std::filesystem::create_directories(t / "dir");
    EXPECT_EQ(unwritable_file_reason(t / "dir"), t / "dir is not a regular file");
    std::filesystem::create_symlink(t / "dir", t / "link");
    EXPECT_EQ(unwritable_file_reason(t / "link"), t / "link is a symbolic link");
    write_file(t / "file", "");
    EXPECT_EQ(unwritable_file_reason(t / "file/sub/x.log"), t / "file is not a directory");
}

TEST(UnwritableFile, ADirectoryWithoutWritePermission) {
    TempDir t;
    std::filesystem::create_directories(t / "ro");
    ::chmod((t / "ro").c_str(), 0555);
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root writes anywhere";
    }
    EXPECT_EQ(unwritable_file_reason(t / "ro/x.log"), t / "ro: Permission denied");
}

class CheckServerConfig : public ::testing::Test {
  protected:
    void write_confs(const std::string& extra) {
        write_file(bt, "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=" + (t / "state/dstate") +
                           "\nBT_TRACKER_LOG=" + (t / "log/bt.log") +
                           "\nBT_INTERFACE=127.0.0.1\nBT_IMAGES=demo\n" + extra);
        write_file(si, "DEFAULT_IMAGE_DIR = " + (t / "images") + "\n");
        std::filesystem::create_directories(t / "images/demo");
    }
    TempDir t;
    std::string bt = t / "bittorrent.conf";
    std::string si = t / "systemimager.conf";
};

TEST_F(CheckServerConfig, AGoodConfigurationHasNoProblemAndMakesNothing) {
    write_confs("");
    const ConfigCheck c = check_server_config(bt, si);
    EXPECT_TRUE(c.problems.empty()) << c.problems.front().message;
    EXPECT_FALSE(std::filesystem::exists(t / "log"));
    EXPECT_FALSE(std::filesystem::exists(t / "state"));
}

TEST_F(CheckServerConfig, ABadValueIsTheStartsOwnLine) {
    write_confs("BT_COMPRESS=maybe\n");
    const ConfigCheck c = check_server_config(bt, si);
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_EQ(c.problems[0].kind, ErrorKind::config);
    EXPECT_EQ(c.problems[0].message, bt + ":6: BT_COMPRESS: 'maybe' is not one of y, n, zstd");
}

TEST_F(CheckServerConfig, EveryLaterProblemIsListed) {
    write_confs("BT_SEEDER_PORT=6969\n");
    write_file(t / "log/bt.log/x", "");  // BT_TRACKER_LOG is a directory
    write_file(t / "state", "");         // BT_TRACKER_STATE's directory is a file
    const ConfigCheck c = check_server_config(bt, si);
    ASSERT_EQ(c.problems.size(), 3u);
    EXPECT_EQ(c.problems[0].message, bt + ": BT_SEEDER_PORT: port 6969 is also BT_TRACKER_PORT");
    EXPECT_EQ(c.problems[1].message,
              bt + ": BT_TRACKER_LOG: " + (t / "log/bt.log") + " is not a regular file");
    EXPECT_EQ(c.problems[2].message,
              bt + ": BT_TRACKER_STATE: " + (t / "state") + " is not a directory");
}

TEST_F(CheckServerConfig, AMissingImageTreeIsAWarning) {
    write_confs("BT_IMAGES=demo,gone\n");
    const ConfigCheck c = check_server_config(bt, si);
    EXPECT_TRUE(c.problems.empty());
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_EQ(c.warnings[0],
              "image gone: " + (t / "images/gone") + " is not a directory (it would be skipped)");
}

TEST_F(CheckServerConfig, AnUnknownInterfaceIsAnAddressProblem) {
    write_confs("BT_INTERFACE=nosuch0\n");
    const ConfigCheck c = check_server_config(bt, si);
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_EQ(c.problems[0].kind, ErrorKind::address);
}

}  // namespace
}  // namespace si
