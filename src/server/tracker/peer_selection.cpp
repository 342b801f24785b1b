#include "server/tracker/peer_selection.hpp"

#include <algorithm>
#include <array>

namespace si {
namespace {

// Moves a random `count` of [first, last) to its front (a partial Fisher-Yates shuffle).
template <typename It>
void sample_to_front(It first, It last, std::size_t count, std::mt19937_64& rng) {
    const auto n = static_cast<std::size_t>(last - first);
    for (std::size_t i = 0; i < count && i + 1 < n; ++i) {
        std::uniform_int_distribution<std::size_t> pick(i, n - 1);
        std::swap(first[static_cast<std::ptrdiff_t>(i)],
                  first[static_cast<std::ptrdiff_t>(pick(rng))]);
    }
}

}  // namespace

std::vector<std::uint32_t> select_peers(std::span<const PeerCandidate> candidates,
                                        std::uint32_t want, std::chrono::seconds live_within,
                                        std::mt19937_64& rng, bool requester_is_seed) {
    // tiers[0]: live and wanted first, [1]: live, [2]: old and wanted first, [3]: the rest.
    std::array<std::vector<std::uint32_t>, 4> tiers;
    for (const PeerCandidate& c : candidates) {
        const bool old = c.since_seen > live_within;
        const bool preferred = c.seed != requester_is_seed;
        tiers[(old ? 2 : 0) + (preferred ? 0 : 1)].push_back(c.index);
    }
    std::vector<std::uint32_t> out;
    out.reserve(std::min<std::size_t>(want, candidates.size()));
    for (auto& tier : tiers) {
        if (out.size() == want) {
            break;
        }
        const std::size_t take = std::min<std::size_t>(want - out.size(), tier.size());
        sample_to_front(tier.begin(), tier.end(), take, rng);
        out.insert(out.end(), tier.begin(), tier.begin() + static_cast<std::ptrdiff_t>(take));
    }
    return out;
}

}  // namespace si
