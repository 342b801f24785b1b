#include <gtest/gtest.h>

#include "common/bt_config.hpp"

namespace si {
namespace {

TEST(SystemImagerConf, KeysAndDefaults) {
    std::vector<std::string> warnings;
    auto d = parse_systemimager_conf(
        "# comment\nDEFAULT_IMAGE_DIR = /srv/images\n"
        "AUTOINSTALL_TORRENT_DIR=\"/srv/torrents\"\nRSYNC_STUB_DIR = /x\n",
        "systemimager.conf", warnings);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->image_dir, "/srv/images");
    EXPECT_EQ(d->torrent_dir, "/srv/torrents");
    EXPECT_EQ(d->override_dir, "/var/lib/systemimager/overrides");
    EXPECT_EQ(d->tarball_dir, "/var/lib/systemimager/tarballs");
    EXPECT_TRUE(warnings.empty());
}

// The way administrators write it, read as SystemImager's Perl tools (AppConfig) read it.
TEST(SystemImagerConf, TrailingCommentsAndLowerCaseNames) {
    std::vector<std::string> warnings;
    auto d = parse_systemimager_conf(
        "DEFAULT_IMAGE_DIR = /srv/images    # moved\n"
        "default_override_dir = /srv/overrides\n"
        "Autoinstall_Tarball_Dir /srv/tarballs\n",
        "systemimager.conf", warnings);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->image_dir, "/srv/images");
    EXPECT_EQ(d->override_dir, "/srv/overrides");
    EXPECT_EQ(d->tarball_dir, "/srv/tarballs");
    EXPECT_EQ(d->torrent_dir, "/var/lib/systemimager/torrents");
}

TEST(SystemImagerConf, MissingFileKeepsDefaultsAndSaysSo) {
    std::vector<std::string> warnings;
    auto d = load_systemimager_conf("/nonexistent/systemimager.conf", warnings);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->image_dir, "/var/lib/systemimager/images");
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("not found"), std::string::npos);
}

TEST(SystemImagerConf, ADirectoryIsAnError) {
    std::vector<std::string> warnings;
    auto d = load_systemimager_conf("/", warnings);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().kind, ErrorKind::config);
    EXPECT_EQ(d.error().message, "/: is a directory, not systemimager.conf");
}

}  // namespace
}  // namespace si
