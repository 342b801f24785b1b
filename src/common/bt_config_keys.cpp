#include "common/bt_config_keys.hpp"

#include <array>

namespace si {
namespace {

using B = BtConfig;
constexpr auto applied = OnReload::applied;
constexpr auto restart = OnReload::restart;

// One row per key, in bittorrent.conf(5)'s order. The defaults are BtConfig's (a unit test
// checks them); a key SystemImager 4 did not have says so in its help.
const std::array<BtConfigKey, 23> keys = {{
    {"BT_TRACKER_PORT", ConfType::port, &B::tracker_port, "6969", true, 1, 65535, restart,
     "the tracker's TCP port, also in every torrent's announce URL"},
    {"BT_TRACKER_STATE", ConfType::file, &B::tracker_state, "/tmp/dstate", true, 0, 0, restart,
     "where the tracker keeps its peer lists across restarts"},
    {"BT_TRACKER_LOG", ConfType::file, &B::tracker_log,
     "/var/log/systemimager/bittorrent-tracker.log", true, 0, 0, restart, "si_btd's log file"},
    {"BT_INTERFACE", ConfType::interface, &B::interface, "eth0", false, 0, 0, restart,
     "the interface (or IPv4 address) that reaches the nodes: tracker and seeder bind to it"},
    {"BT_SEEDER_PORT", ConfType::port, &B::seeder_port, "6881", false, 1, 65535, restart,
     "the seeder's TCP port (new)"},
    {"BT_SUPER_SEED", ConfType::yes_no, &B::super_seed, "y", false, 0, 0, restart,
     "y: super-seed, each piece offered to one node, in file order; n: seed normally (new)"},
    {"BT_MONITOR", ConfType::yes_no, &B::monitor, "y", false, 0, 0, restart,
     "whether si_btd takes the nodes' si_monitor progress reports (new)"},
    {"BT_MONITOR_PORT", ConfType::port, &B::monitor_port, "8181", false, 1, 65535, restart,
     "the monitor listener's TCP port (new)"},
    {"BT_MONITOR_STATE", ConfType::file, &B::monitor_state, "", false, 0, 0, restart,
     "where the nodes' reports are kept; default: BT_TRACKER_STATE + .nodes (new)"},
    {"BT_MONITOR_STUCK", ConfType::seconds, &B::monitor_stuck_s, "60", false, 10, 86400, applied,
     "an installing node silent this long is shown as stuck (new)"},
    {"BT_SCRUB_RATE", ConfType::mib_per_s, &B::scrub_mib_per_s, "16", false, 0, max_scrub_mib_per_s,
     restart, "MiB/s at which the seeded tarballs are re-read against their hashes; 0: off (new)"},
    {"BT_COMPRESS", ConfType::compress, &B::compress, "y", false, 0, 0, applied,
     "y or gzip: gzip tarballs; zstd: zstd; n: plain tar"},
    {"BT_UPDATE", ConfType::yes_no, &B::update, "y", false, 0, 0, applied,
     "y: repack every image at start; n: reuse a pair that matches its tree"},
    {"BT_DELTA", ConfType::yes_no, &B::delta, "n", false, 0, 0, applied,
     "y: pack zstd images delta-ready, so a node holding an earlier version downloads only what "
     "changed; needs BT_COMPRESS=zstd (new)"},
    {"BT_IMAGES", ConfType::names, &B::images, "", false, 0, 0, applied,
     "the images to pack and seed"},
    {"BT_OVERRIDES", ConfType::names, &B::overrides, "", false, 0, 0, applied,
     "the overrides to pack and seed"},
    {"BT_NODES", ConfType::text, &B::nodes_file, "", false, 0, 0, applied,
     "the nodes file; default: nodes.conf beside bittorrent.conf (new)"},
    {"BT_NETBOOT_TEMPLATE", ConfType::text, &B::netboot_template, "", false, 0, 0, applied,
     "the pxelinux install entry; default: <TFTP_DIR>/pxelinux.cfg/default (new)"},
    {"BT_POWER_COMMAND", ConfType::text, &B::power_command, "", false, 0, 0, applied,
     "si_btreimage's power cycle command, %h %m %i %g replaced (new)"},
    {"BT_SIGNING_KEY", ConfType::key_file, &B::signing_key, default_signing_key_path, false, 0, 0,
     restart, "the key si_btd signs each .torrent and layout with; none: unsigned (new)"},
    {"BT_MONITOR_KEY", ConfType::key_file, &B::monitor_key, default_monitor_key_path, false, 0, 0,
     restart, "the key that authenticates the nodes' reports; none: unauthenticated (new)"},
    {"BT_PEER_SERVERS", ConfType::servers, &B::peer_servers, "", false, 0, 0, restart,
     "the cluster's other image servers, IPv4[:tracker port]: every .torrent names their "
     "trackers (new)"},
    {"BT_WEB_SEEDS", ConfType::web_seeds, &B::web_seeds, "", false, 0, 0, restart,
     "base URLs of web servers holding the tarballs, or self for si_btd's own /tarballs/: every "
     ".torrent lists them as BEP 19 web seeds; empty: none (new)"},
}};

}  // namespace

std::span<const BtConfigKey> bt_config_keys() {
    return keys;
}

const BtConfigKey* find_bt_config_key(std::string_view name) {
    for (const BtConfigKey& k : keys) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

}  // namespace si
