#pragma once
// The agent's piece-priority policy, as a pure function: which pieces just ahead of the unpack
// cursor get a libtorrent deadline (time-critical picking) now, while every other piece keeps
// coming rarest-first. No I/O, no clock: the alert loop in swarm.cpp gathers the inputs and
// applies the result.
//
// Why the conditions: when every node starts at once their unpack cursors sit on the same
// pieces, which at first only the image server has. Deadlines on those would make every node
// ask the server for the same bytes (bench/deploy, 8 nodes: the server sent 3x the image). So
// a piece gets a deadline only once enough peers have it, or once the unpack lags so far behind
// the download that the prefix must catch up (a lone node with only the server never sees a
// piece held by two peers).
#include <cstdint>
#include <span>
#include <vector>

namespace si {

struct DeadlinePolicy {
    int span_pieces = 0;       // pieces from the cursor on that may get deadlines
    int step_ms = 250;         // the k-th missing piece from the cursor: (k + 1) * step_ms
    int min_availability = 2;  // peers that must hold a piece before it gets a deadline
    int lag_pieces = 8;        // verified pieces ahead of the cursor that force a catch-up
};

// The policy for a torrent of `num_pieces` pieces of `piece_length` bytes: the span covers
// 32 MiB (what sits in the request queues at link speed: with 2 MiB the unpack lagged until
// the end, bench/agent_stream.sh --rate 200mbit), clamped to [4, 512] pieces; the lag limit is
// 2 % of the pieces, at least 8.
DeadlinePolicy deadline_policy_for(std::int64_t piece_length, int num_pieces);

// What the alert loop knows about the torrent at one moment. All spans are indexed by piece
// and have the torrent's piece count, except `availability`, which may be empty (not read
// yet) or shorter (then missing entries count as 0).
struct PieceState {
    int cursor = 0;                      // first piece the unpacker still needs
    int have_count = 0;                  // verified pieces in all
    std::span<const char> have;          // 1: verified here
    std::span<const int> availability;   // peers (connected) that have each piece
    std::span<const char> deadline_set;  // 1: a deadline was already given
};

struct PieceDeadline {
    int piece = 0;
    int deadline_ms = 0;  // from now
};

// The pieces in [cursor, ...) that should get a deadline now, in piece order: of the first
// `span_pieces` missing pieces from the cursor, those without a deadline yet that either have
// availability >= min_availability, or all of them when have_count - cursor >= lag_pieces.
std::vector<PieceDeadline> plan_deadlines(const PieceState& state, const DeadlinePolicy& policy);

}  // namespace si
