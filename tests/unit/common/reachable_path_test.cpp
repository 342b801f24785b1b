#include "common/reachable_path.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace si {
namespace {

class ReachablePathTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/reachable-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        base_ = tmpl;
        // 45 levels of 100 bytes: past PATH_MAX, made relative to each directory in turn.
        int fd = ::open(base_.c_str(), O_RDONLY | O_DIRECTORY);
        deep_ = base_;
        for (int i = 0; i < 45; ++i) {
            std::string name = std::to_string(i) + std::string(98, 'z');
            ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
            int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
            ::close(fd);
            fd = next;
            deep_ += "/" + name;
        }
        int f = ::openat(fd, "file", O_WRONLY | O_CREAT, 0640);
        ASSERT_EQ(::write(f, "abc", 3), 3);
        ::close(f);
        ::close(fd);
        ASSERT_GE(deep_.size(), static_cast<std::size_t>(PATH_MAX));
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(base_, ec);  // works below PATH_MAX by descriptors
    }
    std::string base_;
    std::string deep_;
};

TEST_F(ReachablePathTest, ShortPathsAreUsedAsTheyAre) {
    auto r = ReachablePath::of(base_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->str(), base_);
    EXPECT_EQ(r->dir_fd(), -1);
}

TEST_F(ReachablePathTest, LongPathsNameTheSameFile) {
    struct stat st {};
    ASSERT_NE(::stat((deep_ + "/file").c_str(), &st), 0);
    EXPECT_EQ(errno, ENAMETOOLONG);
    auto r = ReachablePath::of(deep_ + "/file");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_LT(r->str().size(), 64u);
    EXPECT_EQ(r->str().rfind("/proc/self/fd/", 0), 0u);
    ASSERT_EQ(::stat(r->c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 3);
    EXPECT_EQ(st.st_mode & 0777, 0640);
    auto dir = ReachablePath::directory(deep_);
    ASSERT_TRUE(dir);
    ASSERT_EQ(::stat((dir->str() + "/file").c_str(), &st), 0);
}

TEST_F(ReachablePathTest, MissingPartsAreNamed) {
    auto r = ReachablePath::of(deep_ + "/nodir/file");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("its directory cannot be opened: No such file or directory"),
              std::string::npos)
        << r.error().message;
    EXPECT_LT(r.error().message.size(), 250u);  // the path shown shortened
}

}  // namespace
}  // namespace si
