#include "server/pack/read_ahead.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <utility>

#include "common/reachable_path.hpp"

namespace si {

ReadAhead::ReadAhead(const std::vector<TreeEntry>& entries)
    : entries_(entries), thread_([this] { run(); }) {}

ReadAhead::~ReadAhead() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void ReadAhead::advance(std::size_t index) {
    {
        std::lock_guard lock(mu_);
        cursor_ = index;
    }
    cv_.notify_all();
}

void ReadAhead::run() {
    // (index, size) of regular files asked for and not yet passed by the writer.
    std::deque<std::pair<std::size_t, std::uint64_t>> pending;
    std::uint64_t pending_bytes = 0;
    for (std::size_t next = 0; next < entries_.size(); ++next) {
        const struct stat& st = entries_[next].st;
        if (!S_ISREG(st.st_mode) || st.st_size == 0) {
            continue;
        }
        const auto size = static_cast<std::uint64_t>(st.st_size);
        {
            std::unique_lock lock(mu_);
            for (;;) {
                while (!pending.empty() && pending.front().first < cursor_) {
                    pending_bytes -= pending.front().second;
                    pending.pop_front();
                }
                bool room = pending.empty() || (pending_bytes + size <= read_ahead_bytes &&
                                                pending.size() < read_ahead_files);
                if (stop_ || room) {
                    break;
                }
                cv_.wait(lock);
            }
            if (stop_) {
                return;
            }
            if (next < cursor_) {
                continue;  // the writer is already past it
            }
        }
        // O_NONBLOCK: a file replaced by a fifo since the walk must not block this thread.
        const int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        auto path = ReachablePath::of(entries_[next].abs_path);
        int fd = path ? ::open(path->c_str(), flags | O_NOATIME) : -1;
        if (fd < 0 && path) {
            fd = ::open(path->c_str(), flags);
        }
        if (fd >= 0) {
            posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
            ::close(fd);
        }
        pending.emplace_back(next, size);
        pending_bytes += size;
    }
}

}  // namespace si
