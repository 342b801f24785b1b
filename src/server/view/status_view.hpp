#pragma once
// The operator's view of a deployment as data: /status.json and /metrics (Prometheus text
// format 0.0.4), built from the node table (monitor reports), the tracker's swarms and the
// seeder's counters. Pure: the daemon gathers the inputs, status_pages.hpp serves the outputs.
// The JSON schema is documented in docs/server-howto.md ("The operator's view").
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/tracker/peer_store.hpp"
#include "server/view/node_table.hpp"

namespace si {

// Version of the /status.json schema; a change that removes or renames a field raises it.
inline constexpr int status_schema_version = 1;

// One served image or override.
struct ImageView {
    std::string name;
    std::string kind;  // "image" or "override"
    std::string tarball;
    std::string info_hash_hex;
    std::int64_t size_bytes = 0;
    bool seeding = false;
    std::int64_t server_bytes = 0;  // payload the seeder sent for it since si_btd started
    std::optional<SwarmSnapshot> swarm;
    // The disk layout served for it: "served", "none" (the image has no layout file), or the
    // error that keeps it from being served ("autoinstallscript.conf:12: ...").
    std::string layout = "none";
};

// One node of the nodes file and its boot file (server/boot/boot_switch.hpp).
struct NodeBootView {
    std::string mac;
    std::string hostname;
    std::string target;  // the nodes file's image
    std::string group;
    // "install", "local", "foreign" (a file si_btd did not write), "none" (no file), or
    // "error" (the file cannot be read).
    std::string boot;
    std::string boot_image;       // the image the file installs, or the one the disk holds
    std::int64_t boot_since = 0;  // Unix seconds; 0 when unknown
};

// What si_btd counted since it started: packs by result, and node reports taken or dropped.
struct DaemonCounters {
    std::uint64_t packs_made = 0;
    std::uint64_t packs_reused = 0;
    std::uint64_t packs_failed = 0;
    std::uint64_t reports_accepted = 0;
    std::uint64_t reports_rejected = 0;
};

struct DaemonFacts {
    std::string version;
    std::int64_t started = 0;  // Unix seconds
    std::uint64_t announces = 0;
    DaemonCounters counters;
    std::string monitor_address;  // "10.0.0.1:8181"; empty when not listening
};

struct StatusInput {
    std::int64_t now = 0;             // Unix seconds
    std::int64_t stuck_after_s = 60;  // an installing node silent longer is stuck
    DaemonFacts daemon;
    std::vector<ImageView> images;
    const NodeTable* nodes = nullptr;
    // The nodes file's nodes; nullptr when none is listed (no per-node boot).
    const std::vector<NodeBootView>* listed = nullptr;
};

// The whole status as one JSON document; `with_history` adds each node's samples
// [[time, down KB/s, up KB/s, status], ...] (what the page's plots are drawn from).
std::string status_json(const StatusInput& in, bool with_history);

// The Prometheus exposition: per image nodes by state, bytes from the server and from peers,
// the swarm ratio, peers by role; per daemon announces, packs, monitor reports.
std::string metrics_text(const StatusInput& in);

}  // namespace si
