#pragma once
// Which peers an announce reply hands out: a pure policy (no I/O, no clock of its own), so
// that it can be reasoned about, unit-tested and simulated.
//
// A uniform sample of the swarm hands out dead peers as often as live ones: after an announce
// storm, 512 peers that announced once and went away stayed tracked for the 20-minute expiry,
// and with 3 live agents the slowest one waited 31-212 s for a peer that answered (issue 15).
// So peers heard from within `live_within` (about two announce intervals) come first, chosen
// at random among themselves; older ones only fill what is left. Kraken's tracker also hands
// out the peers most likely to serve first.
#include <chrono>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace si {

struct PeerCandidate {
    std::uint32_t index = 0;            // the caller's own handle for the peer
    std::chrono::seconds since_seen{};  // age of its last announce
};

// Up to `want` indices from `candidates` (which must not hold the requester): first every
// candidate seen within `live_within`, at random if there are more than `want`, then older
// ones at random. Never the same index twice. `rng` makes the choice repeatable in tests.
std::vector<std::uint32_t> select_peers(std::span<const PeerCandidate> candidates,
                                        std::uint32_t want, std::chrono::seconds live_within,
                                        std::mt19937_64& rng);

}  // namespace si
