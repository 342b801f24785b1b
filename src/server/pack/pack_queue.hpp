#pragma once
// si_btd's packing worker: images and overrides are packed (or their pairs reused) one at a
// time, in the order queued, on a thread of its own, so the tracker and the seeder keep
// serving meanwhile. Each result goes to the `done` callback on the worker's thread (the
// daemon posts it to its io_context).
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "common/result.hpp"
#include "server/config/server_settings.hpp"
#include "server/pack/packer.hpp"

namespace si {

class PackQueue {
  public:
    using Done = std::function<void(const PackJob&, Result<PackResult>)>;

    PackQueue(Logger& log, Done done);
    // stop(): a pack in progress is cancelled, queued ones are dropped.
    ~PackQueue();
    PackQueue(const PackQueue&) = delete;
    PackQueue& operator=(const PackQueue&) = delete;

    // Starts the worker thread. Jobs pushed before wait for it.
    void start();
    // Queues `job`, packed with `settings` and `rebuild` (packer.hpp). A job pushed after
    // stop() is dropped.
    void push(PackJob job, PackerSettings settings, Rebuild rebuild);
    // Cancels the pack in progress (it fails with "cancelled" and leaves no temp file), drops
    // the queued jobs and joins the worker. Safe to call more than once.
    void stop();

  private:
    struct Queued {
        PackJob job;
        PackerSettings settings;
        Rebuild rebuild = Rebuild::if_stale;
    };
    void run();

    Logger& log_;
    Done done_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Queued> queue_;
    bool exit_ = false;
    std::atomic<bool> cancel_{false};
    std::thread worker_;
};

}  // namespace si
