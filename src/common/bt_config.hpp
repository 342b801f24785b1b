#pragma once
// /etc/systemimager/bittorrent.conf and the directories of /etc/systemimager/systemimager.conf,
// read into checked values. The settings each part of the server is built from are
// server/config/server_settings.hpp.
#include <cstdint>
#include <string>
#include <vector>

#include "common/default_ports.hpp"
#include "common/names.hpp"
#include "common/result.hpp"
#include "common/server_list.hpp"
#include "common/shell_conf.hpp"

namespace si {

inline constexpr const char* default_bt_conf_path = "/etc/systemimager/bittorrent.conf";
inline constexpr const char* default_si_conf_path = "/etc/systemimager/systemimager.conf";
// An installing node silent this long is shown as stuck: six of the protocol's 10 s reports.
inline constexpr std::int64_t default_monitor_stuck_s = 60;
// The seeded tarballs are re-read and re-hashed in the background at this many MiB/s
// (BT_SCRUB_RATE), since libtorrent checks a piece only the first time it sends it: a 1 GiB
// tarball a minute for 1.3% of one core (docs/performance.md, bench/scrub_bench.py).
inline constexpr std::uint32_t default_scrub_mib_per_s = 16;
inline constexpr std::uint32_t max_scrub_mib_per_s = 10000;
// si_btd signs what it serves with this key when the file exists (BT_SIGNING_KEY; si_btkey
// makes it), and checks the nodes' reports with this one (BT_MONITOR_KEY).
inline constexpr const char* default_signing_key_path = "/etc/systemimager/bittorrent-signing.key";
inline constexpr const char* default_monitor_key_path = "/etc/systemimager/bittorrent-monitor.key";

struct BtConfig {
    std::string file;
    std::uint16_t tracker_port = default_tracker_port;
    std::string tracker_state = "/tmp/dstate";
    std::string tracker_log = "/var/log/systemimager/bittorrent-tracker.log";
    std::string interface = "eth0";  // an interface name or an IPv4 address
    Compression compress = Compression::gzip;
    bool update = true;
    // BT_DELTA (not in the original): images packed delta-ready (server/pack/delta_pack.hpp), so a
    // node holding an earlier version downloads only what changed. Needs BT_COMPRESS=zstd.
    bool delta = false;
    std::vector<std::string> images;
    std::vector<std::string> overrides;
    std::uint16_t seeder_port = default_seeder_port;  // BT_SEEDER_PORT (not in the original)
    bool super_seed = true;                           // BT_SUPER_SEED (not in the original)
    // The monitor listener and the operator's view (not in the original's bittorrent.conf).
    bool monitor = true;                                // BT_MONITOR
    std::uint16_t monitor_port = default_monitor_port;  // BT_MONITOR_PORT
    std::string monitor_state;  // BT_MONITOR_STATE; "": <BT_TRACKER_STATE>.nodes
    std::int64_t monitor_stuck_s = default_monitor_stuck_s;   // BT_MONITOR_STUCK, seconds
    std::uint32_t scrub_mib_per_s = default_scrub_mib_per_s;  // BT_SCRUB_RATE; 0: off
    // Per-node network boot (docs/server-howto.md, "Reimage nodes"; not in the original).
    std::string nodes_file;        // BT_NODES; "": nodes.conf beside bittorrent.conf
    std::string netboot_template;  // BT_NETBOOT_TEMPLATE; "": <TFTP_DIR>/pxelinux.cfg/default
    std::string power_command;     // BT_POWER_COMMAND: si_btreimage's power cycle, %h %m ...
    // Keys (docs/server-howto.md, "Security"; read at start). A path given in the file must
    // exist; the default path is used only when it exists; "none" turns the key off.
    std::string signing_key = default_signing_key_path;  // BT_SIGNING_KEY; "": none
    bool signing_key_required = false;                   // BT_SIGNING_KEY names a file
    std::string monitor_key = default_monitor_key_path;  // BT_MONITOR_KEY; "": none
    bool monitor_key_required = false;                   // BT_MONITOR_KEY names a file
    // BT_PEER_SERVERS: the other image servers of the cluster (IPv4[:tracker port]), whose
    // trackers every .torrent names too (docs/server-howto.md, "Several image servers").
    std::vector<ServerAddress> peer_servers;
    // BT_WEB_SEEDS: base URLs of web servers that hold the tarballs, each ending in '/', or
    // "self" (si_btd's own /tarballs/); every .torrent lists them as BEP 19 web seeds.
    std::vector<std::string> web_seeds;
    std::vector<std::string> warnings;  // "file:line: ..." to show the admin
};

// Checks every key. Fails with "file:line: KEY: reason" (ErrorKind::config).
Result<BtConfig> bt_config_from(const ShellConf& conf);
Result<BtConfig> load_bt_config(const std::string& path);

struct ServerDirs {
    std::string image_dir = "/var/lib/systemimager/images";
    std::string override_dir = "/var/lib/systemimager/overrides";
    std::string tarball_dir = "/var/lib/systemimager/tarballs";
    std::string torrent_dir = "/var/lib/systemimager/torrents";
    // Not directories of images, but systemimager.conf's other keys si_btd reads: the TFTP root
    // the per-node pxelinux files go under, and NET_BOOT_DEFAULT (SystemImager's meaning:
    // local, a node boots its disk once it is installed; net, it installs at every network
    // boot).
    std::string tftp_dir = "/var/lib/tftpboot";
    bool net_boot_local = true;
    bool operator==(const ServerDirs&) const = default;
};

// systemimager.conf is read with AppConfig's rules (appconfig_file.hpp): names in any case,
// "# comment" after a value; a missing file or key keeps the original default.
// Fails (ErrorKind::config) when the file exists but cannot be read, or NET_BOOT_DEFAULT is
// neither local nor net ("file:line: NET_BOOT_DEFAULT: ...").
Result<ServerDirs> parse_systemimager_conf(std::string_view text, std::string_view file,
                                           std::vector<std::string>& warnings);
Result<ServerDirs> load_systemimager_conf(const std::string& path,
                                          std::vector<std::string>& warnings);

}  // namespace si
