#include "seed_wait.hpp"

namespace si {

bool seeding_may_stop(const SeedWaitSample& sample, std::int64_t min_rate) {
    return sample.upload_rate < min_rate && sample.peers_wanting == 0;
}

}  // namespace si
