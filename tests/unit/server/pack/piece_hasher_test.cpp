#include "server/pack/piece_hasher.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "pack_test_util.hpp"

namespace si {
namespace {

TEST(PieceSize, SmallestPowerOfTwoFromSixtyFourKiBWithinTheCountLimit) {
    EXPECT_EQ(choose_piece_size(0), 64 << 10);
    EXPECT_EQ(choose_piece_size(100 << 20), 64 << 10);   // 1600 pieces: the minimum wins
    EXPECT_EQ(choose_piece_size(1ULL << 30), 64 << 10);  // 16384 pieces: just within
    EXPECT_EQ(choose_piece_size((1ULL << 30) + 1), 128 << 10);
    EXPECT_EQ(choose_piece_size(3ULL << 30), 256 << 10);  // 12288 pieces
    EXPECT_EQ(choose_piece_size(1ULL << 40), 16 << 20);   // capped
    int last = 0;
    for (std::uint64_t b = 1; b < (1ULL << 42); b = b * 3 + 7) {
        int p = choose_piece_size(b);
        EXPECT_EQ(p & (p - 1), 0);
        EXPECT_GE(p, last);
        if (p < max_piece_size) {
            EXPECT_LE((b + p - 1) / static_cast<std::uint64_t>(p), max_pieces);
        }
        last = p;
    }
}

std::vector<lt::sha1_hash> expected_hashes(const std::string& data, int piece) {
    std::vector<lt::sha1_hash> out;
    for (std::size_t pos = 0; pos < data.size(); pos += static_cast<std::size_t>(piece)) {
        auto n = std::min<std::size_t>(static_cast<std::size_t>(piece), data.size() - pos);
        out.push_back(lt::hasher(data.data() + pos, static_cast<int>(n)).final());
    }
    return out;
}

TEST(PieceHasher, SameHashesAndBytesWhateverTheChunking) {
    const int piece = 256 << 10;
    const std::string data = test::mixed_bytes(5 * write_buffer_bytes / 2 + 99, 1);
    const auto want = expected_hashes(data, piece);
    test::TempDir d;
    for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{4093}, write_buffer_bytes,
                              write_buffer_bytes + 1, std::size_t{262144}, data.size()}) {
        std::string path = d / ("f" + std::to_string(chunk));
        int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        PieceHasher h(fd, path, piece);
        for (std::size_t pos = 0; pos < data.size(); pos += chunk) {
            auto n = std::min(chunk, data.size() - pos);
            ASSERT_TRUE(h.write(std::span<const char>(data.data() + pos, n)).ok());
        }
        ASSERT_TRUE(h.finish().ok());
        close(fd);
        EXPECT_EQ(h.bytes(), data.size());
        EXPECT_EQ(h.piece_hashes(), want) << "chunk " << chunk;
        EXPECT_EQ(test::read_file(path), data) << "chunk " << chunk;
    }
}

TEST(PieceHasher, ExactMultipleOfThePieceSizeHasNoEmptyLastPiece) {
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    PieceHasher h(fd, "/dev/null", 256 << 10);
    std::string data(512 << 10, 'a');
    ASSERT_TRUE(h.write(data).ok());
    ASSERT_TRUE(h.finish().ok());
    close(fd);
    EXPECT_EQ(h.piece_hashes().size(), 2u);
}

TEST(PieceHasher, DiskFullNamesTheFile) {
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    PieceHasher h(fd, "/images/image-a.tar.gz", 256 << 10);
    std::string data(write_buffer_bytes * 2, 'x');
    Status s = h.write(data);
    if (s.ok()) {
        s = h.finish();
    }
    close(fd);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "write /images/image-a.tar.gz: No space left on device");
    EXPECT_EQ(s.error().kind, ErrorKind::no_space);
}

}  // namespace
}  // namespace si
