#include "seed_wait.hpp"

#include <algorithm>

namespace si {

bool seeding_may_stop(const SeedWaitSample& sample, std::int64_t min_rate) {
    return sample.upload_rate < min_rate && sample.peers_wanting == 0;
}

bool run_seed_wait(const Clock& clock,
                   const std::function<void(std::chrono::steady_clock::duration)>& wait,
                   SeedWaitTimes times, std::int64_t min_rate, std::int64_t uploaded_before,
                   const std::function<SeedWaitReading()>& read,
                   const std::function<void(const SeedWaitReading&, std::int64_t rate)>& each) {
    const auto deadline = clock.now() + times.max;
    std::int64_t sent_before = uploaded_before;
    auto period_start = clock.now();
    while (clock.now() < deadline) {
        wait(times.period);
        const SeedWaitReading r = read();
        const auto now = clock.now();
        const double seconds = std::chrono::duration<double>(now - period_start).count();
        const auto rate = static_cast<std::int64_t>(
            static_cast<double>(r.uploaded_total - sent_before) / std::max(seconds, 0.001));
        sent_before = r.uploaded_total;
        period_start = now;
        each(r, rate);
        if (seeding_may_stop({rate, r.peers_wanting}, min_rate)) {
            return true;
        }
    }
    return false;
}

}  // namespace si
