#include "server/view/latest_file_writer.hpp"

#include <filesystem>

#include "common/atomic_file.hpp"

namespace si {
namespace {

// The snapshots are the node table (BT_MONITOR_STATE): host names, addresses, MACs and error
// texts of the nodes, for si_btd (root) alone, like the tarballs.
constexpr mode_t snapshot_mode = 0600;

}  // namespace

LatestFileWriter::~LatestFileWriter() {
    {
        std::lock_guard lock(mu_);
        closing_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) {
        worker_.join();
    }
}

void LatestFileWriter::write(std::string bytes) {
    {
        std::lock_guard lock(mu_);
        pending_ = std::move(bytes);
        if (!worker_.joinable()) {
            worker_ = std::thread([this] { run(); });
        }
    }
    wake_.notify_one();
}

void LatestFileWriter::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        wake_.wait(lock, [this] { return closing_ || pending_.has_value(); });
        if (!pending_) {
            return;  // closing, nothing left
        }
        std::string bytes = std::move(*pending_);
        pending_.reset();
        lock.unlock();
        Status st = Ok{};
        const auto dir = std::filesystem::path(path_).parent_path();
        if (!dir.empty()) {
            st = make_directories(dir.string());
        }
        if (st) {
            st = write_file_atomically(path_, bytes, snapshot_mode);
        }
        lock.lock();
        if (!st && !failing_) {
            log_.error("monitor: save " + path_ + ": " + st.error().message);
        }
        failing_ = !st;
    }
}

}  // namespace si
