#include "piece_priority.hpp"

#include <algorithm>

namespace si {
namespace {

constexpr std::int64_t deadline_span_bytes = 32 * 1024 * 1024;
constexpr int deadline_span_min_pieces = 4;
constexpr int deadline_span_max_pieces = 512;
constexpr int lag_pieces_min = 8;
constexpr double lag_share = 0.02;
// A trickle of a few bytes/s must not push deadlines past what an int of ms holds for 512
// pieces: one step is at most 60 s.
constexpr std::int64_t max_step_ms = 60'000;

}  // namespace

DeadlinePolicy deadline_policy_for(std::int64_t piece_length, int num_pieces) {
    DeadlinePolicy p;
    p.span_pieces = static_cast<int>(
        std::clamp<std::int64_t>(deadline_span_bytes / std::max<std::int64_t>(piece_length, 1),
                                 deadline_span_min_pieces, deadline_span_max_pieces));
    p.lag_pieces = std::max(lag_pieces_min, static_cast<int>(lag_share * num_pieces));
    return p;
}

int deadline_step_ms(const PieceState& s, const DeadlinePolicy& policy) {
    if (s.download_rate <= 0 || s.piece_length <= 0) {
        return policy.step_ms;
    }
    const std::int64_t piece_times_ms =
        policy.piece_times_step * s.piece_length * 1000 / s.download_rate;
    return static_cast<int>(
        std::max<std::int64_t>(policy.step_ms, std::min(piece_times_ms, max_step_ms)));
}

int delta_lag_have_count(std::span<const char> verified, int cursor) {
    const auto from =
        static_cast<std::size_t>(std::clamp<int>(cursor, 0, static_cast<int>(verified.size())));
    return std::max(cursor, 0) +
           static_cast<int>(std::count_if(verified.begin() + static_cast<std::ptrdiff_t>(from),
                                          verified.end(), [](char c) { return c != 0; }));
}

std::vector<PieceDeadline> plan_deadlines(const PieceState& s, const DeadlinePolicy& policy) {
    std::vector<PieceDeadline> out;
    if (s.have_count - s.cursor < policy.lag_pieces) {
        return out;  // the unpack keeps up: every piece comes rarest-first
    }
    const int step_ms = deadline_step_ms(s, policy);
    const int num_pieces = static_cast<int>(s.have.size());
    for (int i = std::max(s.cursor, 0), n = 0; i < num_pieces && n < policy.span_pieces; ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (s.have[k]) {
            continue;
        }
        if (!(k < s.deadline_set.size() && s.deadline_set[k])) {
            out.push_back({i, (n + 1) * step_ms});
        }
        ++n;
    }
    return out;
}

}  // namespace si
