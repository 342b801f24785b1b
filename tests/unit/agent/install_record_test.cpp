#include "agent/install_record.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/incomplete_mark.hpp"

namespace si {
namespace {

namespace fs = std::filesystem;

const std::string hash_a(40, 'a');
const std::string hash_b(40, 'b');
const std::string hash_c(40, 'c');

InstallTarget target() {
    InstallTarget t;
    t.image = {"rocky9", hash_a};
    t.overrides = {{"compute", hash_b}, {"site", hash_c}};
    t.layout_digest = sha256_hex("# si disk layout 1\n");
    t.hostname = "node07";
    return t;
}

InstallRecord record() {
    InstallRecord r;
    r.target = target();
    r.proof = {120, 120, true, 2, 2, 5000, 1234567};
    r.installed_at = 1'765'000'000;
    r.manifest = {"/ type=d mode=0755 uid=0 gid=0", "/etc type=d mode=0755 uid=0 gid=0"};
    return r;
}

TEST(InstallRecord, FormatThenParseGivesTheSameRecord) {
    const InstallRecord r = record();
    const std::string text = format_install_record(r);
    EXPECT_EQ(text.substr(0, 54), "# si_btagent install record\nformat 1\nimage rocky9 aaaa");
    EXPECT_NE(text.find("\noverride compute " + hash_b + "\noverride site " + hash_c + "\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\nproof pieces=120/120 archive=end overrides=2/2 entries=5000 "
                        "bytes=1234567\n"),
              std::string::npos)
        << text;
    auto back = parse_install_record(text);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->target.image, r.target.image);
    EXPECT_EQ(back->target.overrides, r.target.overrides);
    EXPECT_EQ(back->target.layout_digest, r.target.layout_digest);
    EXPECT_EQ(back->target.hostname, "node07");
    EXPECT_EQ(back->proof.pieces_verified, 120);
    EXPECT_EQ(back->proof.pieces_total, 120);
    EXPECT_TRUE(back->proof.archive_end);
    EXPECT_EQ(back->proof.overrides_applied, 2);
    EXPECT_EQ(back->proof.entries, 5000);
    EXPECT_EQ(back->proof.bytes, 1234567);
    EXPECT_EQ(back->installed_at, 1'765'000'000);
    EXPECT_EQ(back->manifest, r.manifest);
    EXPECT_EQ(format_install_record(*back), text);
}

TEST(InstallRecord, WithoutLayoutHostnameOrOverrides) {
    InstallRecord r = record();
    r.target.overrides.clear();
    r.target.layout_digest.clear();
    r.target.hostname.clear();
    r.proof.archive_end = false;
    const std::string text = format_install_record(r);
    EXPECT_NE(text.find("\nlayout -\nhostname -\n"), std::string::npos) << text;
    auto back = parse_install_record(text);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(back->target.overrides.empty());
    EXPECT_EQ(back->target.layout_digest, "");
    EXPECT_EQ(back->target.hostname, "");
    EXPECT_FALSE(back->proof.archive_end);
}

// Each corruption is refused with the line it is on.
TEST(InstallRecord, ACorruptRecordIsRefusedWithItsLine) {
    const std::string good = format_install_record(record());
    auto refused = [](const std::string& text) {
        auto r = parse_install_record(text);
        EXPECT_FALSE(r);
        return r ? std::string("(parsed)") : r.error().message;
    };
    EXPECT_EQ(refused(""), "line 1: the record ends before its manifest");
    EXPECT_EQ(refused("hello\n" + good).substr(0, 31), "line 1: not an install record (");
    std::string v2 = good;
    v2.replace(v2.find("format 1"), 8, "format 2");
    EXPECT_EQ(refused(v2), "line 2: format 2 is not known (this agent reads 1)");
    std::string short_hash = good;
    short_hash.replace(short_hash.find(hash_a), 40, "abc");
    EXPECT_EQ(refused(short_hash), "line 3: expected 'image <name> <info-hash>'");
    std::string bad_proof = good;
    bad_proof.replace(bad_proof.find("pieces=120/120"), 14, "pieces=120");
    EXPECT_NE(refused(bad_proof).find("line 8: expected 'proof pieces="), std::string::npos);
    // Cut short: the last manifest line is gone.
    const std::string cut = good.substr(0, good.rfind('\n', good.size() - 2) + 1);
    EXPECT_NE(refused(cut).find("the manifest has 1 lines, its header says 2"), std::string::npos);
    // One manifest line edited to pass.
    std::string edited = good;
    edited.replace(edited.rfind("mode=0755"), 9, "mode=0777");
    EXPECT_NE(refused(edited).find("the manifest's digest does not match its header"),
              std::string::npos);
    EXPECT_EQ(refused(good.substr(0, good.find("\nmanifest ") + 1)),
              "line 10: the record ends before its manifest");
}

TEST(InstallRecord, AMismatchSaysWhatChanged) {
    const InstallRecord r = record();
    EXPECT_EQ(record_mismatch(r, target()), std::nullopt);
    InstallTarget t = target();
    t.image.info_hash = std::string(40, 'd');
    EXPECT_EQ(record_mismatch(r, t), "image rocky9 changed (info-hash " + hash_a +
                                         " on the disk, " + t.image.info_hash + " served)");
    t = target();
    t.overrides[1].info_hash = std::string(40, 'e');
    EXPECT_EQ(record_mismatch(r, t), "override site changed (info-hash " + hash_c +
                                         " on the disk, " + t.overrides[1].info_hash + " served)");
    t = target();
    t.overrides.pop_back();
    EXPECT_EQ(record_mismatch(r, t),
              "the disk holds rocky9 + compute + site, this node is to install rocky9 + compute");
    t = target();
    std::swap(t.overrides[0], t.overrides[1]);
    EXPECT_NE(record_mismatch(r, t), std::nullopt);
    t = target();
    t.image.name = "rocky10";
    EXPECT_NE(record_mismatch(r, t), std::nullopt);
    t = target();
    t.layout_digest = sha256_hex("another layout");
    EXPECT_EQ(record_mismatch(r, t), "the image's disk layout changed");
    t.layout_digest.clear();
    EXPECT_EQ(record_mismatch(r, t),
              "the disk was installed from a disk layout, this install is into SI_TARGET");
    t = target();
    t.hostname = "node08";
    EXPECT_EQ(record_mismatch(r, t), "hostname node07 on the disk, node08 now");
}

class HeldCheck : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "si_record_XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;
        fs::create_directories(root_ + "/etc");
        std::ofstream(root_ + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
        std::ofstream(root_ + "/etc/hostname") << "node07\n";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    // An install's last step: the record of the root as it is.
    void record_install() {
        ManifestOptions o;
        o.exclude = record_manifest_excludes();
        auto m = build_tree_manifest(root_, o);
        ASSERT_TRUE(m) << m.error().message;
        InstallRecord r = record();
        r.manifest = m->lines;
        ASSERT_TRUE(write_install_record(root_, r));
    }

    std::string root_;
};

TEST_F(HeldCheck, ARootAsRecordedIsHeld) {
    record_install();
    const HeldVerdict v = check_held(root_, target());
    EXPECT_TRUE(v.held) << v.reason;
    EXPECT_EQ(v.record.proof.pieces_total, 120);
    EXPECT_EQ(v.scanned_bytes, 30 + 7);
    EXPECT_EQ(v.scanned_entries, 4);  // /, /etc, 2 files
}

TEST_F(HeldCheck, TheRecordKeepsTheRootsMtime) {
    const timespec t[2] = {{0, UTIME_OMIT}, {1'600'000'000, 5}};
    ASSERT_EQ(::utimensat(AT_FDCWD, root_.c_str(), t, 0), 0);
    record_install();
    struct stat st {};
    ASSERT_EQ(::stat(root_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'600'000'000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 5);
    EXPECT_EQ(std::distance(fs::directory_iterator(root_), fs::directory_iterator()),
              2);  // no temp
}

TEST_F(HeldCheck, NoRecordIsNotHeld) {
    const HeldVerdict v = check_held(root_, target());
    EXPECT_FALSE(v.held);
    EXPECT_EQ(v.reason, "no install record (" + root_ + "/" + install_record_name + ")");
}

TEST_F(HeldCheck, ACorruptRecordIsNotHeldWithItsReason) {
    record_install();
    std::ofstream(root_ + "/" + install_record_name, std::ios::app) << "/extra type=f\n";
    const HeldVerdict v = check_held(root_, target());
    EXPECT_FALSE(v.held);
    EXPECT_NE(v.reason.find("install record " + root_ + "/" + install_record_name +
                            ": line 15: the manifest has 5 lines, its header says 4"),
              std::string::npos)
        << v.reason;
}

TEST_F(HeldCheck, TheIncompleteMarkIsNotHeld) {
    record_install();
    ASSERT_TRUE(mark_incomplete(root_, "rocky9", {}));
    const HeldVerdict v = check_held(root_, target());
    EXPECT_FALSE(v.held);
    EXPECT_NE(v.reason.find("an install stopped half-way"), std::string::npos) << v.reason;
}

TEST_F(HeldCheck, AnotherTargetIsNotHeld) {
    record_install();
    InstallTarget t = target();
    t.overrides[0].info_hash = std::string(40, 'f');
    const HeldVerdict v = check_held(root_, t);
    EXPECT_FALSE(v.held);
    EXPECT_EQ(v.reason.substr(0, 25), "override compute changed ");
    EXPECT_EQ(v.scanned_entries, 0);  // no scan when the record is not for this target
}

TEST_F(HeldCheck, ARecordForAnotherImageIsStillReadForAReimageInPlace) {
    record_install();
    InstallTarget t = target();
    t.image = {"rocky9-update", std::string(40, 'e')};
    const HeldVerdict v = check_held(root_, t);
    EXPECT_FALSE(v.held);
    ASSERT_TRUE(v.recorded);
    EXPECT_EQ(v.record.target.image.name, "rocky9");
    EXPECT_TRUE(reimage_in_place(v.record, t));
}

TEST_F(HeldCheck, NoRecordNoReimageInPlace) {
    const HeldVerdict v = check_held(root_, target());
    EXPECT_FALSE(v.recorded);
}

TEST(InstallRecord, InPlaceOnlyOnDisksPreparedFromTheSameLayout) {
    InstallTarget t = target();
    t.image = {"other", std::string(40, 'e')};  // any earlier image, any hostname
    t.hostname = "node08";
    EXPECT_TRUE(reimage_in_place(record(), t));
    t.layout_digest = sha256_hex("# si disk layout 1\n/dev/sda2 /home\n");
    EXPECT_FALSE(reimage_in_place(record(), t));  // another layout: formatted
    t.layout_digest.clear();
    EXPECT_FALSE(reimage_in_place(record(), t));  // no disks prepared this boot
    InstallRecord no_disks = record();
    no_disks.target.layout_digest.clear();
    EXPECT_FALSE(reimage_in_place(no_disks, t));
}

TEST_F(HeldCheck, AnEditedRootIsNotHeld) {
    record_install();
    struct stat st {};
    ASSERT_EQ(::stat((root_ + "/etc/passwd").c_str(), &st), 0);
    std::ofstream(root_ + "/etc/passwd") << "toor:x:0:0:root:/root:/bin/sh\n";
    const timespec t[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, (root_ + "/etc/passwd").c_str(), t, 0), 0);
    const HeldVerdict v = check_held(root_, target());
    EXPECT_FALSE(v.held);
    EXPECT_EQ(v.reason, "differs: /etc/passwd: content");
}

TEST_F(HeldCheck, AFileAddedOrDeletedIsNotHeld) {
    record_install();
    std::ofstream(root_ + "/etc/new") << "x";
    EXPECT_EQ(check_held(root_, target()).reason, "differs: /etc/new: added");
    fs::remove(root_ + "/etc/new");
    fs::remove(root_ + "/etc/hostname");
    EXPECT_EQ(check_held(root_, target()).reason, "differs: /etc/hostname: missing");
}

}  // namespace
}  // namespace si
