#pragma once
// Progress reports to SystemImager's si_monitor (MONITOR_SERVER:MONITOR_PORT): one TCP
// connection per message, one line of colon-separated key=value pairs, as the original sent:
// mac=..:ip=..:host=..:cpu=..:ncpus=..:kernel=..:mem=..:os=..:tmpfs=..:time=..:status=..:speed=..
// followed by keys of our own that si_monitor skips and si_btd reads
// (src/server/view/monitor_report.hpp): phase, up, peers, the proof of a whole install (pieces,
// archive, overrides, entries, bytes), install (full: downloaded and unpacked now; held: the
// disk already held the image, proved by its install record) and error.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/agent_settings.hpp"
#include "common/log.hpp"

namespace si {

namespace monitor_status {
inline constexpr int initializing = 0;  // 1-99: percent imaged
inline constexpr int imaged = 100;
inline constexpr int finalizing = 101;
}  // namespace monitor_status

// What the agent verified when the image and every override are in the root: sent with the
// imaged status so that the server can tell a whole install from a claimed one.
struct InstallProof {
    std::int64_t pieces_verified = 0;  // across all torrents, each checked against its SHA-1
    std::int64_t pieces_total = 0;
    bool archive_end = false;  // every tarball read to its end-of-archive blocks
    int overrides_applied = 0;
    int overrides_fetched = 0;
    std::int64_t entries = 0;  // entries unpacked, all tarballs
    std::int64_t bytes = 0;    // file data written, all tarballs
};

// One report beyond the node's facts.
struct AgentReport {
    int status = monitor_status::initializing;
    std::int64_t speed_kbs = 0;  // download, KB/s
    std::string phase;           // start, download, seeding, done, failed
    std::int64_t up_kbs = -1;    // upload, KB/s; -1: not sent
    int peers = -1;              // -1: not sent
    std::optional<InstallProof> proof;
    std::string install;  // with the proof: "full" or "held" (agent/install_record.hpp); "" none
    std::string error;    // why it failed (one line)
    // MONITOR_CONSOLE=y: the last lines of the agent's log, sent with a failure (log=, cut to
    // max_console_bytes from its start, so the last lines stay).
    std::vector<std::string> console;
};

// What a report carries of the console at most: si_btd keeps as much (max_report_log_bytes).
inline constexpr std::size_t max_console_bytes = 1500;
// How many of the log's last lines MONITOR_CONSOLE=y keeps for a failure report.
inline constexpr std::size_t console_lines = 20;

// The fields that describe this node, read once from /proc, /sys and uname.
struct NodeFacts {
    std::string mac;  // with '.' for ':' as the original sent it
    std::string ip;
    std::string host;
    std::string cpu;
    int ncpus = 0;
    std::string kernel;
    std::int64_t mem_kb = 0;
};

NodeFacts read_node_facts(const std::string& own_address);

// Formats one report line (without the newline).
std::string monitor_line(const NodeFacts& node, const std::string& os, int tmpfs_percent,
                         std::int64_t uptime_s, const AgentReport& report);

// Reports are delivered by a thread of their own, never on the download loop: a monitor that
// is slow, refused or black-holed costs the install nothing (each delivery is bounded by 3 s;
// failures are logged once per server, never fatal). With several MONITOR_SERVERs each report
// goes to all of them at once, within the same bound.
class MonitorReporter {
  public:
    MonitorReporter(const AgentSettings& settings, std::string own_address, Logger& log);
    // Delivers what is still queued, the last report first among them (the final status):
    // blocks at most two delivery time-outs (6 s) when the monitor does not answer.
    ~MonitorReporter();
    MonitorReporter(const MonitorReporter&) = delete;
    MonitorReporter& operator=(const MonitorReporter&) = delete;

    bool enabled() const { return !servers_.empty(); }
    // With the cluster key (build-initrd --monitor-key), each report line ends with its HMAC
    // (common/monitor_auth.hpp), so that si_btd can tell it from a forged one.
    void set_auth_key(std::string key) { auth_key_ = std::move(key); }
    // Queues a report now; returns at once. When reports pile up (the monitor is slow), the
    // oldest waiting ones are dropped: the monitor wants the latest state, not the history.
    void send(const AgentReport& report);
    // Queues a report when at least the report interval passed since the last one.
    void maybe_send(const AgentReport& report);

  private:
    void deliver(const std::string& line);  // one connection, bounded by the time-out
    void run();                             // the delivery thread

    std::mutex mu_;
    std::condition_variable wake_;
    std::deque<std::string> pending_;
    bool closing_ = false;
    std::thread worker_;

    // MONITOR_SERVER: each report goes to every one (each server's page shows every node).
    std::vector<ServerAddress> servers_;
    std::uint16_t port_;
    std::string os_;
    std::string bind_;
    NodeFacts node_;
    std::string auth_key_;  // "": reports are not authenticated
    Logger& log_;
    std::vector<bool> warned_;  // per server: its failure logged once
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace si
