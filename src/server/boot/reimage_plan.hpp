#pragma once
// How si_btreimage walks a set of nodes through a reinstall: in batches of K nodes, each batch
// started only when the one before it has ended (every node done, failed or timed out), at
// most C installs at once within a batch, and a time-out per node, as Kadeploy and xCAT's
// rolling updates do. Pure: si_btreimage (si_btreimage_main.cpp) writes the boot files, runs
// the power command and reads si_btd's status; this only says what to do next.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace si {

struct ReimageOptions {
    std::size_t batch_size = 0;          // nodes per batch; 0: all in one batch
    std::size_t max_concurrent = 0;      // installs at once; 0: the batch size
    std::int64_t node_timeout_s = 1800;  // seconds from a node's start to its verified install
    bool stop_on_failure = false;        // start no batch after one with a failed node
};

enum class ReimageState { pending, installing, done, failed, timed_out, skipped };
std::string_view reimage_state_name(ReimageState s);  // "pending", "installing", ...

struct ReimageNode {
    ReimageState state = ReimageState::pending;
    std::size_t batch = 0;     // from assign_batches()
    std::int64_t started = 0;  // seconds (the caller's clock) when it was started
};

// Batch numbers for `count` nodes in their order: the first batch_size are batch 0, and so on.
std::vector<ReimageNode> assign_batches(std::size_t count, std::size_t batch_size);

struct ReimageStep {
    std::vector<std::size_t> time_out;  // installing nodes past their time-out at `now`
    std::vector<std::size_t> start;     // pending nodes to start now, in order
    std::vector<std::size_t> skip;      // pending nodes never to start (stop_on_failure)
    bool finished = false;              // nothing is installing or left to start after this
};

// What to do at `now` (seconds, the clock `started` was taken from), given every node's state.
// The caller applies the step (time_out -> timed_out, start -> installing with started = now,
// skip -> skipped) and calls again after the next change or poll.
ReimageStep next_reimage_step(const std::vector<ReimageNode>& nodes, const ReimageOptions& o,
                              std::int64_t now);

}  // namespace si
