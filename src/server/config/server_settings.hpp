#pragma once
// The settings each part of the image server is built from: plain values, one struct per part
// (packer, tracker, seeder, monitor, background check) and the list of images and overrides.
// Built once from bittorrent.conf and systemimager.conf (make_server_settings, used by si_btd
// through load_server_config and by si_installbtimage); runtime state (a cancel flag, which
// job is being rebuilt) is passed beside them, never stored in them.
#include <cstdint>
#include <string>
#include <vector>

#include "common/bt_config.hpp"
#include "common/names.hpp"

namespace si {

// One image or override to pack and seed.
struct PackJob {
    PackKind kind = PackKind::image;
    std::string name;
    std::string source_dir;  // the image tree
    std::string tarball;     // full path of the tarball
    std::string torrent;     // full path of its .torrent
    // How the tarball is compressed; its name says the same (names.hpp's tarball_name).
    Compression compression = Compression::gzip;
    bool operator==(const PackJob&) const = default;
};

struct PackerSettings {
    std::string announce_url;  // http://<address>:<port>/announce
    // BT_PEER_SERVERS' trackers, one tier each after announce_url
    // (server/config/tracker_tiers.hpp).
    std::vector<std::string> more_trackers;
    // BT_WEB_SEEDS as URLs, each ending in '/': the .torrents' BEP 19 url-list
    // (server/config/web_seed_urls.hpp); none: no url-list.
    std::vector<std::string> web_seeds;
    unsigned threads = 0;  // compression workers; 0: one per core
    bool delta = false;    // BT_DELTA: delta-ready zstd tarballs (server/pack/delta_pack.hpp)
    bool operator==(const PackerSettings&) const = default;
};

struct TrackerSettings {
    std::string address;
    std::uint16_t port = default_tracker_port;
    std::string state_file;
    std::string log_file;
    std::string torrent_dir;  // served under /torrents/
    // The seeded tarballs served under /tarballs/ (a BEP 19 web seed): when BT_WEB_SEEDS is
    // set, so that the same list may go to every server.
    bool serve_tarballs = false;
    bool operator==(const TrackerSettings&) const = default;
};

struct SeederSettings {
    std::string address;
    std::uint16_t port = default_seeder_port;
    bool super_seed = true;  // BT_SUPER_SEED (server/seed/seeder_policy.hpp)
    // BT_PEER_SERVERS: never connected to (server/seed/peer_server_filter.hpp).
    std::vector<ServerAddress> peer_servers;
    bool operator==(const SeederSettings&) const = default;
};

// The background check of the seeded tarballs (server/seed/tarball_scrub.hpp).
struct ScrubSettings {
    std::uint64_t bytes_per_s = std::uint64_t{default_scrub_mib_per_s} << 20;  // 0: off
    bool operator==(const ScrubSettings&) const = default;
};

struct MonitorSettings {
    bool enabled = true;
    std::string address;
    std::uint16_t port = default_monitor_port;
    std::string state_file;  // the node table, next to the tracker's state
    std::int64_t stuck_after_s = default_monitor_stuck_s;
    bool operator==(const MonitorSettings&) const = default;
};

// Per-node network boot: the nodes file, the pxelinux files si_btd writes for them, and what
// a verified install changes (server/boot/boot_switch.hpp, si_btreimage).
struct NetbootSettings {
    std::string nodes_file;     // the nodes file (server/boot/nodes_file.hpp); missing: none listed
    std::string config_dir;     // <TFTP_DIR>/pxelinux.cfg: the per-node files
    std::string template_path;  // the install entry (server/boot/pxe_boot_file.hpp)
    bool local_after_install = true;  // NET_BOOT_DEFAULT = local
    std::string power_command;        // BT_POWER_COMMAND; "": none configured
    bool operator==(const NetbootSettings&) const = default;
};

// The signing and report keys (server/signing.hpp), read at start: a change takes a restart.
// A path named in bittorrent.conf must exist; the default path is used only when it does.
struct KeySettings {
    std::string signing_key = default_signing_key_path;  // BT_SIGNING_KEY; "": none
    bool signing_key_required = false;                   // BT_SIGNING_KEY names a file
    std::string monitor_key = default_monitor_key_path;  // BT_MONITOR_KEY; "": none
    bool monitor_key_required = false;                   // BT_MONITOR_KEY names a file
    bool operator==(const KeySettings&) const = default;
};

struct ServerSettings {
    PackerSettings packer;
    TrackerSettings tracker;
    SeederSettings seeder;
    MonitorSettings monitor;
    ScrubSettings scrub;
    NetbootSettings netboot;
    KeySettings keys;
    ServerDirs dirs;
    // BT_UPDATE: an image or override si_btd starts serving is repacked even when its pair
    // matches its tree (Rebuild::always); with n, only a stale pair is (Rebuild::if_stale).
    bool update = true;
    std::vector<PackJob> jobs;  // images first, then overrides, in the order listed
    bool operator==(const ServerSettings&) const = default;
};

// The images and overrides to pack, images first, each list in its order: where each tree
// is read from and its tarball and .torrent written to (no address or port: a reload and
// si_installbtimage plan their own lists with it).
std::vector<PackJob> plan_pack_jobs(const std::vector<std::string>& images,
                                    const std::vector<std::string>& overrides, Compression c,
                                    const ServerDirs& dirs);

// Every part's settings from the checked bittorrent.conf and systemimager.conf; `address` is
// BT_INTERFACE resolved to an IPv4 address (interface_address.hpp). Never fails.
// `bt_conf_path` places the default nodes file (nodes.conf beside it).
ServerSettings make_server_settings(const BtConfig& bt, const ServerDirs& dirs,
                                    const std::string& address,
                                    const std::string& bt_conf_path = default_bt_conf_path);

// http://<address>:<port>/announce
std::string announce_url(const std::string& address, std::uint16_t port);

}  // namespace si
