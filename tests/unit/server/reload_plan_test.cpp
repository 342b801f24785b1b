#include "server/reload_plan.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace si
