// The agent's progress, seeding and summary lines, and the monitor's percentage.
#include "agent/progress_line.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TransferProgress halfway() {
    TransferProgress p;
    p.tarball = "image-a.tar.gz";
    p.total_bytes = 100'000'000;
    p.downloaded_bytes = 42'000'000;
    p.unpacked_bytes = 40'100'000;
    p.download_rate = 1'000'000;
    p.upload_rate = 3'100'000;
    p.peers = 5;
    return p;
}

TEST(ProgressLine, ShowsShareRatesPeersEtaAndUnpacked) {
    // 58 MB left at 1 MB/s: 58 s.
    EXPECT_EQ(progress_line(halfway()),
              "image-a.tar.gz  42.0%  1.0 MB/s  up 3.1 MB/s  peers 5  ETA 0:58  unpacked 40.1%");
}

TEST(ProgressLine, EtaUnknownWithoutARateAndZeroWhenDone) {
    TransferProgress p = halfway();
    p.download_rate = 0;
    EXPECT_NE(progress_line(p).find("ETA --:--"), std::string::npos) << progress_line(p);
    p.downloaded_bytes = p.total_bytes;
    EXPECT_NE(progress_line(p).find("100.0%"), std::string::npos) << progress_line(p);
    EXPECT_NE(progress_line(p).find("ETA 0:00"), std::string::npos) << progress_line(p);
}

TEST(SeedingLine, ShowsUploadPeersAndBytesSent) {
    TransferProgress p = halfway();
    p.uploaded_total = 241 * (std::int64_t{1} << 19);  // 120.5 MiB
    EXPECT_EQ(seeding_line(p), "seeding: up 3.1 MB/s  peers 5  sent 120.5 MiB");
}

TEST(MonitorPercent, StaysWithinOneTo99WhileImaging) {
    EXPECT_EQ(monitor_percent(0, 100), 1);
    EXPECT_EQ(monitor_percent(50, 100), 50);
    EXPECT_EQ(monitor_percent(100, 100), 99);
    EXPECT_EQ(monitor_percent(5, 0), 1);
}

TransferReport installed(int sources) {
    TransferReport r;
    r.tarball = "image-a.tar.gz";
    r.entries = 1037;
    r.download_seconds = 212.44;
    r.unpack_tail_seconds = 0.312;
    r.bytes = 200 * (std::int64_t{1} << 20);
    r.redundant_bytes = 3 * (std::int64_t{1} << 20);  // 1.5 % of the tarball
    r.failed_bytes = 256 * 1024;
    for (int i = 0; i < sources; ++i) {
        r.sources.push_back(
            {"10.0.0." + std::to_string(i + 1), (10 - i) * (std::int64_t{1} << 20)});
    }
    return r;
}

TEST(TransferSummaryLines, EntriesTimesAndTheLargestSources) {
    const auto lines = transfer_summary_lines(installed(10));
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[0],
              "image-a.tar.gz: 1037 entries unpacked; download 212.4 s, last file 0.31 s after "
              "the last piece");
    EXPECT_EQ(lines[1],
              "image-a.tar.gz: 3.0 MiB received twice (1.5 % of the tarball), 0.2 MiB failed "
              "the hash check");
    EXPECT_EQ(lines[2],
              "image-a.tar.gz: pieces from 10.0.0.1 (10.0 MiB), 10.0.0.2 (9.0 MiB), 10.0.0.3 "
              "(8.0 MiB), 10.0.0.4 (7.0 MiB), 10.0.0.5 (6.0 MiB), 10.0.0.6 (5.0 MiB), 10.0.0.7 "
              "(4.0 MiB), 10.0.0.8 (3.0 MiB) and 2 more");
}

TEST(TransferSummaryLines, NoSourceLineWithoutSourcesAndNoTailWhenAllShown) {
    EXPECT_EQ(transfer_summary_lines(installed(0)).size(), 2U);
    const auto lines = transfer_summary_lines(installed(2), 2);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[2], "image-a.tar.gz: pieces from 10.0.0.1 (10.0 MiB), 10.0.0.2 (9.0 MiB)");
}

TEST(TransferSummaryLines, AnEmptyTarballHasNoShareOfCopies) {
    TransferReport r = installed(0);
    r.bytes = 0;
    r.redundant_bytes = 0;
    r.failed_bytes = 0;
    EXPECT_EQ(transfer_summary_lines(r)[1],
              "image-a.tar.gz: 0.0 MiB received twice (0.0 % of the tarball), 0.0 MiB failed the "
              "hash check");
}

}  // namespace
}  // namespace si
