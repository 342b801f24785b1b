#include "server/pack/block_compressor.hpp"

#include <archive.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include <memory>
#include <string>

#include "pack_test_util.hpp"

namespace si {
namespace {

// Compresses `input` fed in `chunk`-byte writes with `threads` workers.
std::string compress(Compression c, unsigned threads, const std::string& input,
                     std::size_t chunk = 100000) {
    std::string out;
    BlockCompressor bc(c, threads, [&](std::span<const char> d) {
        out.append(d.data(), d.size());
        return Status(Ok{});
    });
    EXPECT_TRUE(bc.start().ok());
    for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
        auto n = std::min(chunk, input.size() - pos);
        Status s = bc.write(std::span<const char>(input.data() + pos, n));
        EXPECT_TRUE(s.ok());
    }
    Status s = bc.finish();
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return out;
}

// Decompresses with libarchive's reader, as the agent will (every filter, raw format).
std::string libarchive_decompress(const std::string& data) {
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                             &archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_raw(a.get());
    EXPECT_EQ(archive_read_open_memory(a.get(), data.data(), data.size()), ARCHIVE_OK);
    archive_entry* e = nullptr;
    EXPECT_EQ(archive_read_next_header(a.get(), &e), ARCHIVE_OK);
    std::string out;
    char buf[65536];
    la_ssize_t n = 0;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(n, 0) << archive_error_string(a.get());
    return out;
}

std::string zstd_decompress(const std::string& data) {
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> d(ZSTD_createDCtx(), &ZSTD_freeDCtx);
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    std::string out;
    std::vector<char> buf(ZSTD_DStreamOutSize());
    while (in.pos < in.size) {
        ZSTD_outBuffer o{buf.data(), buf.size(), 0};
        std::size_t rc = ZSTD_decompressStream(d.get(), &o, &in);
        EXPECT_FALSE(ZSTD_isError(rc));
        if (ZSTD_isError(rc)) {
            break;
        }
        out.append(buf.data(), o.pos);
    }
    return out;
}

const std::string& sample() {
    // Several blocks plus a partial one.
    static const std::string s = test::mixed_bytes(3 * block_input_bytes + 12345, 7);
    return s;
}

TEST(BlockCompressor, GzipIsTheSameForEveryThreadCountAndChunking) {
    std::string one = compress(Compression::gzip, 1, sample());
    EXPECT_EQ(compress(Compression::gzip, 2, sample(), 4096), one);
    EXPECT_EQ(compress(Compression::gzip, 5, sample(), block_input_bytes * 2), one);
    EXPECT_LT(one.size(), sample().size());
    // Four members: 1f 8b at the start of each.
    EXPECT_EQ(static_cast<unsigned char>(one[0]), 0x1f);
}

TEST(BlockCompressor, ZstdIsTheSameForEveryWorkerCount) {
    std::string one = compress(Compression::zstd, 1, sample());
    EXPECT_EQ(compress(Compression::zstd, 2, sample(), 777), one);
    EXPECT_EQ(compress(Compression::zstd, 4, sample()), one);
    EXPECT_EQ(zstd_decompress(one), sample());
}

TEST(BlockCompressor, LibarchiveReadsTheWholeMultiMemberGzip) {
    std::string gz = compress(Compression::gzip, 2, sample());
    EXPECT_EQ(libarchive_decompress(gz), sample());
    EXPECT_EQ(libarchive_decompress(compress(Compression::zstd, 2, sample())), sample());
}

TEST(BlockCompressor, GzipToolReadsEveryMember) {
    test::TempDir d;
    test::write_file(d / "x.gz", compress(Compression::gzip, 2, sample()));
    ASSERT_EQ(test::run("gzip -dc " + (d / "x.gz") + " > " + (d / "x")), 0);
    EXPECT_EQ(test::read_file(d / "x"), sample());
}

TEST(BlockCompressor, NonePassesThroughAndEmptyInputStillGivesAValidStream) {
    EXPECT_EQ(compress(Compression::none, 2, sample(), 3333), sample());
    std::string empty_gz = compress(Compression::gzip, 2, "");
    EXPECT_FALSE(empty_gz.empty());
    EXPECT_EQ(zstd_decompress(compress(Compression::zstd, 1, "")), "");
}

TEST(BlockCompressor, ASinkErrorStopsEverythingAndIsReported) {
    for (Compression c : {Compression::none, Compression::gzip, Compression::zstd}) {
        std::size_t taken = 0;
        BlockCompressor bc(c, 2, [&](std::span<const char> d) -> Status {
            taken += d.size();
            if (taken > 1000) {
                return Error{"write /x: No space left on device", ErrorKind::no_space};
            }
            return Ok{};
        });
        ASSERT_TRUE(bc.start().ok());
        Status s = Ok{};
        // Far more than the pipeline holds: write() must fail rather than block forever.
        std::string big = test::mixed_bytes(block_input_bytes, 3);
        for (int i = 0; i < 64 && s.ok(); ++i) {
            s = bc.write(big);
        }
        if (s.ok()) {
            s = bc.finish();
        }
        ASSERT_FALSE(s.ok());
        EXPECT_EQ(s.error().message, "write /x: No space left on device");
    }
}

TEST(BlockCompressor, AbandonedWithoutFinishJoinsCleanly) {
    BlockCompressor bc(Compression::gzip, 3, [](std::span<const char>) { return Status(Ok{}); });
    ASSERT_TRUE(bc.start().ok());
    ASSERT_TRUE(bc.write(sample()).ok());
    // Destructor runs here: must not hang or crash.
}

}  // namespace
}  // namespace si
