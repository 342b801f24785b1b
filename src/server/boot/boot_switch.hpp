#pragma once
// si_btd's part of per-node network boot: it reads the nodes file (at start and on SIGHUP),
// gives every listed node that has no boot file an install entry, switches a node to local
// boot when its reports prove a whole install of its image (boot_decision.hpp), and tells the
// operator's view each listed node's target and boot state. si_btreimage writes the same
// files to send nodes back to install. docs/server-howto.md, "Reimage nodes".
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "server/boot/nodes_file.hpp"
#include "server/boot/pxe_boot_file.hpp"
#include "server/config/server_settings.hpp"
#include "server/view/monitor_report.hpp"
#include "server/view/status_view.hpp"

namespace si {

class BootSwitch {
  public:
    BootSwitch(NetbootSettings settings, Logger& log);

    // Reads the nodes file and the install template; writes an install entry for each listed
    // node without a boot file. A bad nodes file keeps the nodes listed before (and fails
    // with its one line, ErrorKind::config); a missing one lists none. Call at start and on
    // SIGHUP, with the settings then in force.
    Status load(const NetbootSettings& settings, std::int64_t now);

    // After a report was recorded: `merged` is the node's report with every field it has sent
    // (node_table.hpp). Switches its boot file to local when boot_decision.hpp says so, and
    // logs the switch or why a finished node was not switched.
    void on_report(const MonitorReport& merged, std::int64_t now);

    // Every listed node and its boot file, re-read at most once per `max_age` (si_btreimage
    // writes them too).
    const std::vector<NodeBootView>& view(std::chrono::steady_clock::duration max_age);

    bool enabled() const { return !inventory_.nodes.empty(); }
    bool listed(const std::string& mac) const { return inventory_.by_mac(mac) != nullptr; }

  private:
    void refresh_view();

    NetbootSettings settings_;
    Logger& log_;
    NodeInventory inventory_;
    std::string template_text_;  // "" when the template cannot be read
    BootFileDir dir_;
    std::vector<NodeBootView> view_;
    std::chrono::steady_clock::time_point view_read_{};
    // Finished nodes already logged as not switched, with the reason (one line per install).
    std::map<std::string, std::string> not_switched_;
};

// The node as a boot file names it.
BootTarget boot_target(const ListedNode& n, const std::string& image);

}  // namespace si
