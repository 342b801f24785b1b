#include "server/pack/autoinstallscript.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

// As SystemImager 4.1's si_mkautoinstallscript wrote it for an msdos disk with a logical /home.
const char* si41_layout = R"(<!--
  This file contains partition information about the disks on your golden client.
-->
<config>
  <disk dev="/dev/sda" label_type="msdos" unit_of_measurement="MB">
    <part  num="1"  size="512"  p_type="primary"  p_name="-"  flags="boot" />
    <part  num="2"  size="2048"  p_type="primary"  p_name="-"  flags="-" />
    <part  num="3"  size="*"  p_type="extended"  p_name="-"  flags="-" />
    <part  num="5"  size="*"  p_type="logical"  p_name="-"  flags="-" />
  </disk>

  <fsinfo  line="10" real_dev="/dev/sda5" mount_dev="LABEL=/" mp="/"  fs="ext4" options="errors=remount-ro" dump="0" pass="1" />
  <fsinfo  line="20" real_dev="/dev/sda1" mp="/boot"  fs="ext4" options="defaults" dump="0" pass="2" />
  <fsinfo  line="30" real_dev="/dev/sda2" mp="swap"  fs="swap" options="sw" dump="0" pass="0" />
  <fsinfo  line="5" comment="# /etc/fstab: static file system information." />
  <fsinfo  line="40" real_dev="proc" mp="/proc"  fs="proc" options="defaults" dump="0" pass="0" />
  <boel devstyle="static"/>
</config>
)";

const char* gpt_efi_layout = R"(<config>
  <disk dev="/dev/nvme0n1" label_type="gpt" unit_of_measurement="%">
    <part num="1" size="5" p_type="primary" p_name="EFI" flags="esp" />
    <part num="2" size="*" p_type="primary" p_name="root" flags="-" />
  </disk>
  <fsinfo line="10" real_dev="/dev/nvme0n1p2" mp="/" fs="xfs" options="defaults" dump="0" pass="1" />
  <fsinfo line="20" real_dev="/dev/nvme0n1p1" mp="/boot/efi" fs="vfat" mkfs_opts="-F 32" options="umask=0077" dump="0" pass="2" />
  <bootloader flavor="grub2" install_type="efi"><target dev="/dev/nvme0n1"/></bootloader>
</config>
)";

TEST(DiskLayout, ReadsASystemImager41Layout) {
    auto l = parse_disk_layout(si41_layout, "autoinstallscript.conf");
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->disks.size(), 1u);
    EXPECT_EQ(l->disks[0].dev, "/dev/sda");
    EXPECT_EQ(l->disks[0].parts.size(), 4u);
    EXPECT_EQ(l->disks[0].parts[0].flags, "boot");
    ASSERT_EQ(l->filesystems.size(), 4u);  // the comment line is not a filesystem
    EXPECT_EQ(l->filesystems[0].mp, "/");  // sorted by line=
    EXPECT_EQ(l->filesystems[0].mount_dev, "LABEL=/");
    EXPECT_EQ(layout_text(*l),
              "# si disk layout 1\n"
              "disk /dev/sda msdos MB\n"
              "part /dev/sda 1 primary 512 boot - -\n"
              "part /dev/sda 2 primary 2048 - - -\n"
              "part /dev/sda 3 extended * - - -\n"
              "part /dev/sda 5 logical * - - -\n"
              "fs /dev/sda5 LABEL=/ / ext4 errors=remount-ro 0 1 format\n"
              "fs /dev/sda1 - /boot ext4 defaults 0 2 format\n"
              "fs /dev/sda2 - swap swap sw 0 0 format\n"
              "fs proc - /proc proc defaults 0 0 format\n");
}

TEST(DiskLayout, ReadsGptEfiOnNvme) {
    auto l = parse_disk_layout(gpt_efi_layout, "x.conf");
    ASSERT_TRUE(l) << l.error().message;
    const std::string text = layout_text(*l);
    EXPECT_NE(text.find("part /dev/nvme0n1 1 primary 5 esp EFI -\n"), std::string::npos) << text;
    EXPECT_NE(text.find("fs /dev/nvme0n1p1 - /boot/efi vfat umask=0077 0 2 format -F 32\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("bootloader grub2 efi /dev/nvme0n1\n"), std::string::npos);
}

std::string with_disk(const std::string& parts,
                      const std::string& fs =
                          "<fsinfo line='1' real_dev='/dev/sda1' "
                          "mp='/' fs='ext4'/>",
                      const std::string& label = "msdos", const std::string& unit = "MB") {
    return "<config>\n<disk dev='/dev/sda' label_type='" + label + "' unit_of_measurement='" +
           unit + "'>\n" + parts + "\n</disk>\n" + fs + "\n</config>\n";
}

TEST(DiskLayout, RefusesWhatCannotBeMadeNamingFileAndLine) {
    struct Case {
        std::string xml;
        std::string says;
    };
    const std::string p1 = "<part num='1' size='100' p_type='primary'/>";
    const Case cases[] = {
        {"<config><disk", "f.conf:1: not well-formed XML"},
        {"<layout/>", "f.conf:1: the root element is not <config>"},
        {"<config>\n<disk dev='/dev/sda' label_type='msdos'>\n<part num='1' size='1'/>\n"
         "<partition num='2'/>\n</disk></config>",
         "f.conf:4: unknown element <partition> in <disk>"},
        {"<config>\n<raid name='/dev/md0'/>\n</config>", "f.conf:2: <raid>: software RAID and LVM"},
        {"<config>\n<tape/>\n</config>", "f.conf:2: unknown element <tape> in <config>"},
        {with_disk("<part num='1' sizee='100'/>"), "f.conf:3: <part>: unknown attribute sizee"},
        {with_disk(p1, "", "dos"), "f.conf:2: <disk dev=\"/dev/sda\">: label_type=\"dos\""},
        {with_disk(p1, "", "msdos", "cylinders"), "unit_of_measurement=\"cylinders\""},
        {with_disk("<part num='0' size='1'/>"), "f.conf:3: <part>: num=\"0\" is not a partition"},
        {with_disk("<part num='1' size='-5'/>"), "size=\"-5\" is not a positive number or *"},
        {with_disk("<part num='1' size='0'/>"), "size=\"0\" is not a positive number"},
        {with_disk(p1 + "\n<part num='1' size='5'/>"), "f.conf:4: <part>: partition 1 of /dev/sda"},
        {with_disk("<part num='5' size='5' p_type='primary'/>"), "numbered 1 to 4"},
        {with_disk(p1 + "\n<part num='2' size='5' p_type='logical'/>"), "numbered 5 or more"},
        {with_disk(p1 + "\n<part num='5' size='5' p_type='logical'/>"),
         "f.conf:4: <part num=\"5\">: a logical partition before any extended one"},
        {with_disk("<part num='1' size='5' p_type='extended'/>", "", "gpt"),
         "a gpt disk has primary partitions only"},
        {with_disk("<part num='1' size='*'/>\n<part num='2' size='5'/>"),
         "f.conf:3: <part num=\"1\">: size \"*\" (the rest of the disk) is only for the last"},
        {with_disk("<part num='1' size='60'/>\n<part num='2' size='50'/>",
                   "<fsinfo line='1' real_dev='/dev/sda1' mp='/' fs='ext4'/>", "msdos", "%"),
         "f.conf:2: <disk dev=\"/dev/sda\">: the partitions add up to 110% of the disk"},
        {with_disk("<part num='1' size='5' flags='boot,bootable'/>"), "flag \"bootable\" is not"},
        {with_disk(p1, "<fsinfo line='1' real_dev='/dev/sdb1' mp='/' fs='ext4'/>"),
         "/ (ext4) is on /dev/sdb1, which is not a partition of this layout"},
        {with_disk(p1 + "<part num='2' size='5'/>",
                   "<fsinfo line='1' real_dev='/dev/sda1' mp='/' fs='ext4'/>\n"
                   "<fsinfo line='2' real_dev='/dev/sda2' mp='/' fs='ext4'/>"),
         "mount point / is given twice"},
        {with_disk(p1, "<fsinfo line='1' real_dev='/dev/sda1' mp='/srv' fs='ext4'/>"),
         "no <fsinfo> mounts a filesystem on /"},
        {with_disk(p1, "<fsinfo line='1' real_dev='/dev/sda1' mp='/' />"), "fs is missing"},
        {with_disk(p1, "<fsinfo line='x' real_dev='/dev/sda1' mp='/' fs='ext4'/>"),
         "line=\"x\" is not a whole number"},
        {with_disk(p1, "<fsinfo line='1' real_dev='/dev/sda1' mp='/' fs='ext4' options='a b'/>"),
         "options=\"a b\" holds a blank"},
        {"<config>\n<disk dev='sda' label_type='gpt'><part num='1' size='1'/></disk></config>",
         "f.conf:2: <disk>: dev=\"sda\" is not a /dev/ device"},
        {"<config>\n<bootloader flavor='lilo' install_type='legacy'/>\n</config>",
         "f.conf:2: <bootloader>: flavor=\"lilo\""},
        {"<config/>", "<config>: no <disk>"},
    };
    for (const Case& c : cases) {
        auto l = parse_disk_layout(c.xml, "f.conf");
        ASSERT_FALSE(l) << c.xml;
        EXPECT_NE(l.error().message.find(c.says), std::string::npos)
            << c.xml << "\n -> " << l.error().message;
        EXPECT_EQ(l.error().message.rfind("f.conf:", 0), 0u) << l.error().message;
    }
}

TEST(DiskLayout, FormatNoKeepsTheFilesystem) {
    auto l = parse_disk_layout(
        with_disk("<part num='1' size='*'/>",
                  "<fsinfo line='1' real_dev='/dev/sda1' mp='/' fs='ext4' format='no'/>"),
        "f");
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_NE(layout_text(*l).find("fs /dev/sda1 - / ext4 defaults 0 0 keep\n"), std::string::npos);
}

}  // namespace
}  // namespace si
