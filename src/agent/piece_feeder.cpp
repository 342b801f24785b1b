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
    if (!rest_.empty()) {
        const std::span<const char> run = rest_.front();
        rest_.erase(rest_.begin());
        consumed_ += static_cast<std::int64_t>(run.size());
        return run;
    }
    current_.reset();  // the previous span is no longer needed: free its piece now
    cv_.wait_for(lock, timeout, [this] {
        if (held_) {
            return failed_.has_value();
        }
        while (cursor_ < num_pieces_ && piece_skipped(cursor_)) {
            ready_.erase(cursor_);
            ++cursor_;
        }
        return cursor_ >= num_pieces_ || ready_.count(cursor_) != 0 || failed_.has_value();
    });
    if (!held_ && cursor_ >= num_pieces_) {
        return std::span<const char>();
    }
    auto it = held_ ? ready_.end() : ready_.find(cursor_);
    if (it != ready_.end()) {
        current_ = std::move(it->second.first);
        const int size = it->second.second;
        ready_.erase(it);
        const int piece = cursor_++;
        if (!skipped_.empty()) {
            rest_ = kept_runs(piece, current_.get(), size);
            if (!rest_.empty()) {
                const std::span<const char> run = rest_.front();
                rest_.erase(rest_.begin());
                consumed_ += static_cast<std::int64_t>(run.size());
                return run;
            }
        }
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

void PieceFeeder::hold() {
    std::lock_guard lock(mu_);
    held_ = true;
}

void PieceFeeder::release(std::vector<std::pair<std::int64_t, std::int64_t>> skipped) {
    {
        std::lock_guard lock(mu_);
        held_ = false;
        skipped_ = std::move(skipped);
        skip_at_ = 0;
    }
    cv_.notify_all();
}

bool PieceFeeder::piece_skipped(int piece) {
    const std::int64_t start = static_cast<std::int64_t>(piece) * piece_length_;
    const std::int64_t end = std::min(total_size_, start + piece_length_);
    while (skip_at_ < skipped_.size() &&
           skipped_[skip_at_].first + skipped_[skip_at_].second <= start) {
        ++skip_at_;
    }
    return skip_at_ < skipped_.size() && skipped_[skip_at_].first <= start &&
           skipped_[skip_at_].first + skipped_[skip_at_].second >= end;
}

std::vector<std::span<const char>> PieceFeeder::kept_runs(int piece, const char* data,
                                                          int size) const {
    const std::int64_t start = static_cast<std::int64_t>(piece) * piece_length_;
    const std::int64_t end = start + size;
    std::vector<std::span<const char>> runs;
    std::int64_t pos = start;
    for (std::size_t r = skip_at_; r < skipped_.size() && pos < end; ++r) {
        const std::int64_t s = skipped_[r].first;
        const std::int64_t e = s + skipped_[r].second;
        if (e <= pos) {
            continue;
        }
        if (s >= end) {
            break;
        }
        if (s > pos) {
            runs.emplace_back(data + (pos - start), static_cast<std::size_t>(s - pos));
        }
        pos = std::max(pos, e);
    }
    if (pos < end) {
        runs.emplace_back(data + (pos - start), static_cast<std::size_t>(end - pos));
    }
    return runs;
}

std::int64_t PieceFeeder::consumed() const {
    std::lock_guard lock(mu_);
    return consumed_;
}

}  // namespace si
