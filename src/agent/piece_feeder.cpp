#include "agent/piece_feeder.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace si {
namespace {

int count_pieces(std::int64_t total_size, int piece_length) {
    if (total_size <= 0 || piece_length <= 0) {
        return 0;
    }
    return static_cast<int>((total_size + piece_length - 1) / piece_length);
}

std::string seconds_text(std::chrono::milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

}  // namespace

PieceFeeder::PieceFeeder(std::int64_t total_size, int piece_length, int window)
    : total_size_(std::max<std::int64_t>(total_size, 0)),
      piece_length_(piece_length),
      num_pieces_(count_pieces(total_size, piece_length)),
      window_(std::max(window, 1)) {}

int PieceFeeder::cursor() const {
    std::lock_guard lock(mu_);
    return cursor_;
}

int PieceFeeder::window_end() const {
    std::lock_guard lock(mu_);
    return std::min(cursor_ + window_, num_pieces_);
}

bool PieceFeeder::wants(int piece) const {
    std::lock_guard lock(mu_);
    return piece >= cursor_ && piece < std::min(cursor_ + window_, num_pieces_) &&
           ready_.find(piece) == ready_.end();
}

bool PieceFeeder::deliver(int piece, std::shared_ptr<const char[]> data, int size) {
    if (piece < 0 || piece >= num_pieces_ || !data) {
        return false;
    }
    const std::int64_t start = static_cast<std::int64_t>(piece) * piece_length_;
    const auto expected =
        static_cast<int>(std::min<std::int64_t>(piece_length_, total_size_ - start));
    if (size != expected) {
        return false;
    }
    bool wake = false;
    {
        std::lock_guard lock(mu_);
        if (piece < cursor_ || piece >= cursor_ + window_) {
            return false;
        }
        if (!ready_.emplace(piece, std::make_pair(std::move(data), size)).second) {
            return false;
        }
        wake = piece == cursor_;
    }
    if (wake) {
        cv_.notify_all();
    }
    return true;
}

void PieceFeeder::fail(Error error) {
    {
        std::lock_guard lock(mu_);
        if (failed_) {
            return;  // the first cause is the one worth reporting
        }
        failed_ = std::move(error);
    }
    cv_.notify_all();
}

Result<std::span<const char>> PieceFeeder::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    current_.reset();  // the previous span is no longer needed: free its piece now
    cv_.wait_for(lock, timeout, [this] {
        return cursor_ >= num_pieces_ || ready_.count(cursor_) != 0 || failed_.has_value();
    });
    if (cursor_ >= num_pieces_) {
        return std::span<const char>();
    }
    auto it = ready_.find(cursor_);
    if (it != ready_.end()) {
        current_ = std::move(it->second.first);
        const int size = it->second.second;
        ready_.erase(it);
        ++cursor_;
        consumed_ += size;
        return std::span<const char>(current_.get(), static_cast<std::size_t>(size));
    }
    if (failed_) {
        return *failed_;
    }
    return Error{"download stalled: no data for " + seconds_text(timeout) +
                 " s (waiting for piece " + std::to_string(cursor_) + " of " +
                 std::to_string(num_pieces_) + "): timed out"};
}

std::int64_t PieceFeeder::consumed() const {
    std::lock_guard lock(mu_);
    return consumed_;
}

}  // namespace si
