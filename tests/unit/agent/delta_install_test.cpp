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

TEST(ClearRoot, EmptiesAnotherFilesystemMountedInsideAndKeepsItsMountPoint) {
    test::TempDir root;
    write(root / "etc/fstab", "x\n");
    fs::create_directories(root / "boot");
    if (::mount("si-test", (root / "boot").c_str(), "tmpfs", 0, "size=1m") != 0) {
        GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << ")";
    }
    write(root / "boot/vmlinuz-old", "k");
    fs::create_directories(root / "boot/lost+found");
    const bool cleared = static_cast<bool>(clear_root(root.path(), {}));
    const bool kernel_left = fs::exists(root / "boot/vmlinuz-old");
    const bool lost_found_left = fs::exists(root / "boot/lost+found");
    ::umount((root / "boot").c_str());
    EXPECT_TRUE(cleared);
    EXPECT_FALSE(kernel_left);
    EXPECT_TRUE(lost_found_left);  // the filesystem's own
    EXPECT_TRUE(fs::is_directory(root / "boot"));
    EXPECT_FALSE(fs::exists(root / "etc"));
}

TEST(ClearRoot, AMissingRootIsAnError) {
    test::TempDir root;
    auto st = clear_root(root / "not-there", {});
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("not-there"), std::string::npos);
}

}  // namespace
}  // namespace si
