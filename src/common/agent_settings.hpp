#pragma once
// What si_btagent does, built from the kernel command line. The original's variables keep
// their names and defaults; new ones are prefixed BITTORRENT_ (see si_btagent(8)).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/default_ports.hpp"
#include "common/kernel_cmdline.hpp"
#include "common/result.hpp"
#include "common/server_list.hpp"

namespace si {

struct AgentSettings {
    bool enabled = false;  // BITTORRENT=y
    // IMAGESERVER: one image server or several ("10.0.0.1,10.0.0.2"), each an IPv4 address
    // with an optional tracker port (default tracker_port). The .torrents and the layout come
    // from the first that answers, in this order (agent/server_failover.hpp); image_server is
    // the first one's address.
    std::vector<ServerAddress> image_servers;
    std::string image_server;
    std::string image_name;              // IMAGENAME
    std::vector<std::string> overrides;  // OVERRIDES, space- or comma-separated, in order
    std::string staging;                 // BITTORRENT_STAGING; empty: chosen automatically
    int polling_time_s = 5;              // BITTORRENT_POLLING_TIME
    bool seed_wait = false;              // BITTORRENT_SEED_WAIT
    int upload_min_kbs = 50;             // BITTORRENT_UPLOAD_MIN (KB/s)
    // MONITOR_SERVER: where reports go, one or several servers (each gets every report, so
    // each server's page shows the whole cluster); port default monitor_port; empty: no
    // reports. monitor_server is the first one's address.
    std::vector<ServerAddress> monitor_servers;
    std::string monitor_server;
    std::uint16_t monitor_port = default_monitor_port;  // MONITOR_PORT
    bool monitor_console = false;                       // MONITOR_CONSOLE
    // New in this implementation:
    // BITTORRENT_TRACKER_PORT: the image server's tracker.
    std::uint16_t tracker_port = default_tracker_port;
    int stall_timeout_s = 300;   // BITTORRENT_TIMEOUT: fail after this long w/o progress
    int seed_max_s = 1800;       // BITTORRENT_SEED_MAX: upper bound of the seed wait
    int server_timeout_s = 120;  // BITTORRENT_SERVER_TIMEOUT: retries to reach the server
    // BITTORRENT_MAX_PEERS: connections per tarball; 0: no cap but the session's (500). Every
    // node connected to every other asks blocks of more peers than it needs, and receives some
    // twice (docs/performance.md, "Which knobs matter").
    int max_peers = 16;
    // BITTORRENT_RESTARTS: how many times the install starts again, from the .torrent on, when
    // the image changes on the server while the node is installing it (the image server's
    // tracker no longer serves what the node downloads); 0: stop with exit 13 at once.
    int restarts = 3;
    // BITTORRENT_REINSTALL=y: install in full even when the node's disk already holds the image
    // exactly (its install record and a fresh manifest of the root agree; si_btagent(8)).
    bool reinstall = false;
    // Blank disks (docs/client-howto.md): the layout's disk -> this node's, SI_DISK_MAP=
    // "/dev/sda=/dev/vdb,/dev/sdb=/dev/vdc"; how long to wait for the disks; the hostname to
    // give the deployed OS (SystemImager's HOSTNAME, else what DHCP said, which /init adds).
    std::map<std::string, std::string> disk_map;
    int disk_wait_s = 30;  // SI_DISK_WAIT
    std::string hostname;  // HOSTNAME
    std::vector<std::string> warnings;
};

// Fails (ErrorKind::config) with "kernel command line: IMAGESERVER: ..." when a variable the
// transport needs is missing or invalid. With BITTORRENT unset or not y, returns enabled=false
// and checks nothing else.
Result<AgentSettings> agent_settings_from(const KernelCmdline& cmdline);

}  // namespace si
