#pragma once
// The query strings of GET /announce (BEP 3) and GET /scrape (BEP 48), parsed apart from I/O.
// Percent-decoding is strict: a '%' not followed by two hex digits fails the whole query.
// Parameters a tracker does not need (ip, supportcrypto, trackerid, ...) are ignored; in
// particular the peer's address is always the one of the TCP connection, never `ip=`.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

// An announce is ~300 bytes; a scrape of many torrents ~70 bytes each. Anything longer is
// garbage or abuse and is refused before any decoding.
inline constexpr std::size_t max_query_bytes = 4096;
// BEP 3 leaves numwant to the tracker; 50 is what clients expect, 200 bounds the reply size.
inline constexpr int default_numwant = 50;
inline constexpr int max_numwant = 200;
// Bytes in an info-hash (SHA-1, v1 torrents) and in a peer id.
inline constexpr std::size_t info_hash_bytes = 20;
inline constexpr std::size_t peer_id_bytes = 20;

enum class AnnounceEvent { none, started, completed, stopped };

// "started", "completed", "stopped" or "" for none.
std::string_view event_name(AnnounceEvent event);

struct AnnounceQuery {
    std::string info_hash;  // exactly 20 raw bytes
    std::string peer_id;    // exactly 20 raw bytes
    std::uint16_t port = 0;
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    std::uint64_t left = 0;
    bool compact = true;  // BEP 23: compact unless the client asks for compact=0
    bool no_peer_id = false;
    AnnounceEvent event = AnnounceEvent::none;
    int numwant = default_numwant;  // clamped to 0..max_numwant
    std::string key;
};

struct ScrapeQuery {
    std::vector<std::string> info_hashes;  // raw 20-byte hashes in query order; empty: all
};

// Decodes %XX and, in query strings, '+' as a space (as HTML forms do; URL paths keep '+').
// Fails with "bad percent-encoding" on a '%' not followed by two hex digits.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space = true);

// Fails with a reason fit for a bencoded "failure reason", e.g. "missing info_hash",
// "info_hash must be 20 bytes, got 19", "port out of range: 0", "unknown event: paused",
// "query too long (5000 bytes, at most 4096)".
Result<AnnounceQuery> parse_announce_query(std::string_view query);
Result<ScrapeQuery> parse_scrape_query(std::string_view query);

// The raw bytes of a hex string (common/hex_string.hpp encodes); fails on odd length or a
// non-hex digit.
Result<std::string> from_hex(std::string_view hex);

}  // namespace si
