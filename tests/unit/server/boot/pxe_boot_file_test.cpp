#include "server/boot/pxe_boot_file.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>

#include "common/file_io.hpp"
#include "pack_test_util.hpp"

namespace si {
namespace {

const char* const shipped_template =
    "DEFAULT systemimager\n"
    "PROMPT 1\n"
    "# a comment with APPEND in it\n"
    "LABEL systemimager\n"
    "KERNEL kernel\n"
    "APPEND initrd=initrd.img BITTORRENT=y IMAGENAME=suse10 SI_DONE=reboot "
    "MONITOR_SERVER=10.0.0.1\n"
    "IPAPPEND 2\n";

BootTarget node01() {
    return BootTarget{"52:54:00:12:34:01", "node01", "debian12", {"site", "compute"}};
}

TEST(InstallBootFile, IsTheTemplateWithThisNodesImageHostnameAndOverrides) {
    auto text = render_install_boot_file(shipped_template, node01(), 1765000000, "si_btreimage");
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_NE(text->find("\n# si_btd: boot=install image=debian12 host=node01 since=1765000000 "
                         "by=si_btreimage\n"),
              std::string::npos)
        << *text;
    EXPECT_NE(text->find("\nAPPEND initrd=initrd.img BITTORRENT=y IMAGENAME=debian12 "
                         "SI_DONE=reboot MONITOR_SERVER=10.0.0.1 HOSTNAME=node01 "
                         "OVERRIDES=site,compute\n"),
              std::string::npos)
        << *text;
    EXPECT_NE(text->find("\nDEFAULT systemimager\n"), std::string::npos);
    EXPECT_NE(text->find("\nIPAPPEND 2\n"), std::string::npos);
    EXPECT_NE(text->find("# a comment with APPEND in it\n"), std::string::npos);
}

TEST(InstallBootFile, KeepsTheTemplatesOverridesWhenTheNodeNamesNone) {
    BootTarget n = node01();
    n.overrides.clear();
    auto text =
        render_install_boot_file("LABEL x\nappend BITTORRENT=y OVERRIDES=site\n", n, 1, "si_btd");
    ASSERT_TRUE(text);
    EXPECT_NE(text->find("append BITTORRENT=y OVERRIDES=site IMAGENAME=debian12 HOSTNAME=node01\n"),
              std::string::npos)
        << *text;
}

// si_btreimage --reinstall: the node installs in full even when its disk holds the image.
TEST(InstallBootFile, AReinstallSetsBitTorrentReinstallOnlyWhenAsked) {
    BootTarget n = node01();
    auto plain = render_install_boot_file("LABEL x\nAPPEND BITTORRENT=y BITTORRENT_REINSTALL=n\n",
                                          n, 1, "si_btreimage");
    ASSERT_TRUE(plain);
    EXPECT_NE(plain->find(" BITTORRENT_REINSTALL=n "), std::string::npos) << *plain;
    n.reinstall = true;
    auto forced = render_install_boot_file("LABEL x\nAPPEND BITTORRENT=y BITTORRENT_REINSTALL=n\n",
                                           n, 1, "si_btreimage");
    ASSERT_TRUE(forced);
    EXPECT_NE(forced->find("APPEND BITTORRENT=y BITTORRENT_REINSTALL=y IMAGENAME=debian12 "),
              std::string::npos)
        << *forced;
    auto added = render_install_boot_file(shipped_template, n, 1, "si_btreimage");
    ASSERT_TRUE(added);
    EXPECT_NE(added->find(" OVERRIDES=site,compute BITTORRENT_REINSTALL=y\n"), std::string::npos)
        << *added;
}

TEST(InstallBootFile, ATemplateThatIsOneOfOurFilesDoesNotStackHeaders) {
    auto once = render_install_boot_file(shipped_template, node01(), 1, "si_btd");
    ASSERT_TRUE(once);
    auto twice = render_install_boot_file(*once, node01(), 1, "si_btd");
    ASSERT_TRUE(twice);
    EXPECT_EQ(*once, *twice);
}

TEST(InstallBootFile, ATemplateWithoutABitTorrentAppendLineIsRefused) {
    for (const char* t : {"", "DEFAULT x\nLABEL x\nKERNEL k\n", "LABEL x\nAPPEND initrd=i\n"}) {
        auto text = render_install_boot_file(t, node01(), 1, "si_btd");
        ASSERT_FALSE(text) << t;
        EXPECT_EQ(text.error().kind, ErrorKind::config);
        EXPECT_NE(text.error().message.find("no APPEND line with BITTORRENT=y"), std::string::npos);
    }
}

TEST(LocalBootFile, BootsTheDiskAndSaysWhichImageItHolds) {
    const std::string text = render_local_boot_file(node01(), 1765000100, "si_btd");
    EXPECT_NE(text.find("DEFAULT local\n"), std::string::npos);
    EXPECT_NE(text.find("LABEL local\n  LOCALBOOT 0\n"), std::string::npos);
    auto h = parse_boot_file_header(text);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->mode, BootMode::local);
    EXPECT_EQ(h->image, "debian12");
    EXPECT_EQ(h->hostname, "node01");
    EXPECT_EQ(h->since, 1765000100);
    EXPECT_EQ(h->by, "si_btd");
}

TEST(BootFileHeader, AFileSomeoneElseWroteOrADamagedHeaderIsNotOurs) {
    EXPECT_FALSE(parse_boot_file_header(shipped_template));
    EXPECT_FALSE(parse_boot_file_header(""));
    EXPECT_FALSE(parse_boot_file_header("# si_btd: boot=maybe image=a since=1 by=x\n"));
    EXPECT_FALSE(parse_boot_file_header("# si_btd: boot=local since=1 by=x\n"));
    EXPECT_FALSE(parse_boot_file_header("# si_btd: boot=local image=a since=1x by=x\n"));
    // Only near the top: a copy of the line further down is a comment, not our header.
    EXPECT_FALSE(parse_boot_file_header("a\nb\nc\nd\n# si_btd: boot=local image=a since=1\n"));
}

TEST(BootFileDir, WritesUnderTheMacNameReplacesAtomicallyAndReadsBack) {
    test::TempDir tftp;
    BootFileDir dir(tftp.path());
    EXPECT_EQ(dir.path_for("52:54:00:12:34:01"), tftp.path() + "/01-52-54-00-12-34-01");
    auto none = dir.read("52:54:00:12:34:01");
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->exists);
    auto install = render_install_boot_file(shipped_template, node01(), 5, "si_btd");
    ASSERT_TRUE(install);
    ASSERT_TRUE(dir.write("52:54:00:12:34:01", *install));
    ASSERT_TRUE(dir.write("52:54:00:12:34:01", render_local_boot_file(node01(), 6, "si_btd")));
    auto st = dir.read("52:54:00:12:34:01");
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->exists);
    ASSERT_TRUE(st->header);
    EXPECT_EQ(st->header->mode, BootMode::local);
    EXPECT_EQ(st->header->since, 6);
    // One file, no temp file left beside it, readable by the TFTP server.
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(tftp.path())) {
        ++files;
        struct stat sb {};
        ASSERT_EQ(::stat(e.path().c_str(), &sb), 0);
        EXPECT_EQ(sb.st_mode & 0777, 0644u);
    }
    EXPECT_EQ(files, 1);
}

TEST(BootFileDir, AForeignFileIsReadAsNotOurs) {
    test::TempDir tftp;
    { std::ofstream(tftp / "01-52-54-00-12-34-01") << shipped_template; }
    auto st = BootFileDir(tftp.path()).read("52:54:00:12:34:01");
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->exists);
    EXPECT_FALSE(st->header);
    EXPECT_EQ(st->text, shipped_template);
}

TEST(BootFileDir, AMissingTftpRootIsAnErrorNotCreated) {
    test::TempDir tmp;
    BootFileDir dir(tmp / "no-tftp/pxelinux.cfg");
    auto w = dir.write("52:54:00:12:34:01", "x");
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message.find("no-tftp/pxelinux.cfg"), std::string::npos)
        << w.error().message;
    EXPECT_FALSE(std::filesystem::exists(tmp / "no-tftp"));
}

}  // namespace
}  // namespace si
