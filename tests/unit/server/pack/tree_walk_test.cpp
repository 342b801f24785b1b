#include "server/pack/tree_walk.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack_test_util.hpp"
#include "server/pack/owner_names.hpp"

namespace si {
namespace {

using test::TempDir;
using test::write_file;

std::vector<std::string> paths_of(const Tree& t) {
    std::vector<std::string> out;
    for (const auto& e : t.entries) {
        out.push_back(e.path);
    }
    return out;
}

TEST(TreeWalk, SortedBytewiseDepthFirstDotFirst) {
    TempDir d;
    write_file(d / "b", "b");
    write_file(d / "a/z", "z");
    write_file(d / "a.b", "ab");
    write_file(d / "B", "B");
    write_file(d / "a/\xc3\xa9", "e");
    ASSERT_EQ(symlink("a", (d / "link").c_str()), 0);
    auto t = walk_tree(d.path());
    ASSERT_TRUE(t.ok()) << t.error().message;
    std::vector<std::string> want = {".",     "./B", "./a",   "./a/z", "./a/\xc3\xa9",
                                     "./a.b", "./b", "./link"};
    EXPECT_EQ(paths_of(*t), want);
    EXPECT_EQ(t->entries[0].abs_path, d.path());
    EXPECT_EQ(t->file_bytes, 6u);
    EXPECT_TRUE(S_ISLNK(t->entries.back().st.st_mode));  // not followed
}

TEST(TreeWalk, HardlinksCountOnceAndFingerprintIsStable) {
    TempDir d;
    write_file(d / "f", std::string(1000, 'x'));
    ASSERT_EQ(link((d / "f").c_str(), (d / "g").c_str()), 0);
    auto a = walk_tree(d.path());
    auto b = walk_tree(d.path() + "/");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->file_bytes, 1000u);
    EXPECT_EQ(a->fingerprint_hex.size(), 40u);
    EXPECT_EQ(a->fingerprint_hex, b->fingerprint_hex);
    EXPECT_GE(tar_size_bound(*a), 2000u);
}

TEST(TreeWalk, FingerprintSeesEveryChange) {
    TempDir d;
    write_file(d / "dir/f", "data");
    auto before = walk_tree(d.path());
    ASSERT_TRUE(before.ok());
    timespec times[2] = {{0, UTIME_OMIT}, {12345, 678}};
    ASSERT_EQ(utimensat(AT_FDCWD, (d / "dir/f").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
    auto touched = walk_tree(d.path());
    ASSERT_EQ(chmod((d / "dir/f").c_str(), 0600), 0);
    auto chmodded = walk_tree(d.path());
    ASSERT_TRUE(touched.ok() && chmodded.ok());
    EXPECT_NE(before->fingerprint_hex, touched->fingerprint_hex);
    EXPECT_NE(touched->fingerprint_hex, chmodded->fingerprint_hex);
}

TEST(TreeWalk, ErrorsNameThePath) {
    auto missing = walk_tree("/nonexistent/si-tree");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, "stat /nonexistent/si-tree: No such file or directory");

    TempDir d;
    ASSERT_EQ(chmod(d.path().c_str(), 0755), 0);
    write_file(d / "secret/f", "x");
    ASSERT_EQ(chmod((d / "secret").c_str(), 0700), 0);
    std::string msg = test::run_as_nobody([&] {
        auto t = walk_tree(d.path());
        return t.ok() ? std::string("ok") : t.error().message;
    });
    EXPECT_EQ(msg, "opendir " + d.path() + "/secret: Permission denied");
}

TEST(OwnerNames, FromTheImageTextFirstEntryWins) {
    auto n = OwnerNames::from_text(
        "root:x:0:0::/root:/bin/sh\n# c\nbad line\nalice:x:1000:100\n"
        "alice2:x:1000:100\n",
        "root:x:0:\nusers:x:100:alice\n");
    ASSERT_NE(n.user(1000), nullptr);
    EXPECT_EQ(*n.user(1000), "alice");
    EXPECT_EQ(*n.user(0), "root");
    EXPECT_EQ(*n.group(100), "users");
    EXPECT_EQ(n.user(5), nullptr);
    EXPECT_EQ(n.group(5), nullptr);
}

TEST(OwnerNames, NoPasswdMeansNumericOnlyAndSymlinksAreNotFollowed) {
    TempDir d;
    EXPECT_EQ(OwnerNames::from_image(d.path()).user(0), nullptr);
    ASSERT_EQ(mkdir((d / "etc").c_str(), 0755), 0);
    ASSERT_EQ(symlink("/etc/passwd", (d / "etc/passwd").c_str()), 0);  // the server's
    EXPECT_EQ(OwnerNames::from_image(d.path()).user(0), nullptr);
    TempDir e;
    write_file(e / "etc/passwd", "toor:x:0:0::/:/bin/sh\n");
    auto n = OwnerNames::from_image(e.path());
    ASSERT_NE(n.user(0), nullptr);
    EXPECT_EQ(*n.user(0), "toor");
}

}  // namespace
}  // namespace si
