#include "server/view/node_table.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/view/mac_address.hpp"
#include "server/view/report_auth.hpp"

namespace si {
namespace {

using json = nlohmann::json;

constexpr int node_table_format_version = 1;

// Fields present in `r` replace those of `into`, as si_monitor's update_db did.
void merge(MonitorReport& into, const MonitorReport& r) {
    auto text = [](std::string& a, const std::string& b) {
        if (!b.empty()) {
            a = b;
        }
    };
    auto value = [](auto& a, const auto& b) {
        if (b) {
            a = b;
        }
    };
    into.mac = r.mac;
    text(into.ip, r.ip);
    text(into.host, r.host);
    text(into.cpu, r.cpu);
    text(into.kernel, r.kernel);
    text(into.os, r.os);
    text(into.log, r.log);
    text(into.phase, r.phase);
    text(into.error, r.error);
    text(into.install, r.install);
    into.auth = r.auth;  // the latest report's, whatever the earlier ones were
    value(into.ncpus, r.ncpus);
    value(into.mem_kb, r.mem_kb);
    value(into.tmpfs_percent, r.tmpfs_percent);
    value(into.uptime_s, r.uptime_s);
    value(into.status, r.status);
    value(into.speed_kbs, r.speed_kbs);
    value(into.up_kbs, r.up_kbs);
    value(into.peers, r.peers);
    value(into.pieces_verified, r.pieces_verified);
    value(into.pieces_total, r.pieces_total);
    value(into.overrides_applied, r.overrides_applied);
    value(into.overrides_fetched, r.overrides_fetched);
    value(into.entries, r.entries);
    value(into.bytes, r.bytes);
    into.archive_end = into.archive_end || r.archive_end;
}

// What a new install must not inherit from the last one.
void clear_install(NodeRecord& n) {
    MonitorReport& r = n.report;
    r.phase.clear();
    r.error.clear();
    r.install.clear();
    r.pieces_verified.reset();
    r.pieces_total.reset();
    r.overrides_applied.reset();
    r.overrides_fetched.reset();
    r.entries.reset();
    r.bytes.reset();
    r.archive_end = false;
    r.speed_kbs.reset();
    r.up_kbs.reset();
    r.peers.reset();
    n.history.clear();
    n.finished = 0;
}

bool terminal(int status) {
    return status < 0 || status >= report_status::imaged;
}

}  // namespace

std::vector<std::string> NodeTable::forget(std::string_view what) {
    std::vector<std::string> dropped;
    if (what.empty()) {
        return dropped;
    }
    const auto mac = normalize_mac(what);
    for (auto it = nodes_.begin(); it != nodes_.end();) {
        const NodeRecord& n = it->second;
        const bool named = it->first == what || (mac && it->first == *mac) ||
                           n.report.host == what || n.report.ip == what || n.from == what;
        if (named) {
            dropped.push_back(it->first);
            it = nodes_.erase(it);
        } else {
            ++it;
        }
    }
    return dropped;
}

std::string node_key(const MonitorReport& r, const std::string& from) {
    if (r.mac != "00:00:00:00:00:00") {
        return r.mac;
    }
    return "ip:" + (r.ip.empty() ? from : r.ip);
}

const char* node_state_name(NodeState s) {
    switch (s) {
        case NodeState::installing:
            return "installing";
        case NodeState::stuck:
            return "stuck";
        case NodeState::done:
            return "done";
        case NodeState::unverified:
            return "unverified";
        case NodeState::failed:
            return "failed";
    }
    return "?";
}

bool proves_install(const MonitorReport& r) {
    return report_trusted(r.auth) && r.pieces_total && *r.pieces_total > 0 &&
           r.pieces_verified == r.pieces_total && r.archive_end && r.overrides_applied &&
           r.overrides_applied == r.overrides_fetched;
}

NodeState node_state(const NodeRecord& n, std::int64_t now, std::int64_t stuck_after_s) {
    const int status = n.report.status.value_or(report_status::initializing);
    if (status < 0) {
        return NodeState::failed;
    }
    if (status >= report_status::imaged) {
        return proves_install(n.report) ? NodeState::done : NodeState::unverified;
    }
    return age_s(n.last_report, now) > stuck_after_s ? NodeState::stuck : NodeState::installing;
}

int node_percent(const NodeRecord& n) {
    const int status = n.report.status.value_or(0);
    if (status >= report_status::imaged) {
        return 100;
    }
    return status < 0 ? 0 : status;
}

bool NodeTable::apply(const MonitorReport& r, const std::string& from, std::int64_t now) {
    const std::string key = node_key(r, from);
    auto it = nodes_.find(key);
    if (it == nodes_.end()) {
        if (nodes_.size() >= max_nodes) {
            return false;
        }
        it = nodes_.emplace(key, NodeRecord{}).first;
        it->second.first_seen = now;
        it->second.started = now;
    }
    NodeRecord& n = it->second;
    if (r.status == report_status::initializing) {
        clear_install(n);
        n.started = now;
    }
    merge(n.report, r);
    n.from = from;
    n.last_report = now;
    if (r.status) {
        if (terminal(*r.status) && n.finished == 0) {
            n.finished = now;
        } else if (!terminal(*r.status)) {
            n.finished = 0;
        }
        n.history.push_back({now, r.speed_kbs.value_or(0), r.up_kbs.value_or(0), *r.status});
        while (n.history.size() > max_node_samples) {
            n.history.pop_front();
        }
    }
    return true;
}

std::int64_t NodeTable::clamp_to(std::int64_t now) {
    std::int64_t ahead = 0;
    auto clamp = [&](std::int64_t& t) {
        if (t > now) {
            ahead = std::max(ahead, t - now);
            t = now;
        }
    };
    for (auto& [key, n] : nodes_) {
        clamp(n.first_seen);
        clamp(n.last_report);
        clamp(n.started);
        if (n.finished != 0) {
            clamp(n.finished);
        }
        for (NodeSample& s : n.history) {
            clamp(s.time);
        }
    }
    return ahead;
}

std::string NodeTable::save() const {
    json nodes = json::array();
    for (const auto& [mac, n] : nodes_) {
        json history = json::array();
        for (const NodeSample& s : n.history) {
            history.push_back({s.time, s.down_kbs, s.up_kbs, s.status});
        }
        nodes.push_back({{"report", format_monitor_report(n.report)},
                         {"from", n.from},
                         {"first_seen", n.first_seen},
                         {"last_report", n.last_report},
                         {"started", n.started},
                         {"finished", n.finished},
                         {"history", std::move(history)}});
    }
    json doc = {{"version", node_table_format_version}, {"nodes", std::move(nodes)}};
    // Reports are valid UTF-8 since parsing (monitor_report.hpp); `from` is an address. Should
    // a byte that is not slip through, it is replaced, never a reason to throw.
    return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Status NodeTable::load(std::string_view text) {
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        return Error{"not a JSON object", ErrorKind::bad_data};
    }
    if (!doc.contains("version") || doc["version"] != node_table_format_version) {
        return Error{"unsupported version " +
                         (doc.contains("version") ? doc["version"].dump() : std::string("(none)")),
                     ErrorKind::bad_data};
    }
    if (!doc.contains("nodes") || !doc["nodes"].is_array()) {
        return Error{"no \"nodes\" list", ErrorKind::bad_data};
    }
    std::map<std::string, NodeRecord> loaded;
    std::size_t index = 0;
    for (const json& j : doc["nodes"]) {
        ++index;
        const std::string where = "node " + std::to_string(index) + ": ";
        try {
            auto report = parse_monitor_report(j.at("report").get<std::string>());
            if (!report) {
                return Error{where + report.error().message, ErrorKind::bad_data};
            }
            NodeRecord n;
            n.report = std::move(*report);
            n.from = j.at("from").get<std::string>().substr(0, max_report_value_bytes);
            n.first_seen = j.at("first_seen").get<std::int64_t>();
            n.last_report = j.at("last_report").get<std::int64_t>();
            n.started = j.at("started").get<std::int64_t>();
            n.finished = j.at("finished").get<std::int64_t>();
            for (const json& s : j.at("history")) {
                if (n.history.size() == max_node_samples) {
                    n.history.pop_front();
                }
                n.history.push_back({s.at(0).get<std::int64_t>(), s.at(1).get<std::int64_t>(),
                                     s.at(2).get<std::int64_t>(), s.at(3).get<int>()});
            }
            const std::string key = node_key(n.report, n.from);
            if (loaded.size() >= max_nodes && !loaded.contains(key)) {
                return Error{where + "more than " + std::to_string(max_nodes) + " nodes",
                             ErrorKind::bad_data};
            }
            loaded[key] = std::move(n);
        } catch (const json::exception& e) {
            return Error{where + e.what(), ErrorKind::bad_data};
        }
    }
    nodes_ = std::move(loaded);
    return Ok{};
}

}  // namespace si
