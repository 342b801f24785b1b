#pragma once
// The nodes file (BT_NODES, default nodes.conf beside bittorrent.conf): the cluster's nodes,
// one per line, as si_btd and si_btreimage know them. A plain table, since SystemImager's own
// cluster definition (cluster.xml, si_clusterconfig) names no MAC addresses:
//
//   # hostname  MAC                image     group     overrides
//   node01      52:54:00:12:34:01  debian12  compute   site,compute
//   node02      52-54-00-12-34-02  debian12  compute   -
//
// Blank lines and '#' comments are skipped. The first three columns are required; group and
// overrides may be left out or given as "-". docs/server-howto.md, "Reimage nodes".
// Parsing is pure; the caller reads the file.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

struct ListedNode {
    std::string hostname;                // a DNS name: labels of letters, digits and '-'
    std::string mac;                     // normalized: "52:54:00:12:34:01"
    std::string image;                   // its target image
    std::string group;                   // "" when none
    std::vector<std::string> overrides;  // in order
    int line = 0;                        // where it is listed
};

struct NodeInventory {
    std::vector<ListedNode> nodes;  // in file order

    // The node with this normalized MAC, or nullptr.
    const ListedNode* by_mac(std::string_view mac) const;
    // The node with this hostname (any case), or nullptr.
    const ListedNode* by_hostname(std::string_view hostname) const;
};

// Fails (ErrorKind::config) with "<file>:<line>: <what>" on the first bad line: too few or too
// many columns, a hostname, MAC, image, group or override name that is not valid, or a MAC or
// hostname listed twice (naming the line of the first).
Result<NodeInventory> parse_nodes_file(std::string_view text, std::string_view file);

// Reads and parses `path`. A missing file is an empty inventory (no node listed); an unreadable
// one fails with ErrorKind::config.
Result<NodeInventory> load_nodes_file(const std::string& path);

// True for a hostname of DNS labels (RFC 1123 section 2.1): 1-63 letters, digits or '-' each,
// not starting or ending with '-', joined by '.', at most 253 bytes.
bool is_valid_hostname(std::string_view name);

}  // namespace si
