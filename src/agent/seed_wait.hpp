#pragma once
// When a node that has its image may stop seeding (BITTORRENT_SEED_WAIT=y).
//
// SystemImager's rule (reference/original-behaviour.md, BITTORRENT_UPLOAD_MIN) is the upload
// rate alone: stop once it falls below the minimum for a polling period. A peer's TCP can pause
// for a second or more while that peer still needs pieces (losses on a short queue, a slow
// disk), and a node that leaves then takes its pieces with it: with 4 nodes on 1 Mbit/s links
// and 250 ms queues, nodes left that way while the last one still had 400 s to go. So a node
// also stays while a connected peer still wants pieces from it. BITTORRENT_SEED_MAX bounds both.
#include <chrono>
#include <cstdint>
#include <functional>

#include "common/clock.hpp"

namespace si {

// What the seed-wait loop measured in one polling period.
struct SeedWaitSample {
    std::int64_t upload_rate = 0;  // bytes/s sent to peers over the period
    int peers_wanting = 0;         // connected peers that lack pieces we have (interested in us)
};

// True when seeding may stop: the upload rate is below `min_rate` (bytes/s) and no connected
// peer wants pieces from us.
bool seeding_may_stop(const SeedWaitSample& sample, std::int64_t min_rate);

// What the session says at the end of a polling period.
struct SeedWaitReading {
    std::int64_t uploaded_total = 0;  // payload bytes sent to peers since the start
    int peers = 0;                    // connected peers
    int peers_wanting = 0;            // of them, those that lack pieces we have
};

struct SeedWaitTimes {
    std::chrono::seconds period;  // BITTORRENT_POLLING_TIME
    std::chrono::seconds max;     // BITTORRENT_SEED_MAX
};

// The seed-wait loop on the clock seam: each period it waits with `wait` (which sleeps on the
// real clock, and moves a test's `clock` instead), takes a reading, measures the upload rate
// over the period on `clock` from the bytes sent (libtorrent's own rate is a moving average that
// takes many seconds to fall once peers are gone), hands both to `each`, and returns true once
// seeding_may_stop() says so; false when `times.max` has passed since the start.
// `uploaded_before` is the bytes sent when the wait starts; `min_rate` is in bytes/s.
bool run_seed_wait(const Clock& clock,
                   const std::function<void(std::chrono::steady_clock::duration)>& wait,
                   SeedWaitTimes times, std::int64_t min_rate, std::int64_t uploaded_before,
                   const std::function<SeedWaitReading()>& read,
                   const std::function<void(const SeedWaitReading&, std::int64_t rate)>& each);

}  // namespace si
