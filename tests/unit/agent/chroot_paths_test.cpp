#include "agent/chroot_paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace si {
namespace {

namespace fs = std::filesystem;

class ChrootPathsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/chroot-paths-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        root_ = fs::canonical(tmpl).string();
        fs::create_directories(root_ + "/usr/lib");
        fs::create_directories(root_ + "/etc");
        std::ofstream(root_ + "/etc/passwd") << "root:x:0:0\n";
        fs::create_symlink("usr/lib", root_ + "/lib");             // merged /usr, relative
        fs::create_symlink("/usr/lib", root_ + "/abslib");         // absolute: from the root
        fs::create_symlink("../../../../etc", root_ + "/usr/up");  // ".." stops at the root
        fs::create_symlink("loop2", root_ + "/loop1");
        fs::create_symlink("loop1", root_ + "/loop2");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    std::pair<std::string, int> resolve(const std::string& name, bool follow_last = true) {
        ChrootPaths paths(root_);
        return paths.resolve(*safe_components(name), follow_last);
    }
    std::string root_;
};

TEST(SafeComponents, RefusesWhatCouldLeaveTheRoot) {
    EXPECT_FALSE(safe_components(""));
    EXPECT_FALSE(safe_components("/etc/passwd"));
    EXPECT_FALSE(safe_components("a/../b"));
    EXPECT_FALSE(safe_components(".."));
    EXPECT_EQ(*safe_components("./a//b/."), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(safe_components("./")->empty());
}

TEST_F(ChrootPathsTest, SymlinksResolveInsideTheRoot) {
    EXPECT_EQ(resolve("lib/libc.so"), (std::pair<std::string, int>{"usr/lib/libc.so", 0}));
    EXPECT_EQ(resolve("abslib/x"), (std::pair<std::string, int>{"usr/lib/x", 0}));
    EXPECT_EQ(resolve("usr/up/passwd"), (std::pair<std::string, int>{"etc/passwd", 0}));
    // Not followed when asked not to: the entry replaces the link itself.
    EXPECT_EQ(resolve("lib", false), (std::pair<std::string, int>{"lib", 0}));
    // Missing components are fine (they will be made); nothing below them can be a link.
    EXPECT_EQ(resolve("new/dir/file"), (std::pair<std::string, int>{"new/dir/file", 0}));
}

TEST_F(ChrootPathsTest, LoopsAndFilesInTheWayAreErrors) {
    EXPECT_EQ(resolve("loop1/x").second, ELOOP);
    EXPECT_EQ(resolve("etc/passwd/x").second, ENOTDIR);
}

TEST_F(ChrootPathsTest, ParentsAreCachedUntilForgotten) {
    ChrootPaths paths(root_);
    EXPECT_EQ(paths.resolve_parent({"lib", "a.so"}).first, "usr/lib/a.so");
    fs::remove(root_ + "/lib");
    fs::create_directories(root_ + "/lib");
    EXPECT_EQ(paths.resolve_parent({"lib", "a.so"}).first, "usr/lib/a.so");  // cached
    paths.forget();
    EXPECT_EQ(paths.resolve_parent({"lib", "a.so"}).first, "lib/a.so");
}

TEST_F(ChrootPathsTest, LongPathsAreMadeUsable) {
    ChrootPaths paths(root_);
    std::string rel;
    for (int i = 0; i < 45; ++i) {
        rel += (rel.empty() ? "" : "/") + std::to_string(i) + std::string(98, 'q');
    }
    // Made relative to each directory in turn: the whole path is over PATH_MAX.
    int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY);
    const auto parts = safe_components(rel);
    ASSERT_TRUE(parts);
    for (const auto& part : *parts) {
        ASSERT_EQ(::mkdirat(fd, part.c_str(), 0755), 0);
        int next = ::openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY);
        ::close(fd);
        fd = next;
    }
    ::close(fd);
    const std::string full = paths.full(rel + "/file");
    ASSERT_GE(full.size(), static_cast<std::size_t>(PATH_MAX));
    auto [usable, err] = paths.usable(full);
    ASSERT_EQ(err, 0);
    EXPECT_EQ(usable.rfind("/proc/self/fd/", 0), 0u);
    std::ofstream(usable) << "x";
    struct stat st {};
    EXPECT_EQ(::stat(usable.c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 1);
    // Short paths come back as they are.
    EXPECT_EQ(paths.usable(root_ + "/etc").first, root_ + "/etc");
}

}  // namespace
}  // namespace si
