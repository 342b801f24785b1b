#include "server/reload_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/bt_config_keys.hpp"

namespace si {
namespace {

PackJob job(const std::string& name, PackKind kind = PackKind::image) {
    const std::string prefix = kind == PackKind::image ? "image-" : "override-";
    return PackJob{kind, name, "/images/" + name, "/tarballs/" + prefix + name + ".tar.gz",
                   "/torrents/" + prefix + name + ".tar.gz.torrent"};
}

std::map<std::string, PackJob> running(const std::vector<PackJob>& jobs) {
    std::map<std::string, PackJob> m;
    for (const auto& j : jobs) {
        m.emplace(j.tarball, j);
    }
    return m;
}

std::vector<std::string> names(const std::vector<QueuedPackJob>& q) {
    std::vector<std::string> out;
    for (const auto& x : q) {
        out.push_back(x.job.name + (x.update ? "+update" : ""));
    }
    return out;
}

TEST(PlanPacks, AtStartEveryJobIsPackedInListedOrderWithBtUpdate) {
    const auto plan =
        plan_packs({}, {job("b"), job("a"), job("o", PackKind::override_)}, true, false);
    EXPECT_TRUE(plan.dropped.empty());
    EXPECT_EQ(names(plan.packs), (std::vector<std::string>{"b+update", "a+update", "o+update"}));
}

TEST(PlanPacks, AReloadDropsTheUnlistedAndReChecksTheKeptWithoutForcingARepack) {
    const auto plan =
        plan_packs(running({job("old"), job("kept")}), {job("kept"), job("new")}, true, true);
    ASSERT_EQ(plan.dropped.size(), 1u);
    EXPECT_EQ(plan.dropped[0].name, "old");
    // Kept: repacked only if stale (update false); new: BT_UPDATE.
    EXPECT_EQ(names(plan.packs), (std::vector<std::string>{"kept", "new+update"}));
}

TEST(PlanPacks, KeptJobsAreLeftAloneWithoutARecheck) {
    const auto plan = plan_packs(running({job("kept")}), {job("kept"), job("new")}, false, false);
    EXPECT_TRUE(plan.dropped.empty());
    EXPECT_EQ(names(plan.packs), (std::vector<std::string>{"new"}));
}

TEST(PlanPacks, AnImageListedTwiceIsPackedOnce) {
    const auto plan = plan_packs({}, {job("a"), job("a")}, true, false);
    EXPECT_EQ(names(plan.packs), (std::vector<std::string>{"a+update"}));
}

TEST(PlanPacks, AnEmptyListDropsEverything) {
    const auto plan =
        plan_packs(running({job("a"), job("o", PackKind::override_)}), {}, true, true);
    EXPECT_EQ(plan.dropped.size(), 2u);
    EXPECT_TRUE(plan.packs.empty());
}

TEST(RestartOnlyChanges, NoneWhenOnlyImagesAndPackingChange) {
    ServerSettings a;
    ServerSettings b = a;
    b.update = !a.update;
    b.jobs.push_back(job("new"));
    EXPECT_TRUE(restart_only_changes(a, b).empty());
}

TEST(RestartOnlyChanges, NamesEachChangedKey) {
    ServerSettings a;
    a.tracker.port = 6969;
    a.seeder.port = 6881;
    ServerSettings b = a;
    b.tracker.port = 7070;
    b.monitor.port = static_cast<std::uint16_t>(a.monitor.port + 1);
    b.dirs.torrent_dir = "/elsewhere";
    EXPECT_EQ(restart_only_changes(a, b),
              (std::vector<std::string>{"BT_TRACKER_PORT", "BT_MONITOR_PORT",
                                        "AUTOINSTALL_TORRENT_DIR"}));
}

TEST(RestartOnlyChanges, TheSeedersModeAndTheScrubRateTakeARestart) {
    ServerSettings a;
    ServerSettings b = a;
    b.seeder.super_seed = !a.seeder.super_seed;
    b.scrub.bytes_per_s = a.scrub.bytes_per_s + 1;
    EXPECT_EQ(restart_only_changes(a, b),
              (std::vector<std::string>{"BT_SUPER_SEED", "BT_SCRUB_RATE"}));
}

TEST(RestartOnlyChanges, WhatAReloadAppliesIsNotNamed) {
    ServerSettings a;
    ServerSettings b = a;
    b.monitor.stuck_after_s = a.monitor.stuck_after_s + 30;  // applied (si_btd(8), SIGHUP)
    b.netboot.nodes_file = "/elsewhere/nodes.conf";          // re-read
    b.netboot.local_after_install = !a.netboot.local_after_install;
    EXPECT_TRUE(restart_only_changes(a, b).empty());
}

// SIGHUP, key by key from bittorrent.conf's table (common/bt_config_keys.hpp): a key marked
// "applied" is in force after the reload and not warned about; one marked "restart" is named
// in the warning and the running value stays.
class ReloadOfEachKey : public ::testing::TestWithParam<std::string> {
  protected:
    static ServerSettings settings(const std::string& extra) {
        const std::string text =
            "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/var/lib/si/state\n"
            "BT_TRACKER_LOG=/var/log/si.log\nBT_INTERFACE=127.0.0.1\nBT_IMAGES=a\n"
            // zstd, so that BT_DELTA=y is a valid change
            "BT_COMPRESS=zstd\n" +
            extra;
        auto conf = parse_shell_conf(text, "bittorrent.conf");
        EXPECT_TRUE(conf);
        auto bt = bt_config_from(*conf);
        EXPECT_TRUE(bt) << bt.error().message;
        // BT_INTERFACE is an address in these files: it resolves to itself.
        return make_server_settings(*bt, ServerDirs{}, bt->interface, "/etc/si/bittorrent.conf");
    }
};

// A value of each key other than the running one above.
std::string changed_line(const BtConfigKey& k) {
    const std::string name(k.name);
    if (name == "BT_IMAGES") {
        return name + "=a,b\n";
    }
    switch (k.type) {
        case ConfType::port:
            return name + "=7001\n";
        case ConfType::file:
        case ConfType::text:
            return name + "=/elsewhere/x\n";
        case ConfType::interface:
            return name + "=127.0.0.2\n";
        case ConfType::yes_no:
            return name + "=" + (k.default_value == "y" ? "n" : "y") + "\n";
        case ConfType::compress:
            return name + "=n\n";
        case ConfType::names:
            return name + "=o\n";
        case ConfType::seconds:
        case ConfType::mib_per_s:
            return name + "=" + std::to_string(k.max) + "\n";
        case ConfType::key_file:
            return name + "=/elsewhere/x.key\n";
        case ConfType::servers:
            return name + "=10.0.0.9\n";
        case ConfType::web_seeds:
            return name + "=http://10.0.0.9/tarballs/\n";
    }
    return "";
}

TEST_P(ReloadOfEachKey, IsAppliedOrWarnedAbout) {
    const BtConfigKey* key = find_bt_config_key(GetParam());
    ASSERT_NE(key, nullptr);
    const ServerSettings running = settings("");
    const ServerSettings next = settings(changed_line(*key));
    ASSERT_NE(next, running) << "the changed value makes no difference";
    const auto warned = restart_only_changes(running, next);
    const bool named = std::find(warned.begin(), warned.end(), GetParam()) != warned.end();
    const ServerSettings after = settings_after_reload(running, next);
    if (key->reload == OnReload::restart) {
        EXPECT_TRUE(named) << "a change that takes a restart is warned about";
        EXPECT_EQ(after, running) << "and the running value stays";
    } else {
        EXPECT_FALSE(named);
        EXPECT_NE(after, running) << "an applied key is in force after the reload";
        EXPECT_TRUE(restart_only_changes(running, after).empty());
    }
}

std::vector<std::string> every_key() {
    std::vector<std::string> names;
    for (const BtConfigKey& k : bt_config_keys()) {
        names.emplace_back(k.name);
    }
    return names;
}

INSTANTIATE_TEST_SUITE_P(BtConfigKeys, ReloadOfEachKey, ::testing::ValuesIn(every_key()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace si
