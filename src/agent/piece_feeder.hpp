#pragma once
// Hands the tarball's bytes to the unpacker strictly in order, as pieces are verified, while the
// download goes on rarest-first. The download side delivers verified pieces that lie in a
// small window ahead of the cursor (so memory stays bounded by the window, not the image); the
// unpack side blocks until the bytes at the cursor are there.
//
// Thread-safe: deliver()/fail() come from the alert loop, next() from the unpack thread (one
// consumer). The end of the tarball is known from total_size: no call marks it.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace si {

class PieceFeeder {
  public:
    // `window` pieces at most are buffered ahead of the cursor.
    PieceFeeder(std::int64_t total_size, int piece_length, int window);

    // The first piece the unpacker still needs, and one past the last piece the download side
    // may deliver now: [cursor, cursor + window). Pieces outside are ignored by deliver().
    int cursor() const;
    int window_end() const;
    bool wants(int piece) const;  // within the window and not yet delivered
    int num_pieces() const { return num_pieces_; }

    // Piece `piece` passed its hash check; `data` holds its bytes (the last piece may be short).
    // Returns false (and keeps nothing) when the piece is outside the window or already here,
    // or when `size` is not the one its index implies (a caller's bug).
    bool deliver(int piece, std::shared_ptr<const char[]> data, int size);

    // The download failed: next() returns this error once the buffered bytes are used up.
    void fail(Error error);

    // Consumer: the next run of bytes in order (a view into a delivered piece, valid until the
    // next call), an empty span at the end of the tarball, or the error given to fail().
    // Waits at most `timeout` for bytes; on time-out returns
    // Error{"download stalled: no data for N s (waiting for piece K of M): timed out"}.
    Result<std::span<const char>> next(std::chrono::milliseconds timeout);

    // Bytes handed to the consumer so far.
    std::int64_t consumed() const;

    // A delta install (agent/delta_plan.hpp): hold() keeps the consumer waiting until
    // release() says which byte ranges of the tarball it never gets, as (offset, length),
    // sorted and disjoint. A piece wholly inside them is passed over without waiting for it;
    // of a piece partly inside, only its other bytes are handed out. hold() goes before the
    // consumer starts.
    void hold();
    void release(std::vector<std::pair<std::int64_t, std::int64_t>> skipped);

  private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    const std::int64_t total_size_;
    const int piece_length_;
    const int num_pieces_;
    const int window_;
    int cursor_ = 0;  // next piece to hand out
    std::int64_t consumed_ = 0;
    std::map<int, std::pair<std::shared_ptr<const char[]>, int>> ready_;  // piece -> (bytes, size)
    std::shared_ptr<const char[]> current_;  // keeps the span of the last next() alive
    std::optional<Error> failed_;
    bool held_ = false;
    std::vector<std::pair<std::int64_t, std::int64_t>> skipped_;
    std::size_t skip_at_ = 0;                  // the first range not wholly behind the cursor
    std::vector<std::span<const char>> rest_;  // runs of current_ still to hand out

    bool piece_skipped(int piece);  // advances skip_at_; under mu_
    std::vector<std::span<const char>> kept_runs(int piece, const char* data, int size) const;
};

}  // namespace si
