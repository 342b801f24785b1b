#include "server/web/served_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "pack_test_util.hpp"

namespace si {
namespace {

std::string read_fd(int fd) {
    std::string out(64, '\0');
    const ssize_t n = ::pread(fd, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
}

TEST(ServedFiles, OnlyWhatIsPublishedIsOpened) {
    test::TempDir dir;
    test::write_file(dir / "image-a.tar", "tarball a");
    test::write_file(dir / "secret", "not served");
    ServedFiles files;
    files.publish({{"image-a.tar", dir / "image-a.tar", "abc"}, {"../x", dir / "secret", "x"}});
    EXPECT_EQ(files.size(), 1u);
    FileRefusal refusal;
    auto a = files.open("image-a.tar", refusal);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->size, 9u);
    EXPECT_EQ(a->etag, "\"abc\"");
    EXPECT_EQ(read_fd(a->fd.get()), "tarball a");
    EXPECT_NE(a->last_modified.find(" GMT"), std::string::npos);
    for (const char* name : {"secret", "../x", "", "image-a.tar/"}) {
        EXPECT_FALSE(files.open(name, refusal).ok()) << name;
        EXPECT_EQ(refusal.status, 404u) << name;
    }
}

TEST(ServedFiles, AReplacedTarballIsRefusedUntilItsVersionIsPublished) {
    test::TempDir dir;
    const std::string path = dir / "image-a.tar";
    test::write_file(path, "version one");
    ServedFiles files;
    files.publish({{"image-a.tar", path, "v1"}});
    // A repack renames a new tarball into place while the old .torrent is still served.
    test::write_file(dir / "new", "version two, longer");
    std::filesystem::rename(dir / "new", path);
    FileRefusal refusal;
    EXPECT_FALSE(files.open("image-a.tar", refusal).ok());
    EXPECT_EQ(refusal.status, 503u);
    // Publishing the same version again keeps the old pin: still refused.
    files.publish({{"image-a.tar", path, "v1"}});
    EXPECT_FALSE(files.open("image-a.tar", refusal).ok());
    // The new version is pinned anew.
    files.publish({{"image-a.tar", path, "v2"}});
    auto opened = files.open("image-a.tar", refusal);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(read_fd(opened->fd.get()), "version two, longer");
}

TEST(ServedFiles, AMissingTarballIsRefused) {
    test::TempDir dir;
    ServedFiles files;
    files.publish({{"image-a.tar", dir / "image-a.tar", "v1"}});
    FileRefusal refusal;
    EXPECT_FALSE(files.open("image-a.tar", refusal).ok());
    EXPECT_EQ(refusal.status, 503u);
}

TEST(ServedFiles, HttpDate) {
    EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

}  // namespace
}  // namespace si
