#include "common/bt_config.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

constexpr const char* required =
    "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/tmp/dstate\n"
    "BT_TRACKER_LOG=/tmp/bt.log\n";

Result<BtConfig> parse(const std::string& extra) {
    auto conf = parse_shell_conf(std::string(required) + extra, "bittorrent.conf");
    EXPECT_TRUE(conf.ok());
    return bt_config_from(*conf);
}

TEST(BtConfig, HowtoSample) {
    auto c = parse(
        "BT_INTERFACE=eth0\nBT_COMPRESS=y\nBT_UPDATE=n\n"
        "BT_IMAGES=suse10,suse10_frontend\nBT_OVERRIDES=suse10,suse10_frontend\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->tracker_port, 6969);
    EXPECT_EQ(c->tracker_state, "/tmp/dstate");
    EXPECT_EQ(c->interface, "eth0");
    EXPECT_EQ(c->compress, Compression::gzip);
    EXPECT_FALSE(c->update);
    EXPECT_EQ(c->images, (std::vector<std::string>{"suse10", "suse10_frontend"}));
    EXPECT_EQ(c->overrides.size(), 2u);
    EXPECT_TRUE(c->warnings.empty());
    EXPECT_EQ(c->seeder_port, default_seeder_port);
}

TEST(BtConfig, KeysDefaultToTheirPathsAndMayBeNamedOrTurnedOff) {
    auto c = parse("");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->signing_key, default_signing_key_path);
    EXPECT_FALSE(c->signing_key_required);
    EXPECT_EQ(c->monitor_key, default_monitor_key_path);
    EXPECT_FALSE(c->monitor_key_required);
    c = parse("BT_SIGNING_KEY=/k/s.key\nBT_MONITOR_KEY=none\n");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->signing_key, "/k/s.key");
    EXPECT_TRUE(c->signing_key_required);
    EXPECT_EQ(c->monitor_key, "");
    auto bad = parse("BT_SIGNING_KEY=s.key\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message,
              "bittorrent.conf:4: BT_SIGNING_KEY: 's.key' is not an absolute path or none");
}

TEST(BtConfig, CompressValues) {
    EXPECT_EQ(parse("BT_COMPRESS=n\n")->compress, Compression::none);
    EXPECT_EQ(parse("BT_COMPRESS=zstd\n")->compress, Compression::zstd);
    EXPECT_EQ(parse("BT_COMPRESS=Y\n")->compress, Compression::gzip);
    auto bad = parse("\nBT_COMPRESS=maybe\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message,
              "bittorrent.conf:5: BT_COMPRESS: 'maybe' is not one of y, n, zstd");
    EXPECT_EQ(bad.error().kind, ErrorKind::config);
}

TEST(BtConfig, DeltaNeedsZstd) {
    EXPECT_FALSE(parse("")->delta);
    EXPECT_TRUE(parse("BT_COMPRESS=zstd\nBT_DELTA=y\n")->delta);
    EXPECT_FALSE(parse("BT_COMPRESS=zstd\nBT_DELTA=n\n")->delta);
    auto bad = parse("BT_DELTA=y\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message,
              "bittorrent.conf:4: BT_DELTA: delta-ready images are zstd: set BT_COMPRESS=zstd");
    EXPECT_FALSE(parse("BT_COMPRESS=zstd\nBT_DELTA=maybe\n").ok());
}

TEST(BtConfig, UpdateAndPortErrorsNameLineAndKey) {
    auto bad = parse("BT_UPDATE=sometimes\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "bittorrent.conf:4: BT_UPDATE: 'sometimes' is not one of y, n");
    for (const char* port : {"BT_TRACKER_PORT=http\n", "BT_TRACKER_PORT=0\n",
                             "BT_TRACKER_PORT=70000\n", "BT_TRACKER_PORT=69 69\n"}) {
        auto p = parse(port);
        ASSERT_FALSE(p.ok()) << port;
        EXPECT_NE(p.error().message.find("bittorrent.conf:4: BT_TRACKER_PORT: "), std::string::npos)
            << p.error().message;
        EXPECT_NE(p.error().message.find("is not a port number"), std::string::npos);
    }
}

TEST(BtConfig, MissingRequiredKeyAsTheOriginalSaidIt) {
    auto conf = parse_shell_conf("BT_TRACKER_PORT=1\nBT_TRACKER_LOG=/x\n", "/etc/bt.conf");
    auto c = bt_config_from(*conf);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().message, "error in /etc/bt.conf: BT_TRACKER_STATE not specified!");
}

TEST(BtConfig, SpacesInListsAreAcceptedWithAWarning) {
    auto c = parse("BT_IMAGES=\"a, b\"\nBT_OVERRIDES=x, y\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->images, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(c->overrides, (std::vector<std::string>{"x", "y"}));
    EXPECT_GE(c->warnings.size(), 2u);
}

TEST(BtConfig, BadNamesAndUnknownKeys) {
    auto bad = parse("BT_IMAGES=ok,../../etc\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("'../../etc' is not a valid name"), std::string::npos);
    auto c = parse("BT_IMAGE=typo\n");
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->warnings.size(), 1u);
    EXPECT_EQ(c->warnings[0], "bittorrent.conf:4: unknown key BT_IMAGE (ignored)");
}

TEST(BtConfig, SuperSeedIsOnUnlessTurnedOff) {
    EXPECT_TRUE(parse("")->super_seed);
    EXPECT_FALSE(parse("BT_SUPER_SEED=n\n")->super_seed);
    EXPECT_TRUE(parse("BT_SUPER_SEED=yes\n")->super_seed);
    auto bad = parse("BT_SUPER_SEED=always\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "bittorrent.conf:4: BT_SUPER_SEED: 'always' is not one of y, n");
    EXPECT_EQ(bad.error().kind, ErrorKind::config);
}

}  // namespace
}  // namespace si

namespace si {
namespace {

Result<BtConfig> parse_monitor(const std::string& extra) {
    auto conf = parse_shell_conf(
        "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/var/state/dstate\nBT_TRACKER_LOG=/tmp/bt.log\n" +
            extra,
        "bittorrent.conf");
    if (!conf) {
        return conf.error();
    }
    return bt_config_from(*conf);
}

TEST(BtConfigMonitor, DefaultsListenOn8181WithStateNextToTheTrackers) {
    auto bt = parse_monitor("");
    ASSERT_TRUE(bt);
    EXPECT_TRUE(bt->monitor);
    EXPECT_EQ(bt->monitor_port, 8181);
    EXPECT_EQ(bt->monitor_state, "");  // server_settings.hpp: next to the tracker's state
    EXPECT_EQ(bt->monitor_stuck_s, 60);
}

TEST(BtConfigMonitor, KeysAreReadAndChecked) {
    auto bt = parse_monitor(
        "BT_MONITOR=n\nBT_MONITOR_PORT=9181\nBT_MONITOR_STATE=/srv/"
        "nodes.json\nBT_MONITOR_STUCK=90\n");
    ASSERT_TRUE(bt) << bt.error().message;
    EXPECT_FALSE(bt->monitor);
    EXPECT_EQ(bt->monitor_port, 9181);
    EXPECT_EQ(bt->monitor_state, "/srv/nodes.json");
    EXPECT_EQ(bt->monitor_stuck_s, 90);
    auto bad_stuck = parse_monitor("BT_MONITOR_STUCK=5s\n");
    ASSERT_FALSE(bad_stuck);
    EXPECT_EQ(bad_stuck.error().message,
              "bittorrent.conf:4: BT_MONITOR_STUCK: '5s' is not a number of seconds (10-86400)");
    auto bad_port = parse_monitor("BT_MONITOR_PORT=0\n");
    ASSERT_FALSE(bad_port);
    EXPECT_NE(bad_port.error().message.find("BT_MONITOR_PORT: '0' is not a port number"),
              std::string::npos);
    EXPECT_FALSE(parse_monitor("BT_MONITOR=maybe\n"));
}

TEST(BtConfigScrub, DefaultsTo16MiBPerSecondAndZeroTurnsItOff) {
    auto bt = parse_monitor("");
    ASSERT_TRUE(bt);
    EXPECT_EQ(bt->scrub_mib_per_s, 16u);
    auto fast = parse_monitor("BT_SCRUB_RATE=200\n");
    ASSERT_TRUE(fast) << fast.error().message;
    EXPECT_EQ(fast->scrub_mib_per_s, 200u);
    auto off = parse_monitor("BT_SCRUB_RATE=0\n");
    ASSERT_TRUE(off);
    EXPECT_EQ(off->scrub_mib_per_s, 0u);
    auto bad = parse_monitor("BT_SCRUB_RATE=16M\n");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message,
              "bittorrent.conf:4: BT_SCRUB_RATE: '16M' is not a number of MiB/s (0-10000, 0: off)");
    EXPECT_FALSE(parse_monitor("BT_SCRUB_RATE=10001\n"));
    EXPECT_FALSE(parse_monitor("BT_SCRUB_RATE=-1\n"));
}

}  // namespace
}  // namespace si
