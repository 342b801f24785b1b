#include "server/reload_plan.hpp"

#include <set>

namespace si {

PackPlan plan_packs(const std::map<std::string, PackJob>& wanted, const std::vector<PackJob>& jobs,
                    bool update_new, bool recheck_kept) {
    PackPlan plan;
    std::set<std::string> listed;
    for (const PackJob& j : jobs) {
        listed.insert(j.tarball);
    }
    for (const auto& [tarball, job] : wanted) {
        if (!listed.contains(tarball)) {
            plan.dropped.push_back(job);
        }
    }
    std::set<std::string> queued;
    for (const PackJob& j : jobs) {
        if (!queued.insert(j.tarball).second) {
            continue;  // listed twice: packed once
        }
        const bool kept = wanted.contains(j.tarball);
        if (!kept || recheck_kept) {
            plan.packs.push_back({j, kept ? false : update_new});
        }
    }
    return plan;
}

std::vector<std::string> restart_only_changes(const ServerSettings& running,
                                              const ServerSettings& next) {
    std::vector<std::string> changed;
    const auto check = [&](bool differs, const char* name) {
        if (differs) {
            changed.emplace_back(name);
        }
    };
    check(next.tracker.address != running.tracker.address, "BT_INTERFACE");
    check(next.tracker.port != running.tracker.port, "BT_TRACKER_PORT");
    check(next.seeder.port != running.seeder.port, "BT_SEEDER_PORT");
    check(next.tracker.state_file != running.tracker.state_file, "BT_TRACKER_STATE");
    check(next.tracker.log_file != running.tracker.log_file, "BT_TRACKER_LOG");
    check(next.monitor.enabled != running.monitor.enabled, "BT_MONITOR");
    check(next.monitor.port != running.monitor.port, "BT_MONITOR_PORT");
    check(next.monitor.state_file != running.monitor.state_file, "BT_MONITOR_STATE");
    check(next.seeder.super_seed != running.seeder.super_seed, "BT_SUPER_SEED");
    check(next.scrub.bytes_per_s != running.scrub.bytes_per_s, "BT_SCRUB_RATE");
    check(next.packer.more_trackers != running.packer.more_trackers, "BT_PEER_SERVERS");
    check(next.packer.web_seeds != running.packer.web_seeds, "BT_WEB_SEEDS");
    check(next.keys.signing_key != running.keys.signing_key, "BT_SIGNING_KEY");
    check(next.keys.monitor_key != running.keys.monitor_key, "BT_MONITOR_KEY");
    check(next.dirs.torrent_dir != running.dirs.torrent_dir, "AUTOINSTALL_TORRENT_DIR");
    return changed;
}

ServerSettings settings_after_reload(const ServerSettings& running, const ServerSettings& next) {
    ServerSettings s = running;
    s.update = next.update;
    s.packer.delta = next.packer.delta;
    s.monitor.stuck_after_s = next.monitor.stuck_after_s;
    s.netboot = next.netboot;
    s.jobs = next.jobs;
    return s;
}

}  // namespace si
