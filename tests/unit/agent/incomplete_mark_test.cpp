#include "agent/incomplete_mark.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace si {
namespace {

namespace fs = std::filesystem;

class IncompleteMark : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "si_mark_XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;
        mark_ = root_ + "/" + incomplete_mark_name;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    std::string root_, mark_;
};

TEST_F(IncompleteMark, NamesTheImageAndOverridesUntilCleared) {
    ASSERT_TRUE(mark_incomplete(root_, "rocky9", {"compute", "site"}));
    std::ifstream in(mark_);
    std::ostringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("image rocky9 with overrides compute site"), std::string::npos)
        << text.str();
    ASSERT_TRUE(clear_incomplete(root_));
    EXPECT_FALSE(fs::exists(mark_));
}

TEST_F(IncompleteMark, ClearingKeepsTheRootsTime) {
    ASSERT_TRUE(mark_incomplete(root_, "img", {}));
    const timespec times[2] = {{0, UTIME_OMIT}, {1600000000, 0}};  // the image's, once unpacked
    ASSERT_EQ(::utimensat(AT_FDCWD, root_.c_str(), times, 0), 0);
    ASSERT_TRUE(clear_incomplete(root_));
    struct stat st {};
    ASSERT_EQ(::stat(root_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
}

TEST_F(IncompleteMark, ClearingWithoutAMarkIsFine) {
    EXPECT_TRUE(clear_incomplete(root_));
}

TEST_F(IncompleteMark, NeverWritesThroughASymlink) {
    const std::string elsewhere = root_ + "/elsewhere";
    fs::create_symlink(elsewhere, mark_);
    auto st = mark_incomplete(root_, "img", {});
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().kind, ErrorKind::io);
    EXPECT_FALSE(fs::exists(elsewhere));
}

TEST_F(IncompleteMark, MissingRootIsAnIoError) {
    auto st = mark_incomplete(root_ + "/nope", "img", {});
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().kind, ErrorKind::io);
    EXPECT_EQ(st.error().message,
              "mark " + root_ + "/nope/" + incomplete_mark_name + ": No such file or directory");
}

TEST(MountsUnder, TheRootAndEveryMountBelowIt) {
    const std::string mountinfo =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 22 8:2 / /a rw - ext4 /dev/sdb2 rw\n"
        "41 40 8:1 / /a/boot rw - ext4 /dev/sdb1 rw\n"
        "42 40 8:3 / /a/my\\040data rw - xfs /dev/sdb3 rw\n"
        "43 22 8:4 / /ab rw - ext4 /dev/sdc1 rw\n"
        "44 41 8:5 / /a/boot/efi rw - vfat /dev/sdb5 rw\n"
        "short line\n";
    EXPECT_EQ(mounts_under("/a", mountinfo),
              (std::vector<std::string>{"/a", "/a/boot", "/a/my data", "/a/boot/efi"}));
    EXPECT_EQ(mounts_under("/srv/root", ""), (std::vector<std::string>{"/srv/root"}));
}

}  // namespace
}  // namespace si
