#include "agent/piece_feeder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <thread>

namespace si {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const char[]> copy_of(std::string_view bytes) {
    std::shared_ptr<char[]> data(new char[bytes.size() + 1]);
    std::memcpy(data.get(), bytes.data(), bytes.size());
    return data;
}

std::string piece_of(const std::string& input, int piece, int piece_length) {
    return input.substr(static_cast<std::size_t>(piece) * piece_length,
                        static_cast<std::size_t>(piece_length));
}

bool deliver(PieceFeeder& feeder, const std::string& input, int piece, int piece_length) {
    const std::string bytes = piece_of(input, piece, piece_length);
    return feeder.deliver(piece, copy_of(bytes), static_cast<int>(bytes.size()));
}

// Reads everything the feeder hands out; fails the test on an error.
std::string drain(PieceFeeder& feeder) {
    std::string out;
    for (;;) {
        auto bytes = feeder.next(5s);
        if (!bytes) {
            ADD_FAILURE() << bytes.error().message;
            return out;
        }
        if (bytes->empty()) {
            return out;
        }
        out.append(bytes->data(), bytes->size());
    }
}

std::string sample_input(std::size_t size) {
    std::string input(size, '\0');
    std::mt19937 rng(7);
    for (auto& c : input) {
        c = static_cast<char>(rng());
    }
    return input;
}

TEST(PieceFeeder, EmptyTarballEndsAtOnce) {
    PieceFeeder feeder(0, 16, 4);
    EXPECT_EQ(feeder.num_pieces(), 0);
    EXPECT_EQ(feeder.cursor(), 0);
    EXPECT_EQ(feeder.window_end(), 0);
    EXPECT_FALSE(feeder.wants(0));
    EXPECT_FALSE(feeder.deliver(0, copy_of("x"), 1));
    auto end = feeder.next(0ms);
    ASSERT_TRUE(end) << end.error().message;
    EXPECT_TRUE(end->empty());
    EXPECT_EQ(feeder.consumed(), 0);
}

TEST(PieceFeeder, PieceCountAndShortLastPiece) {
    PieceFeeder exact(64, 16, 8);
    EXPECT_EQ(exact.num_pieces(), 4);
    PieceFeeder short_last(65, 16, 8);
    EXPECT_EQ(short_last.num_pieces(), 5);
    EXPECT_EQ(short_last.window_end(), 5);
    // The last piece holds one byte: any other size is refused.
    EXPECT_FALSE(short_last.deliver(4, copy_of("ab"), 2));
    EXPECT_FALSE(short_last.deliver(3, copy_of("abc"), 3));
    EXPECT_TRUE(short_last.deliver(4, copy_of("z"), 1));
}

// libtorrent's every-chunk-size treatment: whatever the piece length and the order pieces
// arrive in within the window, the consumer reads exactly the input.
TEST(PieceFeeder, EveryPieceLengthAndRandomOrderGivesTheInput) {
    const std::string input = sample_input(1000);
    for (int piece_length = 1; piece_length <= 69; ++piece_length) {
        for (int window : {1, 3, 8}) {
            PieceFeeder feeder(static_cast<std::int64_t>(input.size()), piece_length, window);
            std::thread producer([&] {
                std::vector<int> pending(static_cast<std::size_t>(feeder.num_pieces()));
                std::iota(pending.begin(), pending.end(), 0);
                std::mt19937 order(static_cast<unsigned>(piece_length * 31 + window));
                std::size_t next_pending = 0;
                while (next_pending < pending.size()) {
                    // Shuffle what the window allows now, deliver it in that order.
                    const auto end =
                        std::min(pending.size(), static_cast<std::size_t>(feeder.window_end()));
                    if (end <= next_pending) {
                        std::this_thread::yield();
                        continue;
                    }
                    std::vector<int> batch(pending.begin() + static_cast<long>(next_pending),
                                           pending.begin() + static_cast<long>(end));
                    std::shuffle(batch.begin(), batch.end(), order);
                    for (int piece : batch) {
                        EXPECT_TRUE(feeder.wants(piece));
                        EXPECT_TRUE(deliver(feeder, input, piece, piece_length));
                        EXPECT_FALSE(feeder.wants(piece));
                        // A second delivery of the same piece is refused.
                        EXPECT_FALSE(deliver(feeder, input, piece, piece_length));
                    }
                    next_pending = end;
                }
            });
            const std::string output = drain(feeder);
            producer.join();
            ASSERT_EQ(output, input) << "piece length " << piece_length << ", window " << window;
            EXPECT_EQ(feeder.consumed(), static_cast<std::int64_t>(input.size()));
            EXPECT_EQ(feeder.cursor(), feeder.num_pieces());
        }
    }
}

TEST(PieceFeeder, WindowBoundsWhatIsAccepted) {
    const std::string input = sample_input(100);
    PieceFeeder feeder(100, 10, 3);
    EXPECT_EQ(feeder.cursor(), 0);
    EXPECT_EQ(feeder.window_end(), 3);
    EXPECT_FALSE(feeder.wants(3));
    EXPECT_FALSE(deliver(feeder, input, 3, 10));  // beyond the window
    EXPECT_FALSE(feeder.deliver(-1, copy_of("0123456789"), 10));
    EXPECT_FALSE(feeder.deliver(10, copy_of("0123456789"), 10));
    EXPECT_TRUE(deliver(feeder, input, 2, 10));  // out of order, inside
    EXPECT_TRUE(deliver(feeder, input, 1, 10));

    // Nothing at the cursor yet: the consumer waits and times out.
    auto none = feeder.next(20ms);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("timed out"), std::string::npos) << none.error().message;
    EXPECT_EQ(feeder.consumed(), 0);

    EXPECT_TRUE(deliver(feeder, input, 0, 10));
    for (int piece = 0; piece < 3; ++piece) {
        auto bytes = feeder.next(0ms);
        ASSERT_TRUE(bytes) << bytes.error().message;
        EXPECT_EQ(std::string(bytes->data(), bytes->size()), piece_of(input, piece, 10));
    }
    EXPECT_EQ(feeder.consumed(), 30);
    EXPECT_EQ(feeder.cursor(), 3);
    EXPECT_EQ(feeder.window_end(), 6);
    EXPECT_FALSE(deliver(feeder, input, 1, 10));  // already consumed
    EXPECT_FALSE(feeder.wants(2));
    EXPECT_TRUE(feeder.wants(5));
    EXPECT_FALSE(feeder.wants(6));
}

TEST(PieceFeeder, WindowEndStopsAtTheLastPiece) {
    PieceFeeder feeder(25, 10, 8);
    EXPECT_EQ(feeder.window_end(), 3);
    EXPECT_TRUE(feeder.wants(2));
    EXPECT_FALSE(feeder.wants(3));
}

TEST(PieceFeeder, FailComesAfterTheBufferedBytes) {
    const std::string input = sample_input(30);
    PieceFeeder feeder(30, 10, 4);
    ASSERT_TRUE(deliver(feeder, input, 0, 10));
    ASSERT_TRUE(deliver(feeder, input, 2, 10));
    feeder.fail(Error{"download: peers gone", ErrorKind::no_space});
    feeder.fail(Error{"a later error", ErrorKind::internal});  // the first cause stays

    auto first = feeder.next(0ms);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->size(), 10U);
    auto error = feeder.next(0ms);
    ASSERT_FALSE(error);
    EXPECT_EQ(error.error().message, "download: peers gone");
    EXPECT_EQ(error.error().kind, ErrorKind::no_space);
}

TEST(PieceFeeder, FailWakesAWaitingConsumer) {
    PieceFeeder feeder(30, 10, 4);
    const auto start = std::chrono::steady_clock::now();
    std::thread failer([&] {
        std::this_thread::sleep_for(50ms);
        feeder.fail(Error{"download: tracker unreachable", ErrorKind::unreachable});
    });
    auto result = feeder.next(60s);
    failer.join();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, "download: tracker unreachable");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST(PieceFeeder, DeliverWakesAWaitingConsumer) {
    PieceFeeder feeder(4, 4, 1);
    std::thread producer([&] {
        std::this_thread::sleep_for(30ms);
        EXPECT_TRUE(feeder.deliver(0, copy_of("abcd"), 4));
    });
    auto bytes = feeder.next(60s);
    producer.join();
    ASSERT_TRUE(bytes) << bytes.error().message;
    EXPECT_EQ(std::string(bytes->data(), bytes->size()), "abcd");
    auto end = feeder.next(0ms);
    ASSERT_TRUE(end);
    EXPECT_TRUE(end->empty());
}

TEST(PieceFeeder, TimeOutNamesTheWait) {
    PieceFeeder feeder(100, 10, 2);
    const auto start = std::chrono::steady_clock::now();
    auto result = feeder.next(50ms);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message,
              "download stalled: no data for 0.05 s (waiting for piece 0 of 10): timed out");
}

// A delta install: skipped ranges never reach the consumer, pieces wholly inside them are not
// waited for, and what is left comes out in order, for every piece length.
TEST(PieceFeeder, SkippedRangesAreLeftOutForEveryPieceLength) {
    const std::string input = sample_input(1000);
    const std::vector<std::pair<std::int64_t, std::int64_t>> skipped = {
        {0, 10}, {100, 250}, {351, 1}, {600, 300}, {990, 10}};
    std::string want;
    std::int64_t pos = 0;
    for (auto [off, len] : skipped) {
        want += input.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(off - pos));
        pos = off + len;
    }
    want += input.substr(static_cast<std::size_t>(pos));
    for (int pl = 1; pl <= 70; ++pl) {
        PieceFeeder feeder(static_cast<std::int64_t>(input.size()), pl, 1 << 20);
        feeder.hold();
        feeder.release(skipped);
        // Only the pieces with a byte outside the skipped ranges are delivered.
        for (int p = 0; p < feeder.num_pieces(); ++p) {
            const std::int64_t start = static_cast<std::int64_t>(p) * pl;
            const std::int64_t end = std::min<std::int64_t>(start + pl, 1000);
            const bool covered = std::any_of(skipped.begin(), skipped.end(), [&](auto r) {
                return r.first <= start && r.first + r.second >= end;
            });
            if (!covered) {
                ASSERT_TRUE(deliver(feeder, input, p, pl)) << "piece " << p << " length " << pl;
            }
        }
        EXPECT_EQ(drain(feeder), want) << "piece length " << pl;
        EXPECT_EQ(feeder.consumed(), static_cast<std::int64_t>(want.size()));
    }
}

TEST(PieceFeeder, HeldConsumerWaitsForTheRelease) {
    const std::string input = sample_input(100);
    PieceFeeder feeder(100, 10, 16);
    feeder.hold();
    for (int p = 0; p < 10; ++p) {
        ASSERT_TRUE(deliver(feeder, input, p, 10));
    }
    auto early = feeder.next(50ms);
    ASSERT_FALSE(early);
    EXPECT_NE(early.error().message.find("timed out"), std::string::npos);
    feeder.release({{20, 30}});
    EXPECT_EQ(drain(feeder), input.substr(0, 20) + input.substr(50));
}

}  // namespace
}  // namespace si
