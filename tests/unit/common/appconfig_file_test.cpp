#include "common/appconfig_file.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

std::string value_of(std::string_view text, std::string_view name) {
    const AppConfigFile conf = parse_appconfig(text, "systemimager.conf");
    const AppConfigValue* v = conf.find(name);
    return v == nullptr ? "<unset>" : v->value;
}

TEST(AppConfigFile, CommentAfterWhitespaceEndsTheValue) {
    EXPECT_EQ(value_of("DEFAULT_IMAGE_DIR = /srv/images    # moved\n", "DEFAULT_IMAGE_DIR"),
              "/srv/images");
    EXPECT_EQ(value_of("DEFAULT_IMAGE_DIR = /srv/images\t# moved\n", "DEFAULT_IMAGE_DIR"),
              "/srv/images");
    EXPECT_EQ(value_of("  # DEFAULT_IMAGE_DIR = /old\n", "DEFAULT_IMAGE_DIR"), "<unset>");
}

TEST(AppConfigFile, HashInsideAWordOrEscapedIsKept) {
    EXPECT_EQ(value_of("dir = /srv/a#b\n", "dir"), "/srv/a#b");
    EXPECT_EQ(value_of("dir = /srv/\\#b # comment\n", "dir"), "/srv/#b");
}

TEST(AppConfigFile, NamesAreCaseInsensitive) {
    EXPECT_EQ(value_of("default_image_dir = /srv/images\n", "DEFAULT_IMAGE_DIR"), "/srv/images");
    EXPECT_EQ(value_of("Default_Image_Dir=/a\nDEFAULT_IMAGE_DIR=/b\n", "default_image_dir"), "/b");
}

TEST(AppConfigFile, EqualsOrWhitespaceSeparatesNameAndValue) {
    EXPECT_EQ(value_of("DIR=/x\n", "dir"), "/x");
    EXPECT_EQ(value_of("DIR /x y\n", "dir"), "/x y");
    EXPECT_EQ(value_of("DIR\t=\t/x  \r\n", "dir"), "/x");
}

TEST(AppConfigFile, MatchingQuotesAroundTheWholeValueGo) {
    EXPECT_EQ(value_of("dir = \"/srv/my images\"\n", "dir"), "/srv/my images");
    EXPECT_EQ(value_of("dir = '/x'\n", "dir"), "/x");
    EXPECT_EQ(value_of("dir = \"/x'\n", "dir"), "\"/x'");
}

TEST(AppConfigFile, BackslashContinuesTheLine) {
    const AppConfigFile conf = parse_appconfig("dir = /srv/\\\nimages\nother = 1\n", "f");
    ASSERT_NE(conf.find("dir"), nullptr);
    EXPECT_EQ(conf.find("dir")->value, "/srv/images");
    EXPECT_EQ(conf.find("dir")->line, 1);
    EXPECT_EQ(conf.find("other")->line, 3);
}

TEST(AppConfigFile, BlocksPrefixNamesAndMinusResets) {
    EXPECT_EQ(value_of("[paths]\nimage = /x\n", "paths_image"), "/x");
    EXPECT_EQ(value_of("dir = /x\n-dir\n", "dir"), "<unset>");
    EXPECT_EQ(value_of("+dir = /x\n", "dir"), "/x");
}

TEST(AppConfigFile, LinesAppConfigIgnoresAreWarnings) {
    const AppConfigFile conf = parse_appconfig("= /x\nLONELY\nok = 1\n", "si.conf");
    ASSERT_EQ(conf.warnings.size(), 2U);
    EXPECT_EQ(conf.warnings[0], "si.conf:1: no name before '=' (ignored)");
    EXPECT_EQ(conf.warnings[1], "si.conf:2: lonely: no value (ignored)");
    EXPECT_EQ(conf.values.size(), 1U);
}

}  // namespace
}  // namespace si
