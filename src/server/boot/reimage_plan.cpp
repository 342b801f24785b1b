#include "server/boot/reimage_plan.hpp"

#include <algorithm>
#include <limits>

namespace si {

std::string_view reimage_state_name(ReimageState s) {
    switch (s) {
        case ReimageState::pending:
            return "pending";
        case ReimageState::installing:
            return "installing";
        case ReimageState::done:
            return "done";
        case ReimageState::failed:
            return "failed";
        case ReimageState::timed_out:
            return "timed-out";
        case ReimageState::skipped:
            return "skipped";
    }
    return "?";
}

std::vector<ReimageNode> assign_batches(std::size_t count, std::size_t batch_size) {
    std::vector<ReimageNode> out(count);
    for (std::size_t i = 0; i < count; ++i) {
        out[i].batch = batch_size == 0 ? 0 : i / batch_size;
    }
    return out;
}

ReimageStep next_reimage_step(const std::vector<ReimageNode>& nodes, const ReimageOptions& o,
                              std::int64_t now) {
    ReimageStep step;
    // States as they are once this step's time-outs are applied.
    std::vector<ReimageState> state(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        state[i] = nodes[i].state;
        if (state[i] == ReimageState::installing && now - nodes[i].started >= o.node_timeout_s) {
            step.time_out.push_back(i);
            state[i] = ReimageState::timed_out;
        }
    }
    // The current batch: the first with a node pending or installing.
    std::size_t current = std::numeric_limits<std::size_t>::max();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (state[i] == ReimageState::pending || state[i] == ReimageState::installing) {
            current = std::min(current, nodes[i].batch);
        }
    }
    if (current == std::numeric_limits<std::size_t>::max()) {
        step.finished = true;
        return step;
    }
    std::size_t installing = 0;
    bool earlier_failed = false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].batch == current && state[i] == ReimageState::installing) {
            ++installing;
        }
        if (nodes[i].batch < current &&
            (state[i] == ReimageState::failed || state[i] == ReimageState::timed_out)) {
            earlier_failed = true;
        }
    }
    if (o.stop_on_failure && earlier_failed) {
        bool any_installing = false;
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (state[i] == ReimageState::pending) {
                step.skip.push_back(i);
            }
            any_installing = any_installing || state[i] == ReimageState::installing;
        }
        step.finished = !any_installing;
        return step;
    }
    std::size_t batch_count = 0;
    for (const ReimageNode& n : nodes) {
        batch_count += n.batch == current ? 1 : 0;
    }
    const std::size_t cap = o.max_concurrent == 0 ? batch_count : o.max_concurrent;
    for (std::size_t i = 0; i < nodes.size() && installing < cap; ++i) {
        if (nodes[i].batch == current && state[i] == ReimageState::pending) {
            step.start.push_back(i);
            ++installing;
        }
    }
    return step;
}

}  // namespace si
