#include "server/pack/pack_queue.hpp"

namespace si {

PackQueue::PackQueue(Logger& log, Done done) : log_(log), done_(std::move(done)) {}

PackQueue::~PackQueue() {
    stop();
}

void PackQueue::start() {
    if (!worker_.joinable()) {
        worker_ = std::thread([this] { run(); });
    }
}

void PackQueue::push(PackJob job, PackerSettings settings, Rebuild rebuild) {
    {
        std::lock_guard lock(mu_);
        if (exit_) {
            return;
        }
        queue_.push_back({std::move(job), std::move(settings), rebuild});
    }
    cv_.notify_one();
}

void PackQueue::stop() {
    cancel_ = true;
    {
        std::lock_guard lock(mu_);
        exit_ = true;
        queue_.clear();
    }
    cv_.notify_all();
    if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) {
        worker_.join();
    }
}

void PackQueue::run() {
    for (;;) {
        Queued q;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return exit_ || !queue_.empty(); });
            if (exit_) {
                return;
            }
            q = std::move(queue_.front());
            queue_.pop_front();
        }
        done_(q.job, pack_or_reuse(q.job, q.settings, q.rebuild, log_, &cancel_));
    }
}

}  // namespace si
