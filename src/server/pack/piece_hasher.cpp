#include "server/pack/piece_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/file_io.hpp"

namespace si {

int choose_piece_size(std::uint64_t bound) {
    std::uint64_t size = min_piece_size;
    while (size < static_cast<std::uint64_t>(max_piece_size) &&
           (bound + size - 1) / size > max_pieces) {
        size *= 2;
    }
    return static_cast<int>(size);
}

PieceHasher::PieceHasher(int fd, std::string path, int piece_size)
    : fd_(fd), path_(std::move(path)), piece_size_(piece_size) {
    buffer_.reserve(write_buffer_bytes);
}

Status PieceHasher::write(std::span<const char> data) {
    total_ += data.size();
    // Hash, cutting at piece boundaries.
    std::span<const char> rest = data;
    while (!rest.empty()) {
        int n = static_cast<int>(
            std::min<std::size_t>(rest.size(), static_cast<std::size_t>(piece_size_ - in_piece_)));
        hasher_.update(rest.data(), n);
        in_piece_ += n;
        rest = rest.subspan(static_cast<std::size_t>(n));
        if (in_piece_ == piece_size_) {
            hashes_.push_back(hasher_.final());
            hasher_.reset();
            in_piece_ = 0;
        }
    }
    // Write: large chunks straight through, small ones gathered.
    if (buffer_.empty() && data.size() >= write_buffer_bytes) {
        return write_all(data);
    }
    while (!data.empty()) {
        std::size_t n = std::min(data.size(), write_buffer_bytes - buffer_.size());
        buffer_.insert(buffer_.end(), data.begin(), data.begin() + static_cast<long>(n));
        data = data.subspan(n);
        if (buffer_.size() == write_buffer_bytes) {
            Status s = flush();
            if (!s) {
                return s;
            }
        }
    }
    return Ok{};
}

Status PieceHasher::flush() {
    Status s = write_all(buffer_);
    buffer_.clear();
    return s;
}

Status PieceHasher::write_all(std::span<const char> data) {
    if (const int err = si::write_all(fd_, data); err != 0) {
        return Error{"write " + path_ + ": " + std::strerror(err), io_error_kind(err)};
    }
    // Start writeback of what was written so far, without waiting for it: the final fsync then
    // has only the tail to flush, and the disk works while the tree is still being read.
    written_ += data.size();
    if (written_ - synced_ >= writeback_bytes) {
        sync_file_range(fd_, static_cast<off64_t>(synced_),
                        static_cast<off64_t>(written_ - synced_), SYNC_FILE_RANGE_WRITE);
        synced_ = written_;
    }
    return Ok{};
}

Status PieceHasher::finish() {
    if (in_piece_ > 0) {
        hashes_.push_back(hasher_.final());
        hasher_.reset();
        in_piece_ = 0;
    }
    return flush();
}

}  // namespace si
