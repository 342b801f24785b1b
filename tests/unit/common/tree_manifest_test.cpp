#include "common/tree_manifest.hpp"
#include "common/known_contents.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

namespace si {
namespace {

namespace fs = std::filesystem;

// A small tree with a file of each kind, fixed times, in a temp dir.
class TreeManifestTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "si_manifest_XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;
        fs::create_directories(root_ + "/etc");
        fs::create_directories(root_ + "/usr/bin");
        write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
        write("/etc/shadow", "root:*:19000:0:99999:7:::\n", 0640);
        write("/usr/bin/tool", "#!/bin/sh\necho tool\n", 0755);
        fs::create_symlink("tool", root_ + "/usr/bin/tool-link");
        ASSERT_EQ(::mkfifo((root_ + "/etc/initctl").c_str(), 0600), 0);
        for (const char* p : {"/etc/passwd", "/etc/shadow", "/usr/bin/tool", "/etc/initctl"}) {
            set_mtime(p, 1'600'000'000);
        }
    }
    void TearDown() override {
        for (const char* m : {"/run", "/data"}) {
            ::umount2((root_ + m).c_str(), MNT_DETACH);
        }
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    void write(const std::string& rel, const std::string& text, mode_t mode) {
        std::ofstream(root_ + rel, std::ios::binary | std::ios::trunc) << text;
        ASSERT_EQ(::chmod((root_ + rel).c_str(), mode), 0);
    }
    void set_mtime(const std::string& rel, time_t sec, long nsec = 123'456'789) {
        const timespec t[2] = {{sec, nsec}, {sec, nsec}};
        ASSERT_EQ(::utimensat(AT_FDCWD, (root_ + rel).c_str(), t, AT_SYMLINK_NOFOLLOW), 0);
    }
    timespec mtime_of(const std::string& rel) {
        struct stat st {};
        ::lstat((root_ + rel).c_str(), &st);
        return st.st_mtim;
    }

    std::vector<std::string> manifest(unsigned threads = 0, std::vector<std::string> exclude = {}) {
        ManifestOptions o;
        o.hash_threads = threads;
        o.exclude = std::move(exclude);
        auto m = build_tree_manifest(root_, o);
        EXPECT_TRUE(m) << m.error().message;
        return m ? m->lines : std::vector<std::string>{};
    }

    // The first difference a change makes.
    std::string after(const std::function<void()>& change) {
        const auto before = manifest();
        change();
        const auto now = manifest();
        auto diff = first_manifest_difference(before, now);
        return diff ? *diff : "(none)";
    }

    std::string root_;
};

TEST_F(TreeManifestTest, AnUntouchedTreeGivesTheSameManifestTwice) {
    const auto a = manifest();
    const auto b = manifest();
    EXPECT_EQ(a, b);
    EXPECT_EQ(first_manifest_difference(a, b), std::nullopt);
    ASSERT_EQ(a.size(), 9U);  // /, /etc + 3, /usr, /usr/bin + 2
    EXPECT_EQ(a[0].substr(0, 9), "/ type=d ");
}

TEST_F(TreeManifestTest, LinesAreSortedByPathAndSayEverything) {
    const auto m = manifest();
    EXPECT_TRUE(std::is_sorted(m.begin(), m.end(), [](const auto& a, const auto& b) {
        return a.substr(0, a.find(' ')) < b.substr(0, b.find(' '));
    }));
    const std::string passwd = *std::find_if(
        m.begin(), m.end(), [](const auto& l) { return l.rfind("/etc/passwd ", 0) == 0; });
    EXPECT_EQ(passwd.substr(0, passwd.find(" content=")),
              "/etc/passwd type=f mode=0644 uid=" + std::to_string(::getuid()) + " gid=" +
                  std::to_string(::getgid()) + " size=30 mtime=1600000000123456789 nlink=1");
    EXPECT_EQ(passwd.substr(passwd.find("content=") + 8).size(), 64U);
    const std::string link = *std::find_if(
        m.begin(), m.end(), [](const auto& l) { return l.rfind("/usr/bin/tool-link ", 0) == 0; });
    EXPECT_NE(link.find(" type=l "), std::string::npos) << link;
    EXPECT_NE(link.find(" size=4 "), std::string::npos) << link;
    EXPECT_NE(link.find(" target=tool"), std::string::npos) << link;
    const std::string dir = *std::find_if(
        m.begin(), m.end(), [](const auto& l) { return l.rfind("/usr/bin ", 0) == 0; });
    EXPECT_EQ(dir.find("mtime="), std::string::npos) << dir;
    EXPECT_EQ(dir.find("size="), std::string::npos) << dir;
}

TEST_F(TreeManifestTest, ContentIsTheSha256OfTheBytes) {
    write("/etc/abc", "abc", 0644);
    const auto m = manifest();
    const std::string line = *std::find_if(
        m.begin(), m.end(), [](const auto& l) { return l.rfind("/etc/abc ", 0) == 0; });
    EXPECT_NE(line.find("content=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
              std::string::npos)
        << line;
}

// A known digest is taken as it is, without reading the file: here a made-up one shows it.
TEST_F(TreeManifestTest, AKnownUnchangedFileIsNotRead) {
    KnownContents known;
    const std::string made_up(64, 'f');
    for (const char* p : {"/etc/passwd", "/etc/shadow", "/usr/bin/tool"}) {
        struct stat st {};
        ASSERT_EQ(::lstat((root_ + p).c_str(), &st), 0);
        known.remember(st, made_up);
    }
    ManifestOptions o;
    o.known = &known;
    auto m = build_tree_manifest(root_, o);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->content_bytes, 0);
    EXPECT_EQ(m->known_files, 3);
    EXPECT_EQ(m->known_bytes, 30 + 26 + 20);
    for (const auto& line : m->lines) {
        if (line.find(" type=f ") != std::string::npos) {
            EXPECT_NE(line.find("content=" + made_up), std::string::npos) << line;
        }
    }
}

// A walk learns the digests it reads; the next walk reads only the file changed since.
TEST_F(TreeManifestTest, AWalkLearnsWhatTheNextNeedNotRead) {
    KnownContents known;
    ManifestOptions o;
    o.learn = &known;
    auto first = build_tree_manifest(root_, o);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(known.files(), 3U);
    EXPECT_EQ(first->content_bytes, 30 + 26 + 20);

    o.known = &known;
    auto second = build_tree_manifest(root_, o);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->content_bytes, 0);
    EXPECT_EQ(second->lines, first->lines);

    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the ctime's clock tick
    const timespec was = mtime_of("/usr/bin/tool");
    write("/usr/bin/tool", "#!/bin/sh\necho TOOL\n", 0755);
    set_mtime("/usr/bin/tool", was.tv_sec, was.tv_nsec);
    auto third = build_tree_manifest(root_, o);
    ASSERT_TRUE(third) << third.error().message;
    EXPECT_EQ(third->content_bytes, 20);
    EXPECT_EQ(third->lines, manifest());
    EXPECT_NE(third->lines, first->lines);
}

// Changed since it was remembered (its ctime moved): the file is read again.
TEST_F(TreeManifestTest, AKnownFileChangedSinceIsReadAgain) {
    KnownContents known;
    struct stat st {};
    ASSERT_EQ(::lstat((root_ + "/etc/passwd").c_str(), &st), 0);
    known.remember(st, std::string(64, 'f'));
    ASSERT_NE(known.find(st), nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));    // let the ctime's clock tick
    ASSERT_EQ(::chmod((root_ + "/etc/passwd").c_str(), 0644), 0);  // same mode: only ctime moves
    struct stat now {};
    ASSERT_EQ(::lstat((root_ + "/etc/passwd").c_str(), &now), 0);
    EXPECT_EQ(known.find(now), nullptr);
    ManifestOptions o;
    o.known = &known;
    auto m = build_tree_manifest(root_, o);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->lines, manifest());
    EXPECT_EQ(m->known_files, 0);
}

// A hard link moves the file's ctime; relinked() carries the digest over, and only from a
// file that was known unchanged just before.
TEST_F(TreeManifestTest, AHardLinkKeepsTheKnownDigest) {
    KnownContents known;
    const std::string passwd = root_ + "/etc/passwd";
    struct stat st {};
    ASSERT_EQ(::lstat(passwd.c_str(), &st), 0);
    known.remember(st, std::string(64, 'a'));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    struct stat before {};
    ASSERT_EQ(::lstat(passwd.c_str(), &before), 0);
    ASSERT_EQ(::link(passwd.c_str(), (root_ + "/etc/passwd-").c_str()), 0);
    struct stat after {};
    ASSERT_EQ(::lstat(passwd.c_str(), &after), 0);
    EXPECT_EQ(known.find(after), nullptr);
    known.relinked(before, after);
    ASSERT_NE(known.find(after), nullptr);
    EXPECT_EQ(*known.find(after), std::string(64, 'a'));

    // Not from a file changed before the link.
    const std::string shadow = root_ + "/etc/shadow";
    ASSERT_EQ(::lstat(shadow.c_str(), &st), 0);
    known.remember(st, std::string(64, 'b'));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(::chmod(shadow.c_str(), 0600), 0);
    ASSERT_EQ(::lstat(shadow.c_str(), &before), 0);
    ASSERT_EQ(::link(shadow.c_str(), (root_ + "/etc/shadow-").c_str()), 0);
    ASSERT_EQ(::lstat(shadow.c_str(), &after), 0);
    known.relinked(before, after);
    EXPECT_EQ(known.find(after), nullptr);
}

TEST_F(TreeManifestTest, OneHashingThreadOrFourGiveTheSameManifest) {
    for (int i = 0; i < 200; ++i) {
        write("/usr/bin/f" + std::to_string(i), std::string(1000 + i * 37, 'a' + i % 26), 0644);
    }
    EXPECT_EQ(manifest(1), manifest(4));
}

TEST_F(TreeManifestTest, ContentChangedWithSizeAndMtimeKept) {
    EXPECT_EQ(after([&] {
                  const timespec was = mtime_of("/etc/passwd");
                  write("/etc/passwd", "toor:x:0:0:root:/root:/bin/sh\n", 0644);
                  set_mtime("/etc/passwd", was.tv_sec, was.tv_nsec);
              }),
              "/etc/passwd: content");
}

TEST_F(TreeManifestTest, EachKindOfChangeIsNamed) {
    EXPECT_EQ(after([&] { fs::remove(root_ + "/etc/shadow"); }), "/etc/shadow: missing");
    EXPECT_EQ(after([&] { write("/etc/extra", "x", 0644); }), "/etc/extra: added");
    EXPECT_EQ(after([&] { ::chmod((root_ + "/usr/bin/tool").c_str(), 04755); }),
              "/usr/bin/tool: mode");
    EXPECT_EQ(after([&] { set_mtime("/etc/passwd", 1'600'000'001); }), "/etc/passwd: mtime");
    EXPECT_EQ(after([&] { write("/etc/passwd", "root\n", 0644); }), "/etc/passwd: size");
    EXPECT_EQ(after([&] {
                  fs::remove(root_ + "/usr/bin/tool-link");
                  fs::create_symlink("toot", root_ + "/usr/bin/tool-link");
                  set_mtime("/usr/bin/tool-link", 1'600'000'000);
              }),
              "/usr/bin/tool-link: mtime");
    EXPECT_EQ(
        after([&] { fs::create_hard_link(root_ + "/usr/bin/tool", root_ + "/usr/bin/tool2"); }),
        "/usr/bin/tool: nlink");
    EXPECT_EQ(after([&] {
                  fs::remove(root_ + "/etc/initctl");
                  fs::create_directory(root_ + "/etc/initctl");
              }),
              "/etc/initctl: type");
}

TEST_F(TreeManifestTest, HardLinksOutsideTheTreeAreNotCounted) {
    // An image directory made with cp -al beside another: its files have links outside it,
    // which no archive of it carries.
    const std::string outside = root_ + "-outside";
    fs::create_directories(outside);
    fs::create_hard_link(root_ + "/etc/passwd", outside + "/passwd");
    fs::create_hard_link(root_ + "/usr/bin/tool", outside + "/tool");
    fs::create_hard_link(root_ + "/usr/bin/tool", root_ + "/usr/bin/tool2");
    const auto lines = manifest();
    std::error_code ec;
    fs::remove_all(outside, ec);
    auto line = [&](const std::string& path) {
        for (const std::string& l : lines) {
            if (l.rfind(path + " ", 0) == 0) {
                return l;
            }
        }
        return std::string();
    };
    EXPECT_NE(line("/etc/passwd").find(" nlink=1"), std::string::npos) << line("/etc/passwd");
    EXPECT_NE(line("/usr/bin/tool").find(" nlink=2"), std::string::npos) << line("/usr/bin/tool");
    EXPECT_NE(line("/usr/bin/tool2").find(" nlink=2"), std::string::npos);
}

TEST_F(TreeManifestTest, ALinkTargetOfTheSameLengthAndTime) {
    const auto before = manifest();
    const timespec was = mtime_of("/usr/bin/tool-link");
    fs::remove(root_ + "/usr/bin/tool-link");
    fs::create_symlink("toot", root_ + "/usr/bin/tool-link");
    set_mtime("/usr/bin/tool-link", was.tv_sec, was.tv_nsec);
    EXPECT_EQ(first_manifest_difference(before, manifest()), "/usr/bin/tool-link: target");
}

TEST_F(TreeManifestTest, OwnerDeviceNumbersAndXattrs) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root (chown, mknod)";
    }
    EXPECT_EQ(after([&] { ::lchown((root_ + "/etc/shadow").c_str(), 0, 42); }), "/etc/shadow: gid");
    EXPECT_EQ(after([&] { ::lchown((root_ + "/etc/shadow").c_str(), 7, 42); }), "/etc/shadow: uid");
    ASSERT_EQ(::mknod((root_ + "/etc/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    set_mtime("/etc/null", 1'600'000'000);
    EXPECT_EQ(after([&] {
                  fs::remove(root_ + "/etc/null");
                  ::mknod((root_ + "/etc/null").c_str(), S_IFCHR | 0666, makedev(1, 5));
                  set_mtime("/etc/null", 1'600'000'000);
              }),
              "/etc/null: rdev");
    const std::string f = root_ + "/etc/passwd";
    if (::setxattr(f.c_str(), "user.comment", "a", 1, 0) != 0) {
        GTEST_SKIP() << "no user xattrs here: " << std::strerror(errno);
    }
    EXPECT_EQ(after([&] { ::setxattr(f.c_str(), "user.comment", "b", 1, 0); }),
              "/etc/passwd: xattrs");
    EXPECT_EQ(after([&] { ::removexattr(f.c_str(), "user.comment"); }), "/etc/passwd: xattrs");
    // A capability, as Debian ships ping: security.* is listed too.
    const std::string cap =
        std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8) + std::string(12, '\0');
    EXPECT_EQ(after([&] {
                  ASSERT_EQ(::setxattr((root_ + "/usr/bin/tool").c_str(), "security.capability",
                                       cap.data(), cap.size(), 0),
                            0);
              }),
              "/usr/bin/tool: xattrs");
}

TEST_F(TreeManifestTest, DirectoryTimesAreLeftOut) {
    const auto before = manifest();
    set_mtime("/etc", 1'700'000'000);
    write("/etc/.tmp", "x", 0644);
    fs::remove(root_ + "/etc/.tmp");
    EXPECT_EQ(first_manifest_difference(before, manifest()), std::nullopt);
}

TEST_F(TreeManifestTest, ExcludedPathsAreLeftOut) {
    const auto before = manifest(0, {"/.record", "/usr/bin"});
    write("/.record", "anything", 0644);
    write("/usr/bin/new", "x", 0644);
    const auto now = manifest(0, {"/.record", "/usr/bin"});
    EXPECT_EQ(first_manifest_difference(before, now), std::nullopt);
    EXPECT_EQ(std::count_if(now.begin(), now.end(),
                            [](const auto& l) { return l.rfind("/usr/bin", 0) == 0; }),
              0);
}

TEST_F(TreeManifestTest, NamesWithBlanksAndNewlinesStayOnOneLine) {
    write("/etc/a b\nc%", "x", 0644);
    const auto m = manifest();
    EXPECT_NE(std::find_if(m.begin(), m.end(),
                           [](const auto& l) { return l.rfind("/etc/a%20b%0Ac%25 ", 0) == 0; }),
              m.end());
    EXPECT_EQ(manifest_escape("\xff/ok"), "%FF/ok");
}

TEST_F(TreeManifestTest, VirtualFilesystemsMountedBelowAreNotEntered) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root (mount)";
    }
    fs::create_directories(root_ + "/run");
    fs::create_directories(root_ + "/data");
    const auto before = manifest();
    for (const char* m : {"/run", "/data"}) {
        if (::mount("tmpfs", (root_ + m).c_str(), "tmpfs", 0, "mode=0755") != 0) {
            GTEST_SKIP() << "cannot mount tmpfs: " << std::strerror(errno);
        }
        write(std::string(m) + "/inside", "x", 0644);
    }
    const auto now = manifest();
    EXPECT_EQ(std::count_if(now.begin(), now.end(),
                            [](const auto& l) { return l.find("/inside ") != std::string::npos; }),
              0);
    EXPECT_EQ(now.size(), before.size());
}

TEST_F(TreeManifestTest, AMissingRootIsAnError) {
    auto m = build_tree_manifest(root_ + "/nonexistent", {});
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().kind, ErrorKind::io);
    EXPECT_NE(m.error().message.find("manifest " + root_ + "/nonexistent: open: "),
              std::string::npos)
        << m.error().message;
}

TEST(ManifestDifference, MergesByPath) {
    const std::vector<std::string> a = {"/ type=d", "/a type=f size=1", "/c type=f size=1"};
    const std::vector<std::string> b = {"/ type=d", "/a type=f size=1", "/b type=f size=1",
                                        "/c type=f size=1"};
    EXPECT_EQ(first_manifest_difference(a, b), "/b: added");
    EXPECT_EQ(first_manifest_difference(b, a), "/b: missing");
    using Lines = std::vector<std::string>;
    EXPECT_EQ(first_manifest_difference(a, Lines{"/ type=d", "/a type=f size=1"}), "/c: missing");
    EXPECT_EQ(
        first_manifest_difference(Lines{"/x type=f size=1"}, Lines{"/x type=f size=1 xattrs=ab"}),
        "/x: xattrs");
}

}  // namespace
}  // namespace si
