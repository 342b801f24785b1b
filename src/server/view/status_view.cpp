#include "server/view/status_view.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace si {
namespace {

using json = nlohmann::json;

constexpr std::array all_states = {NodeState::installing, NodeState::stuck, NodeState::done,
                                   NodeState::unverified, NodeState::failed};

// Bytes the nodes got from each other: what they announced as uploaded (the server does not
// announce). Not "all downloaded less what the server sent": the server's count is live and the
// announces lag, so that difference went down and showed 0 while nodes uploaded.
std::int64_t peer_bytes(const ImageView& im) {
    if (!im.swarm) {
        return 0;
    }
    return static_cast<std::int64_t>(im.swarm->uploaded_bytes);
}

// Peer bytes per server byte; nullopt before the server sent anything.
std::optional<double> swarm_ratio(const ImageView& im) {
    if (im.server_bytes <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(peer_bytes(im)) / static_cast<double>(im.server_bytes);
}

// An image's tracked peers by address, built once per document (not once per node).
using PeersByIp = std::unordered_map<std::string, const TrackedPeer*>;

PeersByIp peers_by_ip(const ImageView& im) {
    PeersByIp out;
    if (im.swarm) {
        for (const TrackedPeer& p : im.swarm->peers) {
            out.emplace(p.ip.to_string(), &p);
        }
    }
    return out;
}

const TrackedPeer* tracked_peer(const PeersByIp* peers, const NodeRecord& n) {
    if (peers == nullptr) {
        return nullptr;
    }
    // The address the node reported (its own, in the swarm) or, without one, the sender's.
    const auto it = peers->find(n.report.ip.empty() ? n.from : n.report.ip);
    return it == peers->end() ? nullptr : it->second;
}

template <typename T>
json opt(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

using ListedByMac = std::unordered_map<std::string, const NodeBootView*>;

json boot_json(const NodeBootView& v) {
    return {{"listed", true},
            {"hostname", v.hostname},
            {"target", v.target},
            {"group", v.group},
            {"state", v.boot},
            {"image", v.boot_image},
            {"since", v.boot_since == 0 ? json(nullptr) : json(v.boot_since)}};
}

json node_json(const NodeRecord& n, const PeersByIp* peers, const ListedByMac* listed,
               const StatusInput& in, bool with_history) {
    const MonitorReport& r = n.report;
    const NodeState state = node_state(n, in.now, in.stuck_after_s);
    json j = {
        {"key", node_key(r, n.from)},
        {"mac", r.mac},
        {"host", r.host},
        {"ip", r.ip.empty() ? n.from : r.ip},
        {"from", n.from},
        {"image", r.os},
        {"state", node_state_name(state)},
        {"phase", r.phase},
        {"install", r.install.empty() ? json(nullptr) : json(r.install)},
        {"auth", r.auth.empty() ? json(nullptr) : json(r.auth)},
        {"status", opt(r.status)},
        {"percent", node_percent(n)},
        {"download_kbs", opt(r.speed_kbs)},
        {"upload_kbs", opt(r.up_kbs)},
        {"peers", opt(r.peers)},
        {"last_report", n.last_report},
        {"silent_s", age_s(n.last_report, in.now)},
        {"started", n.started},
        {"finished", n.finished == 0 ? json(nullptr) : json(n.finished)},
        {"elapsed_s", age_s(n.started, n.finished != 0 ? n.finished : in.now)},
        {"error", r.error},
        // MONITOR_CONSOLE=y: the last lines of the node's own log, " | " between them.
        {"console", r.log},
        {"cpu", r.cpu},
        {"ncpus", opt(r.ncpus)},
        {"mem_kb", opt(r.mem_kb)},
        {"kernel", r.kernel},
        {"tmpfs_percent", opt(r.tmpfs_percent)},
    };
    if (r.pieces_total || r.archive_end || r.entries) {
        j["proof"] = {{"pieces_verified", opt(r.pieces_verified)},
                      {"pieces_total", opt(r.pieces_total)},
                      {"archive_end", r.archive_end},
                      {"overrides_applied", opt(r.overrides_applied)},
                      {"overrides_fetched", opt(r.overrides_fetched)},
                      {"entries", opt(r.entries)},
                      {"bytes", opt(r.bytes)},
                      {"complete", proves_install(r)}};
    } else {
        j["proof"] = nullptr;
    }
    if (listed == nullptr) {
        j["boot"] = nullptr;  // no nodes file: no per-node boot
    } else if (const auto it = listed->find(r.mac); it != listed->end()) {
        j["boot"] = boot_json(*it->second);
    } else {
        j["boot"] = {{"listed", false}};
    }
    if (const TrackedPeer* p = tracked_peer(peers, n)) {
        j["tracker"] = {{"left", p->left},
                        {"downloaded", p->downloaded},
                        {"uploaded", p->uploaded},
                        {"idle_s", p->idle.count()}};
    } else {
        j["tracker"] = nullptr;
    }
    if (with_history) {
        json h = json::array();
        for (const NodeSample& s : n.history) {
            h.push_back({s.time, s.down_kbs, s.up_kbs, s.status});
        }
        j["history"] = std::move(h);
    }
    return j;
}

// Prometheus label value: backslash, double quote and newline escaped.
std::string label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string status_json(const StatusInput& in, bool with_history) {
    std::map<std::string, std::map<std::string, int>> by_image;  // image -> state -> count
    json nodes = json::array();
    std::map<std::string, int> totals;
    std::map<std::string, PeersByIp> peers;  // image name -> its swarm's peers
    for (const ImageView& im : in.images) {
        if (im.kind == "image") {
            peers.emplace(im.name, peers_by_ip(im));
        }
    }
    ListedByMac listed;
    json inventory = json::array();
    if (in.listed != nullptr) {
        for (const NodeBootView& v : *in.listed) {
            listed.emplace(v.mac, &v);
            json item = boot_json(v);
            item.erase("listed");
            item["mac"] = v.mac;
            item["seen"] = in.nodes != nullptr && in.nodes->nodes().contains(v.mac);
            inventory.push_back(std::move(item));
        }
    }
    if (in.nodes != nullptr) {
        for (const auto& [mac, n] : in.nodes->nodes()) {
            const std::string state = node_state_name(node_state(n, in.now, in.stuck_after_s));
            ++by_image[n.report.os][state];
            ++totals[state];
            const auto it = peers.find(n.report.os);
            nodes.push_back(node_json(n, it == peers.end() ? nullptr : &it->second,
                                      in.listed != nullptr ? &listed : nullptr, in, with_history));
        }
    }
    json images = json::array();
    for (const ImageView& im : in.images) {
        json counts = json::object();
        for (NodeState s : all_states) {
            counts[node_state_name(s)] =
                im.kind == "image" ? by_image[im.name][node_state_name(s)] : 0;
        }
        json tracker = nullptr;
        if (im.swarm) {
            tracker = {{"seeds", im.swarm->counts.complete},
                       {"leechers", im.swarm->counts.incomplete},
                       {"completed", im.swarm->counts.downloaded}};
        }
        images.push_back({{"name", im.name},
                          {"kind", im.kind},
                          {"tarball", im.tarball},
                          {"info_hash", im.info_hash_hex},
                          {"size_bytes", im.size_bytes},
                          {"seeding", im.seeding},
                          {"server_bytes", im.server_bytes},
                          {"peer_bytes", peer_bytes(im)},
                          {"swarm_ratio", opt(swarm_ratio(im))},
                          {"layout", im.layout},
                          {"tracker", std::move(tracker)},
                          {"nodes", std::move(counts)}});
    }
    json summary = {{"nodes", nodes.size()}};
    for (NodeState s : all_states) {
        summary[node_state_name(s)] = totals[node_state_name(s)];
    }
    const DaemonFacts& d = in.daemon;
    json doc = {
        {"schema", status_schema_version},
        {"now", in.now},
        {"stuck_after_s", in.stuck_after_s},
        {"server",
         {{"version", d.version},
          {"started", d.started},
          {"announces", d.announces},
          {"packs",
           {{"made", d.counters.packs_made},
            {"reused", d.counters.packs_reused},
            {"failed", d.counters.packs_failed}}},
          {"monitor",
           {{"address", d.monitor_address.empty() ? json(nullptr) : json(d.monitor_address)},
            {"reports", d.counters.reports_accepted},
            {"rejected", d.counters.reports_rejected}}}}},
        {"summary", std::move(summary)},
        {"images", std::move(images)},
        {"nodes", std::move(nodes)},
        {"inventory", std::move(inventory)},
    };
    // Bytes that are not UTF-8 (a hostile host name) are replaced, never a reason to fail.
    return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string metrics_text(const StatusInput& in) {
    std::string out;
    auto help = [&](const char* name, const char* type, const char* text) {
        out += std::string("# HELP ") + name + " " + text + "\n# TYPE " + name + " " + type + "\n";
    };
    auto line = [&](const std::string& name_labels, double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " %.17g\n", v);
        out += name_labels + buf;
    };
    std::map<std::string, std::map<std::string, int>> by_image;
    std::int64_t rate_kbs = 0;
    if (in.nodes != nullptr) {
        for (const auto& [mac, n] : in.nodes->nodes()) {
            const NodeState s = node_state(n, in.now, in.stuck_after_s);
            ++by_image[n.report.os][node_state_name(s)];
            if (s == NodeState::installing) {
                rate_kbs += n.report.speed_kbs.value_or(0);
            }
        }
    }
    help("si_btd_nodes", "gauge", "Nodes by image (os= of their reports) and state.");
    for (const auto& [image, states] : by_image) {
        for (NodeState s : all_states) {
            auto it = states.find(node_state_name(s));
            line(
                "si_btd_nodes{image=\"" + label(image) + "\",state=\"" + node_state_name(s) + "\"}",
                it == states.end() ? 0 : it->second);
        }
    }
    help("si_btd_nodes_download_bytes_per_second", "gauge",
         "Sum of the download rates installing nodes last reported.");
    line("si_btd_nodes_download_bytes_per_second", static_cast<double>(rate_kbs) * 1024);
    help("si_btd_image_size_bytes", "gauge", "Size of the image's tarball.");
    for (const ImageView& im : in.images) {
        line("si_btd_image_size_bytes{image=\"" + label(im.name) + "\",kind=\"" + im.kind + "\"}",
             static_cast<double>(im.size_bytes));
    }
    help("si_btd_image_server_bytes_total", "counter",
         "Payload bytes the seeder sent for the image since si_btd started.");
    for (const ImageView& im : in.images) {
        line("si_btd_image_server_bytes_total{image=\"" + label(im.name) + "\",kind=\"" + im.kind +
                 "\"}",
             static_cast<double>(im.server_bytes));
    }
    help("si_btd_image_peer_bytes_total", "counter",
         "Bytes nodes sent each other, as their announces say (never goes down).");
    for (const ImageView& im : in.images) {
        line("si_btd_image_peer_bytes_total{image=\"" + label(im.name) + "\",kind=\"" + im.kind +
                 "\"}",
             static_cast<double>(peer_bytes(im)));
    }
    help("si_btd_image_swarm_ratio", "gauge", "Bytes from peers per byte from the server.");
    for (const ImageView& im : in.images) {
        if (auto r = swarm_ratio(im)) {
            line("si_btd_image_swarm_ratio{image=\"" + label(im.name) + "\",kind=\"" + im.kind +
                     "\"}",
                 *r);
        }
    }
    help("si_btd_image_peers", "gauge", "Peers the tracker holds for the image, by role.");
    for (const ImageView& im : in.images) {
        if (im.swarm) {
            const std::string l = "{image=\"" + label(im.name) + "\",kind=\"" + im.kind + "\",";
            line("si_btd_image_peers" + l + "role=\"seed\"}",
                 static_cast<double>(im.swarm->counts.complete));
            line("si_btd_image_peers" + l + "role=\"leecher\"}",
                 static_cast<double>(im.swarm->counts.incomplete));
        }
    }
    if (in.listed != nullptr) {
        std::map<std::string, int> boots;
        for (const char* b : {"install", "local", "foreign", "none", "error"}) {
            boots[b] = 0;
        }
        for (const NodeBootView& v : *in.listed) {
            ++boots[v.boot];
        }
        help("si_btd_listed_nodes", "gauge",
             "Nodes of the nodes file by what their boot file says.");
        for (const auto& [b, count] : boots) {
            line("si_btd_listed_nodes{boot=\"" + b + "\"}", count);
        }
    }
    const DaemonFacts& d = in.daemon;
    help("si_btd_announces_total", "counter", "Announces the tracker answered.");
    line("si_btd_announces_total", static_cast<double>(d.announces));
    help("si_btd_packs_total", "counter", "Tarballs packed, reused unchanged, or failed.");
    line("si_btd_packs_total{result=\"made\"}", static_cast<double>(d.counters.packs_made));
    line("si_btd_packs_total{result=\"reused\"}", static_cast<double>(d.counters.packs_reused));
    line("si_btd_packs_total{result=\"failed\"}", static_cast<double>(d.counters.packs_failed));
    help("si_btd_monitor_reports_total", "counter", "Node reports received, by result.");
    line("si_btd_monitor_reports_total{result=\"accepted\"}",
         static_cast<double>(d.counters.reports_accepted));
    line("si_btd_monitor_reports_total{result=\"rejected\"}",
         static_cast<double>(d.counters.reports_rejected));
    help("si_btd_start_time_seconds", "gauge", "When si_btd started (Unix time).");
    line("si_btd_start_time_seconds", static_cast<double>(d.started));
    return out;
}

}  // namespace si
