#pragma once
// What the image server knows of each node from its monitor reports (monitor_report.hpp):
// the latest value of every field, when it reported, a short history for the plots, and
// whether it proved a finished install. Keyed by MAC, as SystemImager's si_monitor was.
// Pure: times are passed in (Unix seconds), the caller does the I/O (saving, sockets).
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "server/view/monitor_report.hpp"

namespace si {

// A node's history: one sample per report, the oldest dropped beyond this (1 h at the
// protocol's 10 s interval; a deploy takes minutes).
inline constexpr std::size_t max_node_samples = 360;
// Reports from more MACs than this are dropped (a hostile sender cannot grow the table).
inline constexpr std::size_t max_nodes = 10000;

struct NodeSample {
    std::int64_t time = 0;      // Unix seconds
    std::int64_t down_kbs = 0;  // KB/s
    std::int64_t up_kbs = 0;    // KB/s
    int status = 0;
};

struct NodeRecord {
    MonitorReport report;  // every field as last reported (absent fields keep old values)
    std::string from;      // the address the last report came from
    std::int64_t first_seen = 0;
    std::int64_t last_report = 0;
    std::int64_t started = 0;   // the install's first report (status 0, or first seen)
    std::int64_t finished = 0;  // when it first reported done or failed; 0 while installing
    std::deque<NodeSample> history;
};

// The key a node is known by: its MAC; a node that sent the all-zero MAC (it could not read
// one: a loopback address, a missing /sys) is known by "ip:<its address>" instead, so that
// such nodes do not all merge into one.
std::string node_key(const MonitorReport& r, const std::string& from);

enum class NodeState {
    installing,  // reporting 0-99
    stuck,       // installing, but silent for longer than the stuck limit
    done,        // reported 100-105 with the proof of a whole install
    unverified,  // reported 100-105 without that proof (SystemImager 4 clients, or a bug)
    failed,      // reported a negative status
};
const char* node_state_name(NodeState s);

// True when the report proves a whole install: every piece verified against its hash, the
// archive read to its end-of-archive blocks, every fetched override applied, and (with
// BT_MONITOR_KEY) the report authenticated (server/view/report_auth.hpp).
bool proves_install(const MonitorReport& r);

// The state of `n` at `now`; silent for more than `stuck_after_s` while installing is stuck.
NodeState node_state(const NodeRecord& n, std::int64_t now, std::int64_t stuck_after_s);

// Seconds from `then` to `now`, never negative: a time after `now` (a saved state written
// before the server's clock was stepped back) is an age of 0, not a negative one.
inline std::int64_t age_s(std::int64_t then, std::int64_t now) {
    return now > then ? now - then : 0;
}

// Percent of the install, 0-100, from the status (and 100 once done).
int node_percent(const NodeRecord& n);

class NodeTable {
  public:
    // Records `r`, received from `from` at `now`. A status 0 (initializing) starts a new
    // install: its history, proof and error are cleared. Returns false, changing nothing,
    // when the report is of a new MAC and the table already holds max_nodes.
    bool apply(const MonitorReport& r, const std::string& from, std::int64_t now);

    // Drops every node that `what` names: a MAC in any spelling mac_address.hpp takes, a key
    // ("ip:10.0.0.7"), the hostname the node reported, or its address (reported or seen).
    // Returns the keys dropped, sorted; none when nothing matches (an empty `what` matches
    // nothing). A forgotten node that reports again is recorded anew.
    std::vector<std::string> forget(std::string_view what);

    // By node_key().
    const std::map<std::string, NodeRecord>& nodes() const { return nodes_; }
    bool empty() const { return nodes_.empty(); }

    // Takes every time after `now` as `now` (the clock was stepped back since they were
    // written: a restored state from before the step). Returns by how many seconds the
    // latest time was ahead of `now`, 0 when none was.
    std::int64_t clamp_to(std::int64_t now);

    // A versioned JSON snapshot, history included (written next to BT_TRACKER_STATE).
    std::string save() const;
    // Restores a snapshot. Fails ("not JSON: ...", "unsupported version 3", "node 4: ...")
    // changing nothing.
    Status load(std::string_view json);

  private:
    std::map<std::string, NodeRecord> nodes_;
};

}  // namespace si
