#include "common/agent_cmdline_keys.hpp"

#include <array>

namespace si {
namespace {

using A = AgentSettings;
using T = CmdlineType;

const std::array<AgentCmdlineKey, 21> keys = {{
    {"BITTORRENT", T::yes_no, &A::enabled, "n", "", 0, 0,
     "y: use the BitTorrent transport; anything else: exit 3 (fall back)"},
    {"IMAGESERVER", T::servers, &A::image_servers, "", "give the image server's address", 0, 0,
     "the image server, or several tried in order: IPv4[:tracker port], comma-separated"},
    {"IMAGENAME", T::image_name, &A::image_name, "", "give the image to install", 0, 0,
     "the image to install"},
    {"OVERRIDES", T::names, &A::overrides, "", "", 0, 0,
     "overrides unpacked over the image, in order"},
    {"BITTORRENT_STAGING", T::abs_path, &A::staging, "", "", 0, 0,
     "where the tarballs are staged; default: the first of /tmp, <root>/tmp with room"},
    {"BITTORRENT_SEED_WAIT", T::yes_no, &A::seed_wait, "n", "", 0, 0,
     "y: seed after imaging while others still want pieces"},
    {"BITTORRENT_REINSTALL", T::yes_no, &A::reinstall, "n", "", 0, 0,
     "y: install in full even when the disk holds the image"},
    {"MONITOR_SERVER", T::servers, &A::monitor_servers, "", "", 0, 0,
     "the si_monitor host, or several that each get every report; unset: no reports"},
    {"MONITOR_CONSOLE", T::yes_no, &A::monitor_console, "n", "", 0, 0,
     "y: a failure report carries the agent's last log lines, shown on si_btd's page"},
    {"SI_DISK_MAP", T::disk_map, &A::disk_map, "", "", 0, 0,
     "blank disks: <layout disk>=<this node's disk>, comma-separated"},
    {"HOSTNAME", T::host_name, &A::hostname, "", "", 0, 0,
     "blank disks: the deployed OS's host name"},
    {"SI_DISK_WAIT", T::integer, &A::disk_wait_s, "30", "", 0, 3600,
     "blank disks: seconds to wait for the layout's disks"},
    {"BITTORRENT_POLLING_TIME", T::integer, &A::polling_time_s, "5", "", 1, 3600,
     "seconds between progress lines and seed-wait checks"},
    {"BITTORRENT_UPLOAD_MIN", T::integer, &A::upload_min_kbs, "50", "", 0, 10'000'000,
     "KB/s, the seed-wait threshold"},
    {"MONITOR_PORT", T::integer, &A::monitor_port, "8181", "", 1, 65535, "si_monitor's port"},
    {"BITTORRENT_TRACKER_PORT", T::integer, &A::tracker_port, "6969", "", 1, 65535,
     "the image server's tracker port (BT_TRACKER_PORT)"},
    {"BITTORRENT_TIMEOUT", T::integer, &A::stall_timeout_s, "300", "", 5, 86400,
     "seconds without download progress before failing"},
    {"BITTORRENT_SEED_MAX", T::integer, &A::seed_max_s, "1800", "", 0, 7 * 86400,
     "seconds, upper bound of the seed wait"},
    {"BITTORRENT_MAX_PEERS", T::integer, &A::max_peers, "16", "", 0, 500,
     "connections per tarball; 0: no cap but libtorrent's 500"},
    {"BITTORRENT_SERVER_TIMEOUT", T::integer, &A::server_timeout_s, "120", "", 1, 86400,
     "seconds of retries to reach the image server"},
    {"BITTORRENT_RESTARTS", T::integer, &A::restarts, "3", "", 0, 100,
     "installs started again when the image changes on the server meanwhile; 0: exit 13"},
}};

}  // namespace

std::span<const AgentCmdlineKey> agent_cmdline_keys() {
    return keys;
}

}  // namespace si
