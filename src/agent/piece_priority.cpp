#include "piece_priority.hpp"

#include <algorithm>

namespace si {
namespace {

constexpr std::int64_t deadline_span_bytes = 32 * 1024 * 1024;
constexpr int deadline_span_min_pieces = 4;
constexpr int deadline_span_max_pieces = 512;
constexpr int lag_pieces_min = 8;
constexpr double lag_share = 0.02;

}  // namespace

DeadlinePolicy deadline_policy_for(std::int64_t piece_length, int num_pieces) {
    DeadlinePolicy p;
    p.span_pieces = static_cast<int>(
        std::clamp<std::int64_t>(deadline_span_bytes / std::max<std::int64_t>(piece_length, 1),
                                 deadline_span_min_pieces, deadline_span_max_pieces));
    p.lag_pieces = std::max(lag_pieces_min, static_cast<int>(lag_share * num_pieces));
    return p;
}

std::vector<PieceDeadline> plan_deadlines(const PieceState& s, const DeadlinePolicy& policy) {
    std::vector<PieceDeadline> out;
    if (s.have_count - s.cursor < policy.lag_pieces) {
        return out;  // the unpack keeps up: every piece comes rarest-first
    }
    const int num_pieces = static_cast<int>(s.have.size());
    for (int i = std::max(s.cursor, 0), n = 0; i < num_pieces && n < policy.span_pieces; ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (s.have[k]) {
            continue;
        }
        if (!(k < s.deadline_set.size() && s.deadline_set[k])) {
            out.push_back({i, (n + 1) * policy.step_ms});
        }
        ++n;
    }
    return out;
}

}  // namespace si
