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
//
// The deadlines are ones the link can meet: the k-th missing piece is due after k steps of
// two piece times at the current download rate, or of 250 ms if that is longer. A fixed
// 250 ms step is 125 piece times of 256 KiB at 1 Gb/s but half a piece time of 64 KiB at
// 1 Mbit/s; there every time-critical piece was late at once, and libtorrent asks a piece
// that takes longer than a typical one of a second peer. Simulated at 64 nodes on 1 Mbit/s
// links (si_sim, 1,212 pieces of 64 KiB): 1.27 -> 1.19 x S/R, received twice 1.41 -> 0.46 x S;
// at 3 Mbit/s, 64 nodes 1.25 -> 1.22 and 16 nodes 1.15 -> 1.15 (sim/run; docs/performance.md).
#include <cstdint>
#include <span>
#include <vector>

namespace si {

struct DeadlinePolicy {
    int span_pieces = 0;       // pieces from the cursor on that may get deadlines
    int step_ms = 250;         // the shortest step: the k-th missing piece is due at (k + 1) steps
    int piece_times_step = 2;  // a step is at least this many piece times at the current rate
    int lag_pieces = 8;        // verified pieces ahead of the cursor that start a catch-up
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
    std::int64_t download_rate = 0;      // payload bytes/s now (torrent_status); 0: not known
    std::int64_t piece_length = 0;       // bytes per piece of this torrent
};

struct PieceDeadline {
    int piece = 0;
    int deadline_ms = 0;  // from now
};

// Milliseconds between the deadlines of two consecutive missing pieces: piece_times_step *
// piece_length / download_rate, at least step_ms (step_ms alone while the rate is not known).
int deadline_step_ms(const PieceState& state, const DeadlinePolicy& policy);

// The have_count that measures the unpack's lag in a delta install (agent/delta_start.hpp):
// the cursor plus the pieces verified here at or past it (`verified`, indexed by piece). The
// pieces the plan leaves out are held, not waiting for the unpacker, which skips them; counted
// as had, they made the unpack look late from the first second on.
int delta_lag_have_count(std::span<const char> verified, int cursor);

// The pieces in [cursor, ...) that should get a deadline now, in piece order: when
// have_count - cursor >= lag_pieces, those of the first `span_pieces` missing pieces from the
// cursor without a deadline yet, the k-th missing one due in (k + 1) * deadline_step_ms();
// otherwise none.
std::vector<PieceDeadline> plan_deadlines(const PieceState& state, const DeadlinePolicy& policy);

}  // namespace si
