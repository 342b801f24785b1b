#pragma once
// The agent's piece-priority policy, as a pure function: which pieces just ahead of the unpack
// cursor get a libtorrent deadline (time-critical picking) now, while every other piece keeps
// coming rarest-first. No I/O, no clock: the alert loop in swarm.cpp gathers the inputs and
// applies the result.
//
// Deadlines are given only when the unpack lags: when enough verified pieces wait past the
// cursor that the in-order prefix must catch up. Otherwise pieces come rarest-first, and the
// image server's super-seeding hands them into the swarm in file order, so the unpack follows
// the download on its own. An earlier rule also gave a deadline to every piece near the cursor
// that two peers held; it cost time wherever a node's downlink is the limit, since a late
// time-critical piece is asked of more than one peer. Simulated (sim/run, 3 Mbit/s, 1,212
// pieces of 64 KiB), x S/R at N = 4 / 16 / 32: with that rule 1.22 / 1.17 / 1.18, without
// deadlines 1.14 / 1.19 / 1.17, with this one 1.14 / 1.16 / 1.17.
#include <cstdint>
#include <span>
#include <vector>

namespace si {

struct DeadlinePolicy {
    int span_pieces = 0;  // pieces from the cursor on that may get deadlines
    int step_ms = 250;    // the k-th missing piece from the cursor: (k + 1) * step_ms
    int lag_pieces = 8;   // verified pieces ahead of the cursor that start a catch-up
};

// The policy for a torrent of `num_pieces` pieces of `piece_length` bytes: the span covers
// 32 MiB (what sits in the request queues at link speed: with 2 MiB the unpack lagged until
// the end, bench/agent_stream.sh --rate 200mbit), clamped to [4, 512] pieces; the lag limit is
// 2 % of the pieces, at least 8.
DeadlinePolicy deadline_policy_for(std::int64_t piece_length, int num_pieces);

// What the alert loop knows about the torrent at one moment. Both spans are indexed by piece
// and have the torrent's piece count.
struct PieceState {
    int cursor = 0;                      // first piece the unpacker still needs
    int have_count = 0;                  // verified pieces in all
    std::span<const char> have;          // 1: verified here
    std::span<const char> deadline_set;  // 1: a deadline was already given
};

struct PieceDeadline {
    int piece = 0;
    int deadline_ms = 0;  // from now
};

// The pieces in [cursor, ...) that should get a deadline now, in piece order: when
// have_count - cursor >= lag_pieces, those of the first `span_pieces` missing pieces from the
// cursor without a deadline yet; otherwise none.
std::vector<PieceDeadline> plan_deadlines(const PieceState& state, const DeadlinePolicy& policy);

}  // namespace si
