#pragma once
// si_btd's view of the nodes: the reports they send (monitor_listener.hpp) recorded in the
// node table and saved next to the tracker's state, the per-node boot files a report switches
// (boot_switch.hpp), and the node half of the status (status_view.hpp). Runs on the daemon's
// io_context; report times come from node_clock.hpp, which a wall-clock step does not move.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/result.hpp"
#include "server/boot/boot_switch.hpp"
#include "server/config/server_settings.hpp"
#include "server/view/latest_file_writer.hpp"
#include "server/view/monitor_listener.hpp"
#include "server/view/node_clock.hpp"
#include "server/view/node_table.hpp"
#include "server/view/status_view.hpp"

namespace si {

// After a node report, the node table is written within this (coalesced).
inline constexpr auto nodes_save_delay = std::chrono::seconds(5);
// A node table file larger than this is not restored (max_nodes nodes with full histories
// stay well below it).
inline constexpr std::int64_t max_nodes_state_bytes = 128 * 1024 * 1024;
// The listed nodes' boot files shown are at most this old (si_btreimage writes them too).
inline constexpr auto boot_view_max_age = std::chrono::seconds(2);
// How often the view looks for installing nodes that turned stuck, to log it.
inline constexpr auto stuck_check_interval = std::chrono::seconds(5);
// Dropped monitor reports are logged at most once per this, with a count of the others.
inline constexpr auto reject_log_interval = std::chrono::seconds(10);

class NodeView {
  public:
    // `counters` takes the reports accepted and rejected; `clock` stamps reports (through a
    // NodeClock) and spaces the log lines of dropped ones.
    NodeView(boost::asio::io_context& io, MonitorSettings monitor, NetbootSettings netboot,
             const Clock& clock, DaemonCounters& counters, Logger& log);
    NodeView(const NodeView&) = delete;
    NodeView& operator=(const NodeView&) = delete;

    // Restores the node table saved by an earlier run; a missing file is fine, a bad one is
    // logged and the view starts empty.
    void restore();
    // Reads the nodes file (boot_switch.hpp). Fails with its one line (ErrorKind::config),
    // keeping the nodes listed before; on success `netboot` is in force.
    Status load_boot(const NetbootSettings& netboot);
    // Listens for reports unless BT_MONITOR=n; a port in use is logged, not fatal (the tracker
    // and the seeder are what nodes need).
    void start_listening();
    // BT_MONITOR_KEY's key (raw bytes): reports are checked against it (report_auth.hpp).
    void set_auth_key(const std::string& key);
    // Logs each node that turned stuck since the last look (a warning naming it, its address
    // and how long it has been silent) and each stuck node that reported again. Runs every
    // stuck_check_interval once listening, and at each report.
    void check_stuck();
    // SIGHUP's BT_MONITOR_STUCK: an installing node silent longer is stuck.
    void set_stuck_after(std::int64_t seconds);
    // Stops listening and writes the table now (before the writer's destructor returns).
    void stop();

    // A parsed report from `from`, and a line dropped with why (what MonitorListener calls).
    void on_report(const MonitorReport& r, const std::string& from);
    void on_reject(const std::string& why, const std::string& from);

    // The operator's "forget": drops the nodes `what` names (NodeTable::forget), logs each
    // with `by` (who asked), and saves the table soon. Returns the keys dropped. A node listed
    // in the nodes file stays listed (as not seen): the nodes file is the administrator's.
    std::vector<std::string> forget(std::string_view what, const std::string& by);

    // The node half of the status: now, the stuck time, the node table, the listed nodes.
    // Valid while this view lives and nothing else runs on its thread.
    StatusInput status();
    // Unix seconds on the node clock.
    std::int64_t now() const { return node_clock_.now(); }
    // "10.0.0.1:8181" while listening, else "".
    std::string address() const { return listener_.address(); }
    const NodeTable& nodes() const { return nodes_; }

  private:
    void schedule_save();
    void schedule_stuck_check();

    MonitorSettings monitor_;
    const Clock& clock_;
    NodeClock node_clock_;
    DaemonCounters& counters_;
    Logger& log_;
    NodeTable nodes_;
    LatestFileWriter writer_;
    BootSwitch boot_;
    boost::asio::steady_timer save_timer_;
    bool save_pending_ = false;
    boost::asio::steady_timer stuck_timer_;
    std::set<std::string> stuck_;  // keys of the nodes last seen stuck
    bool stopped_ = false;
    std::uint64_t rejects_unlogged_ = 0;
    std::chrono::steady_clock::time_point last_reject_log_{};
    // Last: it calls back into the members above until stop() or its destructor.
    MonitorListener listener_;
};

}  // namespace si
