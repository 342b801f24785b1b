#pragma once
// Progress reports to SystemImager's si_monitor (MONITOR_SERVER:MONITOR_PORT): one TCP
// connection per message, one line of colon-separated key=value pairs, as the original sent:
// mac=..:ip=..:host=..:cpu=..:ncpus=..:kernel=..:mem=..:os=..:tmpfs=..:time=..:status=..:speed=..
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "common/agent_settings.hpp"
#include "common/log.hpp"

namespace si {

namespace monitor_status {
inline constexpr int initializing = 0;  // 1-99: percent imaged
inline constexpr int imaged = 100;
inline constexpr int finalizing = 101;
}  // namespace monitor_status

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
                         std::int64_t uptime_s, int status, int speed_kbs);

// Reports are delivered by a thread of their own, never on the download loop: a monitor that
// is slow, refused or black-holed costs the install nothing (each delivery is bounded by 3 s;
// failures are logged once, never fatal).
class MonitorReporter {
  public:
    MonitorReporter(const AgentSettings& settings, std::string own_address, Logger& log);
    // Delivers what is still queued, the last report first among them (the final status):
    // blocks at most two delivery time-outs (6 s) when the monitor does not answer.
    ~MonitorReporter();
    MonitorReporter(const MonitorReporter&) = delete;
    MonitorReporter& operator=(const MonitorReporter&) = delete;

    bool enabled() const { return !server_.empty(); }
    // Queues a report now; returns at once. When reports pile up (the monitor is slow), the
    // oldest waiting ones are dropped: the monitor wants the latest state, not the history.
    void send(int status, int speed_kbs);
    // Queues a report when at least the report interval passed since the last one.
    void maybe_send(int status, int speed_kbs);

  private:
    void deliver(const std::string& line);  // one connection, bounded by the time-out
    void run();                             // the delivery thread

    std::mutex mu_;
    std::condition_variable wake_;
    std::deque<std::string> pending_;
    bool closing_ = false;
    std::thread worker_;

    std::string server_;
    std::uint16_t port_;
    std::string os_;
    std::string bind_;
    NodeFacts node_;
    Logger& log_;
    bool warned_ = false;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace si
