#include "common/names.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TEST(Names, TarballsAndTorrentsAsTheOriginalNamedThem) {
    EXPECT_EQ(tarball_name(PackKind::image, "suse10", Compression::gzip), "image-suse10.tar.gz");
    EXPECT_EQ(tarball_name(PackKind::image, "suse10", Compression::none), "image-suse10.tar");
    EXPECT_EQ(tarball_name(PackKind::override_, "x", Compression::zstd), "override-x.tar.zst");
    EXPECT_EQ(torrent_name("image-a.tar.gz"), "image-a.tar.gz.torrent");
}

TEST(Names, ValidImageNames) {
    EXPECT_TRUE(is_valid_image_name("RHEL4_base"));
    EXPECT_TRUE(is_valid_image_name("suse-10.1+x"));
    EXPECT_FALSE(is_valid_image_name(""));
    EXPECT_FALSE(is_valid_image_name("../etc"));
    EXPECT_FALSE(is_valid_image_name("a/b"));
    EXPECT_FALSE(is_valid_image_name(".hidden"));
    EXPECT_FALSE(is_valid_image_name("-rf"));
    EXPECT_FALSE(is_valid_image_name("a b"));
}

}  // namespace
}  // namespace si
