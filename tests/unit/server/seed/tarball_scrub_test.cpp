#include "server/seed/tarball_scrub.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/hasher.hpp>

#include "common/unique_fd.hpp"
#include "pack_test_util.hpp"

namespace si {
namespace {

constexpr int piece_bytes = 16 << 10;

// A tarball of `size` bytes (not a real tar: the check reads bytes only) and its .torrent.
ScrubTarget make_pair(const test::TempDir& dir, const std::string& name, std::size_t size) {
    const std::string data = test::mixed_bytes(size, 7);
    const std::string tarball = dir / name;
    test::write_file(tarball, data);
    lt::file_storage fs;
    fs.add_file(name, static_cast<std::int64_t>(size));
    lt::create_torrent ct(fs, piece_bytes, lt::create_torrent::v1_only);
    for (lt::piece_index_t i{0}; i < ct.end_piece(); ++i) {
        const std::size_t off = static_cast<std::size_t>(static_cast<int>(i)) * piece_bytes;
        const std::size_t n = std::min<std::size_t>(piece_bytes, size - off);
        ct.set_hash(i, lt::hasher(data.data() + off, static_cast<int>(n)).final());
    }
    std::string torrent;
    lt::bencode(std::back_inserter(torrent), ct.generate());
    test::write_file(tarball + ".torrent", torrent);
    return {tarball, tarball + ".torrent", "hash-of-" + name};
}

void flip_byte(const std::string& path, off_t at) {
    UniqueFd fd(::open(path.c_str(), O_RDWR));
    ASSERT_TRUE(fd);
    char c = 0;
    ASSERT_EQ(::pread(fd.get(), &c, 1, at), 1);
    c = static_cast<char>(c ^ 0x5a);
    ASSERT_EQ(::pwrite(fd.get(), &c, 1, at), 1);
}

TEST(CheckPiece, MatchesUntilAByteChangesOrTheFileIsCut) {
    test::TempDir dir;
    const ScrubTarget t = make_pair(dir, "image-a.tar", 5 * piece_bytes + 1000);
    lt::torrent_info ti(t.torrent);
    ASSERT_EQ(ti.num_pieces(), 6);
    std::vector<char> buffer;
    {
        UniqueFd fd(::open(t.tarball.c_str(), O_RDONLY));
        for (lt::piece_index_t i{0}; i < ti.end_piece(); ++i) {
            EXPECT_EQ(check_piece(fd.get(), ti, i, buffer), "");
        }
    }
    flip_byte(t.tarball, 2 * piece_bytes + 99);
    {
        UniqueFd fd(::open(t.tarball.c_str(), O_RDONLY));
        EXPECT_EQ(check_piece(fd.get(), ti, lt::piece_index_t{2}, buffer),
                  "piece 2 of 6 does not match its hash");
        EXPECT_EQ(check_piece(fd.get(), ti, lt::piece_index_t{3}, buffer), "");
    }
    ASSERT_EQ(::truncate(t.tarball.c_str(), 5 * piece_bytes + 10), 0);
    UniqueFd fd(::open(t.tarball.c_str(), O_RDONLY));
    EXPECT_EQ(check_piece(fd.get(), ti, lt::piece_index_t{5}, buffer),
              "piece 5: the file ends at byte " + std::to_string(5 * piece_bytes + 10) +
                  ", before the piece");
}

// Collects what the scrubber reports, with a bounded wait (no timing is asserted).
struct Reports {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::pair<ScrubTarget, std::string>> bad;

    TarballScrubber::BadHook hook() {
        return [this](const ScrubTarget& t, const std::string& why) {
            std::lock_guard lock(mu);
            bad.emplace_back(t, why);
            cv.notify_all();
        };
    }
    bool wait_for(std::size_t n) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, std::chrono::seconds(60), [&] { return bad.size() >= n; });
    }
};

TEST(TarballScrubber, ReportsTheDamagedTarballOnceAndKeepsCheckingTheOthers) {
    test::TempDir dir;
    const ScrubTarget good = make_pair(dir, "image-good.tar", 8 * piece_bytes);
    const ScrubTarget rotten = make_pair(dir, "image-rotten.tar", 8 * piece_bytes);
    flip_byte(rotten.tarball, 6 * piece_bytes + 5);
    Logger log;
    log.set_stderr(false);
    Reports reports;
    TarballScrubber scrubber(64 << 20, log);
    scrubber.start(reports.hook());
    scrubber.set_targets({good, rotten});
    ASSERT_TRUE(reports.wait_for(1));
    // The good one goes on being read, round after round; the rotten one is not reported again.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (scrubber.pieces_checked() < 40 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    scrubber.stop();
    EXPECT_GE(scrubber.pieces_checked(), 40u);
    std::lock_guard lock(reports.mu);
    ASSERT_EQ(reports.bad.size(), 1u);
    EXPECT_EQ(reports.bad[0].first.tarball, rotten.tarball);
    EXPECT_EQ(reports.bad[0].first.info_hash_hex, "hash-of-image-rotten.tar");
    EXPECT_EQ(reports.bad[0].second, "piece 6 of 8 does not match its hash");
}

TEST(TarballScrubber, ATargetSetAgainAfterItsRepackIsCheckedAgain) {
    test::TempDir dir;
    ScrubTarget t = make_pair(dir, "image-a.tar", 4 * piece_bytes);
    flip_byte(t.tarball, 10);
    Logger log;
    log.set_stderr(false);
    Reports reports;
    TarballScrubber scrubber(64 << 20, log);
    scrubber.start(reports.hook());
    scrubber.set_targets({t});
    ASSERT_TRUE(reports.wait_for(1));
    t = make_pair(dir, "image-a.tar", 4 * piece_bytes);  // "repacked": good again
    flip_byte(t.tarball, 3 * piece_bytes + 1);           // and damaged again, elsewhere
    scrubber.set_targets({t});
    ASSERT_TRUE(reports.wait_for(2));
    scrubber.stop();
    std::lock_guard lock(reports.mu);
    EXPECT_EQ(reports.bad[0].second, "piece 0 of 4 does not match its hash");
    EXPECT_EQ(reports.bad[1].second, "piece 3 of 4 does not match its hash");
}

TEST(TarballScrubber, AMissingTarballIsLoggedAndSkippedWhileTheOthersAreChecked) {
    test::TempDir dir;
    Logger log;
    log.set_stderr(false);
    ASSERT_TRUE(log.open_file(dir / "log"));
    Reports reports;
    const ScrubTarget good = make_pair(dir, "image-good.tar", 2 * piece_bytes);
    TarballScrubber scrubber(64 << 20, log);
    scrubber.start(reports.hook());
    scrubber.set_targets({{dir / "gone.tar", dir / "gone.tar.torrent", "x"}, good});
    // Skipped, not stuck: the good one is read round after round.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (scrubber.pieces_checked() < 6 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    scrubber.stop();
    EXPECT_GE(scrubber.pieces_checked(), 6u);
    EXPECT_EQ(scrubber.bytes_checked(), scrubber.pieces_checked() * piece_bytes)
        << "every piece read is the good tarball's";
    {
        std::lock_guard lock(reports.mu);
        EXPECT_TRUE(reports.bad.empty()) << "a missing tarball is not a damaged one";
    }
    const std::string text = test::read_file(dir / "log");
    const auto line = text.find("scrub: ");
    ASSERT_NE(line, std::string::npos) << text;
    EXPECT_NE(text.find("gone.tar", line), std::string::npos) << text;
    EXPECT_NE(text.find("; not checking it", line), std::string::npos) << text;
}

TEST(TarballScrubber, RateZeroStartsNothing) {
    test::TempDir dir;
    Logger log;
    log.set_stderr(false);
    Reports reports;
    const ScrubTarget t = make_pair(dir, "image-b.tar", 2 * piece_bytes);
    flip_byte(t.tarball, 1);
    TarballScrubber off(0, log);
    off.start(reports.hook());
    EXPECT_FALSE(off.running()) << "BT_SCRUB_RATE=0: no thread";
    off.set_targets({t});
    off.stop();
    EXPECT_EQ(off.pieces_checked(), 0u);
    std::lock_guard lock(reports.mu);
    EXPECT_TRUE(reports.bad.empty());
}

TEST(TarballScrubber, ARateAboveZeroRunsUntilStopped) {
    Logger log;
    log.set_stderr(false);
    Reports reports;
    TarballScrubber on(1 << 20, log);
    EXPECT_FALSE(on.running());
    on.start(reports.hook());
    EXPECT_TRUE(on.running());
    on.stop();
    EXPECT_FALSE(on.running());
}

}  // namespace
}  // namespace si
