#pragma once
// What si_btd does on SIGHUP, as pure functions of the running and the re-read configuration
// (daemon.cpp carries the plan out): which images and overrides stop being served, which are
// packed (new ones) or re-checked (kept ones), and which settings only a restart can change.
#include <map>
#include <string>
#include <vector>

#include "server/config/server_settings.hpp"

namespace si {

struct QueuedPackJob {
    PackJob job;
    bool update = false;  // rebuild the pair even when it matches its tree
};

struct PackPlan {
    std::vector<PackJob> dropped;      // served before, no longer listed: stop serving
    std::vector<QueuedPackJob> packs;  // to pack or re-check, in the listed order
};

// `wanted` maps each tarball path of the running configuration to its job; `jobs` is the new
// list. A new job is packed with `update_new` (BT_UPDATE); a kept one is re-checked (update
// false: repacked only if stale) when `recheck_kept`, else left alone. At start-up `wanted` is
// empty and every job is new.
PackPlan plan_packs(const std::map<std::string, PackJob>& wanted, const std::vector<PackJob>& jobs,
                    bool update_new, bool recheck_kept);

// The settings that differ between `running` and `next` but take effect only on a restart
// (listening addresses and ports, state and log files, the torrent directory), by their
// bittorrent.conf or systemimager.conf keys, in a fixed order; empty: none.
std::vector<std::string> restart_only_changes(const ServerSettings& running,
                                              const ServerSettings& next);

// The settings in force after a reload: `running` with what a reload applies taken from `next`
// (the images and overrides with their BT_COMPRESS, BT_UPDATE, BT_MONITOR_STUCK and the per-node
// boot keys; bittorrent.conf's table, common/bt_config_keys.hpp, marks them). The announce URL
// stays the running tracker's.
ServerSettings settings_after_reload(const ServerSettings& running, const ServerSettings& next);

}  // namespace si
