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
//
// Liveness alone was not enough: right after a storm its 512 dead peers are as fresh as the
// live ones, and a reply of 200 of 515 left out the image server's seeder 3 times in 5: the
// agents then waited a whole announce interval (30 s) for it; 3 agents took 29-62 s in 5 of
// 5 runs (bench/storm_bench.py). So within each of the two ages, seeds come before leechers for
// a leecher (the image server always seeds), and leechers before seeds for a seed.
#include <chrono>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace si {

struct PeerCandidate {
    std::uint32_t index = 0;            // the caller's own handle for the peer
    std::chrono::seconds since_seen{};  // age of its last announce
    bool seed = false;                  // it announced left=0
};

// Up to `want` indices from `candidates` (which must not hold the requester), in four tiers,
// each drawn at random when it holds more than what is left to fill: candidates seen within
// `live_within` that are seeds, then the other live ones, then older seeds, then the rest
// (for a requester that is a seed itself, leechers before seeds in each age). Never the same
// index twice. `rng` makes the choice repeatable in tests.
std::vector<std::uint32_t> select_peers(std::span<const PeerCandidate> candidates,
                                        std::uint32_t want, std::chrono::seconds live_within,
                                        std::mt19937_64& rng, bool requester_is_seed = false);

}  // namespace si
