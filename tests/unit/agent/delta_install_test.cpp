#include "agent/delta_install.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "temp_dir.hpp"

namespace si {
namespace {

namespace fs = std::filesystem;

void write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
}

TEST(ClearRoot, RemovesEverythingButWhatIsKeptAndItsParents) {
    test::TempDir root;
    write(root / "etc/passwd", "root:x:0:0\n");
    write(root / "usr/lib/libz.so.1", "z");
    fs::create_symlink("/etc/passwd", root / "passwd-link");
    write(root / ".systemimager-incomplete", "image x\n");
    write(root / "var/tmp/si-staging/image-x.tar.zst", "partial");
    write(root / "var/tmp/other", "o");
    write(root / "var/log/syslog", "l");
    ASSERT_TRUE(clear_root(root.path(), {"/.systemimager-incomplete", "/var/tmp/si-staging"}));
    EXPECT_FALSE(fs::exists(root / "etc"));
    EXPECT_FALSE(fs::exists(root / "usr"));
    EXPECT_FALSE(fs::is_symlink(root / "passwd-link"));
    EXPECT_FALSE(fs::exists(root / "var/tmp/other"));
    EXPECT_FALSE(fs::exists(root / "var/log"));
    EXPECT_TRUE(fs::exists(root / ".systemimager-incomplete"));
    EXPECT_TRUE(fs::exists(root / "var/tmp/si-staging/image-x.tar.zst"));
    EXPECT_TRUE(fs::exists("/etc/passwd"));  // a link is removed, never followed
}

// A tmpfs mounted at `dir`, unmounted when this goes away; `ok` false where mounting is not
// allowed (the test then skips).
struct TmpfsMount {
    explicit TmpfsMount(const std::string& dir) : dir_(dir) {
        fs::create_directories(dir);
        ok = ::mount("si-test", dir.c_str(), "tmpfs", 0, "size=1m") == 0;
        err = errno;
    }
    ~TmpfsMount() {
        if (ok) {
            ::umount2(dir_.c_str(), MNT_DETACH);
        }
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    std::string dir_;
    bool ok = false;
    int err = 0;
};

TEST(ClearRoot, EmptiesTheLayoutsFilesystemsAndKeepsTheirMountPoints) {
    test::TempDir root;
    write(root / "etc/fstab", "x\n");
    // the common UEFI layout: /boot an ordinary directory, /boot/efi a filesystem
    write(root / "boot/vmlinuz-old", "k");
    TmpfsMount efi(root / "boot/efi");
    if (!efi.ok) {
        GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(efi.err) << ")";
    }
    write(root / "boot/efi/EFI/debian/grubx64.efi", "g");
    fs::create_directories(root / "boot/efi/lost+found");
    ASSERT_TRUE(clear_root(root.path(), {}, {"/boot/efi/"}));
    EXPECT_FALSE(fs::exists(root / "boot/efi/EFI"));
    EXPECT_TRUE(fs::exists(root / "boot/efi/lost+found"));  // the filesystem's own
    EXPECT_TRUE(fs::is_directory(root / "boot/efi"));
    EXPECT_FALSE(fs::exists(root / "boot/vmlinuz-old"));
    EXPECT_FALSE(fs::exists(root / "etc"));
}

TEST(ClearRoot, NeverEntersAMountTheLayoutDoesNotList) {
    test::TempDir root;
    write(root / "etc/fstab", "x\n");
    TmpfsMount dev(root / "dev");  // as a leftover bind mount of /dev would be
    if (!dev.ok) {
        GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(dev.err) << ")";
    }
    write(root / "dev/null-ish", "n");
    ASSERT_TRUE(clear_root(root.path(), {}, {"/boot"}));
    EXPECT_TRUE(fs::exists(root / "dev/null-ish"));
    EXPECT_FALSE(fs::exists(root / "etc"));
}

TEST(ClearRoot, AKeptPathWithATrailingSlashIsKept) {
    test::TempDir root;
    write(root / "var/stage/image-x.tar.zst", "partial");
    write(root / "var/log/syslog", "l");
    ASSERT_TRUE(clear_root(root.path(), {"/var/stage/"}));
    EXPECT_TRUE(fs::exists(root / "var/stage/image-x.tar.zst"));
    EXPECT_FALSE(fs::exists(root / "var/log"));
}

TEST(ClearRoot, AMissingRootIsAnError) {
    test::TempDir root;
    auto st = clear_root(root / "not-there", {});
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("not-there"), std::string::npos);
}

}  // namespace
}  // namespace si
