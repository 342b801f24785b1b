#include "server/pack/pack_record.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "pack_test_util.hpp"

namespace si {
namespace {

PackRecord sample_record() {
    PackRecord r;
    r.source = "/images/a";
    r.fingerprint = std::string(40, 'a');
    r.compression = Compression::zstd;
    r.piece_size = 1 << 20;
    r.tree_bytes = 123;
    r.tarball_size = 456;
    r.tarball_mtime_ns = 1700000000123456789;
    r.info_hash = std::string(40, 'b');
    r.torrent_sha1 = std::string(40, 'c');
    r.announce = "http://10.0.0.1:6969/announce";
    return r;
}

TEST(PackRecord, RoundTrip) {
    PackRecord r = sample_record();
    std::string text = format_pack_record(r);
    EXPECT_EQ(text.rfind("si-pack-record 1\n", 0), 0u);
    auto back = parse_pack_record(text, "x.record");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(format_pack_record(*back), text);
    EXPECT_EQ(back->tarball_mtime_ns, r.tarball_mtime_ns);
    EXPECT_EQ(back->compression, Compression::zstd);
}

TEST(PackRecord, RejectsAnythingOdd) {
    std::string good = format_pack_record(sample_record());
    EXPECT_FALSE(parse_pack_record("", "r").ok());
    EXPECT_FALSE(parse_pack_record(good.substr(0, good.size() - 1), "r").ok());  // truncated
    auto bad_version = parse_pack_record("si-pack-record 2\n" + good.substr(17), "r");
    ASSERT_FALSE(bad_version.ok());
    EXPECT_EQ(bad_version.error().message, "r: line 1: not a version 1 pack record");
    EXPECT_FALSE(parse_pack_record(good + "extra 1\n", "r").ok());
    std::string missing = good;
    missing.erase(missing.find("announce"));
    EXPECT_FALSE(parse_pack_record(missing, "r").ok());
    std::string bad_hex = good;
    bad_hex.replace(bad_hex.find("bbbb"), 4, "BBBB");
    EXPECT_FALSE(parse_pack_record(bad_hex, "r").ok());
    std::string bad_num = good;
    bad_num.replace(bad_num.find("456"), 3, "4x6");
    EXPECT_FALSE(parse_pack_record(bad_num, "r").ok());
}

TEST(PackRecord, DeltaLayoutRevision) {
    PackRecord r = sample_record();
    r.delta = true;
    const std::string text = format_pack_record(r);
    EXPECT_NE(text.find("\ncompression zstd-delta2\n"), std::string::npos) << text;
    auto back = parse_pack_record(text, "r");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back->delta);
    EXPECT_EQ(back->delta_revision, delta_layout_revision);
    // an older si_btd's record: revision 1
    std::string old = text;
    old.replace(old.find("zstd-delta2"), 11, "zstd-delta");
    auto first = parse_pack_record(old, "r");
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->delta_revision, 1);
    for (const char* bad : {"zstd-delta1", "zstd-deltax", "zstd-delta0"}) {
        std::string b = text;
        b.replace(b.find("zstd-delta2"), 11, bad);
        EXPECT_FALSE(parse_pack_record(b, "r").ok()) << bad;
    }
}

class PairCheckTest : public ::testing::Test {
  protected:
    void SetUp() override {
        state_.source = "/images/a";
        state_.fingerprint = std::string(40, 'a');
        state_.compression = Compression::zstd;
        state_.tarball = dir_ / "image-a.tar.zst";
        state_.torrent = dir_ / "image-a.tar.zst.torrent";
        test::write_file(state_.tarball, std::string(456, 't'));
        test::write_file(state_.torrent, "d8:announce3:urle");
        struct stat st {};
        ASSERT_EQ(stat(state_.tarball.c_str(), &st), 0);
        rec_ = sample_record();
        rec_.tarball_mtime_ns =
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        rec_.torrent_sha1 = sha1_hex("d8:announce3:urle");
        ASSERT_TRUE(write_pack_record(state_.tarball, rec_).ok());
    }
    test::TempDir dir_;
    PairState state_;
    PackRecord rec_;
};

TEST_F(PairCheckTest, MatchesThenAnnounceDiffers) {
    PairCheck c = check_pair(state_, rec_.announce);
    EXPECT_EQ(c.match, PairMatch::matches) << c.reason;
    EXPECT_EQ(c.torrent_bytes, "d8:announce3:urle");
    EXPECT_EQ(check_pair(state_, "http://10.9.9.9:6969/announce").match,
              PairMatch::announce_differs);
}

TEST_F(PairCheckTest, StaleForEveryMismatch) {
    PairState s = state_;
    s.fingerprint = std::string(40, 'd');
    EXPECT_EQ(check_pair(s, rec_.announce).reason, "the tree changed since it was packed");
    s = state_;
    s.compression = Compression::gzip;
    EXPECT_EQ(check_pair(s, rec_.announce).match, PairMatch::stale);
    s = state_;
    s.source = "/images/b";
    EXPECT_EQ(check_pair(s, rec_.announce).match, PairMatch::stale);

    test::write_file(state_.torrent, "d8:announce3:xrle");
    EXPECT_EQ(check_pair(state_, rec_.announce).reason, "the torrent does not match its record");
    test::write_file(state_.torrent, "d8:announce3:urle");
    test::write_file(state_.tarball, std::string(456, 'u'));  // same size, new mtime
    timespec times[2] = {{0, UTIME_OMIT}, {1, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, state_.tarball.c_str(), times, 0), 0);
    EXPECT_EQ(check_pair(state_, rec_.announce).reason, "the tarball was modified after packing");
    unlink(record_path(state_.tarball).c_str());
    EXPECT_EQ(check_pair(state_, rec_.announce).reason.rfind("no record", 0), 0u);
}

TEST_F(PairCheckTest, ADeltaReadyPairOfAnOlderLayoutRevisionIsPackedAgain) {
    PairState s = state_;
    s.delta = true;
    rec_.delta = true;
    rec_.delta_revision = 1;
    ASSERT_TRUE(write_pack_record(state_.tarball, rec_).ok());
    PairCheck c = check_pair(s, rec_.announce);
    EXPECT_EQ(c.match, PairMatch::stale);
    EXPECT_EQ(c.reason, "packed delta-ready by an older si_btd (layout revision 1, now 2)");
    rec_.delta_revision = delta_layout_revision;
    ASSERT_TRUE(write_pack_record(state_.tarball, rec_).ok());
    EXPECT_EQ(check_pair(s, rec_.announce).match, PairMatch::matches);
}

}  // namespace
}  // namespace si
