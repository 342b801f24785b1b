#include "server/config/server_settings.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

BtConfig parse(const std::string& text) {
    auto conf = parse_shell_conf(
        "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/var/state/dstate\nBT_TRACKER_LOG=/tmp/bt.log\n" +
            text,
        "bittorrent.conf");
    EXPECT_TRUE(conf.ok());
    auto bt = bt_config_from(*conf);
    EXPECT_TRUE(bt.ok()) << bt.error().message;
    return *bt;
}

TEST(ServerSettings, JobsAndAnnounce) {
    ServerDirs dirs;
    dirs.tarball_dir = "/t";
    dirs.torrent_dir = "/r";
    ServerSettings s = make_server_settings(
        parse("BT_IMAGES=a\nBT_OVERRIDES=o\nBT_COMPRESS=zstd\n"), dirs, "10.0.0.1");
    EXPECT_EQ(s.packer.announce_url, "http://10.0.0.1:6969/announce");
    ASSERT_EQ(s.jobs.size(), 2u);
    EXPECT_EQ(s.jobs[0].source_dir, "/var/lib/systemimager/images/a");
    EXPECT_EQ(s.jobs[0].tarball, "/t/image-a.tar.zst");
    EXPECT_EQ(s.jobs[0].torrent, "/r/image-a.tar.zst.torrent");
    EXPECT_EQ(s.jobs[1].source_dir, "/var/lib/systemimager/overrides/o");
    EXPECT_EQ(s.jobs[1].tarball, "/t/override-o.tar.zst");
}

TEST(ServerSettings, PlannedJobsNeedNoAddressImagesFirst) {
    ServerDirs dirs;
    dirs.tarball_dir = "/t";
    const auto jobs = plan_pack_jobs({"b", "a"}, {"o"}, Compression::none, dirs);
    ASSERT_EQ(jobs.size(), 3u);
    EXPECT_EQ(jobs[0].tarball, "/t/image-b.tar");
    EXPECT_EQ(jobs[1].tarball, "/t/image-a.tar");
    EXPECT_EQ(jobs[2].kind, PackKind::override_);
    EXPECT_EQ(jobs[2].tarball, "/t/override-o.tar");
    EXPECT_EQ(make_server_settings(parse("BT_IMAGES=b,a\nBT_OVERRIDES=o\nBT_COMPRESS=n\n"), dirs,
                                   "10.0.0.9")
                  .jobs.size(),
              3u);
}

TEST(ServerSettings, SuperSeedIsOnUnlessTurnedOff) {
    ServerDirs dirs;
    EXPECT_FALSE(
        make_server_settings(parse("BT_SUPER_SEED=n\n"), dirs, "10.0.0.1").seeder.super_seed);
    EXPECT_TRUE(make_server_settings(parse(""), dirs, "10.0.0.1").seeder.super_seed);
}

TEST(ServerSettings, MonitorDefaultsListenOn8181WithStateNextToTheTrackers) {
    auto s = make_server_settings(parse(""), ServerDirs{}, "10.0.0.1");
    EXPECT_TRUE(s.monitor.enabled);
    EXPECT_EQ(s.monitor.address, "10.0.0.1");
    EXPECT_EQ(s.monitor.port, 8181);
    EXPECT_EQ(s.monitor.state_file, "/var/state/dstate.nodes");
    EXPECT_EQ(s.monitor.stuck_after_s, 60);
    auto set = make_server_settings(
        parse("BT_MONITOR=n\nBT_MONITOR_STATE=/srv/nodes.json\nBT_MONITOR_STUCK=90\n"),
        ServerDirs{}, "10.0.0.1");
    EXPECT_FALSE(set.monitor.enabled);
    EXPECT_EQ(set.monitor.state_file, "/srv/nodes.json");
    EXPECT_EQ(set.monitor.stuck_after_s, 90);
}

TEST(ServerSettings, ScrubRateInBytesPerSecondZeroIsOff) {
    EXPECT_EQ(make_server_settings(parse(""), ServerDirs{}, "10.0.0.1").scrub.bytes_per_s,
              std::uint64_t{16} << 20);
    EXPECT_EQ(make_server_settings(parse("BT_SCRUB_RATE=200\n"), ServerDirs{}, "10.0.0.1")
                  .scrub.bytes_per_s,
              std::uint64_t{200} << 20);
    EXPECT_EQ(make_server_settings(parse("BT_SCRUB_RATE=0\n"), ServerDirs{}, "10.0.0.1")
                  .scrub.bytes_per_s,
              0u);
}

}  // namespace
}  // namespace si
