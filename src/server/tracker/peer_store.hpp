#pragma once
// The tracker's swarms: for each served info-hash, the peers that announced it recently.
// A peer is identified by its peer_id and by its ip:port; an announce matching an existing
// entry by either replaces it (a client restarted with a fresh peer_id keeps one entry).
// Time comes from a Clock so tests expire peers without sleeping. Not thread-safe: the
// tracker uses it from the io_context's single thread.
#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "server/tracker/announce_query.hpp"

namespace si {

// Third-party libtorrent clients re-announce at most every 300 s (their min_announce_interval)
// whatever interval we hand out; a peer silent for four of those periods is gone.
inline constexpr std::chrono::seconds peer_expiry{20 * 60};
// A peer heard from within this is handed out before older ones (peer_selection.hpp): two
// of our announce intervals (30 s) and some slack.
inline constexpr std::chrono::seconds peer_live_within{75};
// Version written by PeerStore::save(); load() refuses any other.
inline constexpr std::int64_t peer_store_format_version = 1;

// Another peer of the swarm, as handed to an announcing client.
struct PeerEntry {
    std::string peer_id;  // 20 raw bytes
    boost::asio::ip::address ip;
    std::uint16_t port = 0;
    bool seed = false;  // left == 0
};

// A peer as the operator's view shows it (status_view.hpp): what its last announce said.
struct TrackedPeer {
    boost::asio::ip::address ip;
    std::uint16_t port = 0;
    std::uint64_t left = 0;        // bytes
    std::uint64_t uploaded = 0;    // bytes, as the client counts them
    std::uint64_t downloaded = 0;  // bytes
    std::chrono::seconds idle{0};  // since its last announce
};

struct SwarmCounts {
    std::uint64_t complete = 0;    // seeds (left == 0)
    std::uint64_t incomplete = 0;  // leechers
    std::uint64_t downloaded = 0;  // downloads finished here (see completed_now)
};

// One swarm as the operator's view shows it.
struct SwarmSnapshot {
    SwarmCounts counts;
    std::vector<TrackedPeer> peers;
    std::uint64_t downloaded_bytes = 0;  // PeerStore::downloaded_bytes
    std::uint64_t uploaded_bytes = 0;    // PeerStore::uploaded_bytes
};

struct AnnounceRequest {
    std::string_view info_hash;   // 20 raw bytes
    std::string_view peer_id;     // 20 raw bytes
    boost::asio::ip::address ip;  // the address of the connection, never the `ip` parameter
    std::uint16_t port = 0;
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    std::uint64_t left = 0;
    AnnounceEvent event = AnnounceEvent::none;
    int numwant = default_numwant;
};

struct AnnounceResult {
    std::vector<PeerEntry> peers;  // never the requester itself
    SwarmCounts counts;            // after this announce
    // This announce finished a download: event=completed, or a peer seen with bytes left now
    // reports none (some clients, aria2 among them, never send "completed").
    bool completed_now = false;
    // The first announce of this peer (peer_id) in this swarm.
    bool new_peer = false;
};

class PeerStore {
  public:
    // `seed` makes the random choice of peers repeatable in tests; 0 seeds from the system.
    explicit PeerStore(const Clock& clock, std::uint64_t seed = 0);

    // Starts tracking `info_hash` (a no-op when tracked). Peers restored by load() for it
    // are kept.
    void add_torrent(std::string_view info_hash);
    // Tracks exactly these info-hashes; swarms of the others are forgotten.
    void set_torrents(const std::vector<std::string>& info_hashes);
    bool tracks(std::string_view info_hash) const;

    // Records the announce (event stopped removes the peer) and returns up to numwant other
    // peers, chosen at random when the swarm holds more. nullopt when the hash is not tracked.
    std::optional<AnnounceResult> announce(const AnnounceRequest& req);

    // nullopt when the hash is not tracked.
    std::optional<SwarmCounts> counts(std::string_view info_hash) const;
    // The peers of a tracked swarm (empty when not tracked), in no particular order.
    std::vector<TrackedPeer> peers(std::string_view info_hash) const;
    // Bytes the swarm's peers said they downloaded: the current peers' last announces plus
    // the last figures of peers that left or were replaced since the daemon started.
    // A count that a peer restarted (a smaller figure than its last one) keeps the old figure
    // in the sum, so the sum never goes down while the daemon runs.
    std::uint64_t downloaded_bytes(std::string_view info_hash) const;
    // Bytes the swarm's peers said they uploaded, counted as downloaded_bytes() is. The image
    // server seeds but never announces to its own tracker, so this is what the nodes sent each
    // other: the bytes that did not come from the server.
    std::uint64_t uploaded_bytes(std::string_view info_hash) const;
    // The tracked info-hashes, in no particular order.
    std::vector<std::string> torrents() const;

    // Drops the peers not seen for peer_expiry; returns how many were dropped.
    std::size_t sweep();

    std::size_t peer_count() const;  // across tracked swarms

    // A bencoded, versioned snapshot with wall-clock "last seen" times.
    std::string save() const;
    // Restores a snapshot, dropping the peers that expired meanwhile. Swarms of hashes not
    // tracked yet are held back until add_torrent()/set_torrents() names them (or they
    // expire). On failure ("not bencoded: ...", "unsupported version 7", "bad peer entry")
    // nothing is changed.
    Status load(std::string_view data);

    // Internal types, public only so the hash functors in the .cpp can name them.
    using PeerId = std::array<char, 20>;
    using EndpointKey = std::array<unsigned char, 18>;  // IPv6 (or v4-mapped) bytes + port
    struct Peer {
        PeerId id{};
        boost::asio::ip::address ip;
        std::uint16_t port = 0;
        std::uint64_t left = 0;
        std::uint64_t uploaded = 0;
        std::uint64_t downloaded = 0;
        std::chrono::steady_clock::time_point seen;
        bool completed = false;  // its "completed" event was counted
    };
    struct KeyHash {
        template <typename A>
        std::size_t operator()(const A& a) const {
            return std::hash<std::string_view>{}(
                std::string_view(reinterpret_cast<const char*>(a.data()), a.size()));
        }
    };
    struct Swarm {
        std::vector<Peer> peers;
        std::unordered_map<PeerId, std::uint32_t, KeyHash> by_id;
        std::unordered_map<EndpointKey, std::uint32_t, KeyHash> by_endpoint;
        std::uint64_t seeds = 0;
        std::uint64_t downloaded = 0;
        std::uint64_t gone_downloaded = 0;  // "downloaded" of the peers removed or restarted
        std::uint64_t gone_uploaded = 0;    // "uploaded" of the peers removed or restarted
    };

  private:
    const Clock& clock_;
    std::mt19937_64 rng_;
    std::unordered_map<std::string, Swarm> swarms_;    // tracked
    std::unordered_map<std::string, Swarm> restored_;  // loaded, not (yet) tracked
};

}  // namespace si
