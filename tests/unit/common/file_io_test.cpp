#include "common/file_io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "temp_dir.hpp"

namespace si {
namespace {

using test::TempDir;

TEST(FileIo, WriteAllThenReadBackTheSameBytes) {
    TempDir d;
    const std::string path = d.path() + "/f";
    std::string bytes(3 * 1024 * 1024 + 7, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<char>(i * 131 % 251);
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(write_all(fd, bytes), 0);
    ::close(fd);
    auto back = read_text_file(path);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, bytes);
}

TEST(FileIo, WriteAllReportsTheErrnoOfAFailedWrite) {
    const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        GTEST_SKIP() << "no /dev/full";
    }
    EXPECT_EQ(write_all(fd, std::string(100, 'x')), ENOSPC);
    ::close(fd);
    EXPECT_EQ(write_all(-1, std::string(1, 'x')), EBADF);
}

TEST(FileIo, ReadingAMissingFileNamesIt) {
    TempDir d;
    auto r = read_text_file(d.path() + "/missing");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, d.path() + "/missing: No such file or directory");
}

}  // namespace
}  // namespace si
