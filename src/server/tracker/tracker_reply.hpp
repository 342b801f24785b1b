#pragma once
// Bencoded tracker replies: BEP 3 announce (compact peers per BEP 23, IPv6 in "peers6" per
// BEP 7), BEP 48 scrape, and the "failure reason" reply every client understands.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/tracker/peer_store.hpp"

namespace si {

struct AnnounceReply {
    std::chrono::seconds interval{0};
    std::chrono::seconds min_interval{0};
    SwarmCounts counts;
    std::vector<PeerEntry> peers;
};

struct ScrapeEntry {
    std::string info_hash;  // 20 raw bytes
    SwarmCounts counts;
};

// d14:failure reason<len>:<reason>e
std::string failure_reply(std::string_view reason);

// compact: "peers" is 6 bytes per IPv4 peer and "peers6" 18 bytes per IPv6 peer (both always
// present). Otherwise "peers" is a list of dicts {ip, port[, peer id]}; no_peer_id leaves
// "peer id" out.
std::string announce_reply(const AnnounceReply& reply, bool compact, bool no_peer_id);

// d5:filesd<20-byte hash>d8:completei..e10:downloadedi..e10:incompletei..eeee
std::string scrape_reply(const std::vector<ScrapeEntry>& entries);

}  // namespace si
