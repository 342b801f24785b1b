#pragma once
// When a node that has its image may stop seeding (BITTORRENT_SEED_WAIT=y).
//
// SystemImager's rule (reference/original-behaviour.md, BITTORRENT_UPLOAD_MIN) is the upload
// rate alone: stop once it falls below the minimum for a polling period. A peer's TCP can pause
// for a second or more while that peer still needs pieces (losses on a short queue, a slow
// disk), and a node that leaves then takes its pieces with it: with 4 nodes on 1 Mbit/s links
// and 250 ms queues, nodes left that way while the last one still had 400 s to go. So a node
// also stays while a connected peer still wants pieces from it. BITTORRENT_SEED_MAX bounds both.
#include <cstdint>

namespace si {

// What the seed-wait loop measured in one polling period.
struct SeedWaitSample {
    std::int64_t upload_rate = 0;  // bytes/s sent to peers over the period
    int peers_wanting = 0;         // connected peers that lack pieces we have (interested in us)
};

// True when seeding may stop: the upload rate is below `min_rate` (bytes/s) and no connected
// peer wants pieces from us.
bool seeding_may_stop(const SeedWaitSample& sample, std::int64_t min_rate);

}  // namespace si
