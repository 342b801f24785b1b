#include "common/disk_layout.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

const char* const text =
    "# si disk layout 1\n"
    "disk /dev/sda gpt MiB\n"
    "part /dev/sda 1 primary 1 bios_grub - -\n"
    "part /dev/sda 2 primary 256 esp EFI -\n"
    "part /dev/sda 3 primary * - root -\n"
    "fs /dev/sda3 LABEL=root / ext4 errors=remount-ro 0 1 format -O ^metadata_csum -m 1\n"
    "fs /dev/sda2 - /boot/efi vfat umask=0077 0 2 format\n"
    "fs proc - /proc proc defaults 0 0 keep\n"
    "bootloader grub2 efi /dev/sda\n";

TEST(DiskLayoutText, ReadsWhatLayoutTextWrites) {
    auto l = parse_layout_text(text, "/layouts/golden");
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->disks.size(), 1u);
    EXPECT_EQ(l->disks[0].label, "gpt");
    ASSERT_EQ(l->disks[0].parts.size(), 3u);
    EXPECT_EQ(l->disks[0].parts[1].flags, "esp");
    EXPECT_EQ(l->disks[0].parts[1].name, "EFI");
    EXPECT_EQ(l->disks[0].parts[2].size, "*");
    EXPECT_EQ(l->disks[0].parts[2].id, "");
    ASSERT_EQ(l->filesystems.size(), 3u);
    EXPECT_EQ(l->filesystems[0].mkfs_opts, "-O ^metadata_csum -m 1");
    EXPECT_EQ(l->filesystems[0].mount_dev, "LABEL=root");
    EXPECT_FALSE(l->filesystems[2].format);
    ASSERT_TRUE(l->bootloader);
    EXPECT_EQ(l->bootloader->install_type, "efi");
    EXPECT_EQ(layout_text(*l), text);
}

TEST(DiskLayoutText, NamesTheLineOfWhatIsWrong) {
    auto bad = [](const std::string& t) {
        auto l = parse_layout_text(t, "/layouts/x");
        return l ? std::string("parsed") : l.error().message;
    };
    EXPECT_EQ(bad("<html>\n"), "/layouts/x:1: not a disk layout (expected \"# si disk layout 1\")");
    EXPECT_EQ(bad(""), "/layouts/x:0: empty");
    EXPECT_EQ(bad("# si disk layout 1\npart /dev/sda 1 primary 5 - - -\n"),
              "/layouts/x:2: part: disk /dev/sda is not declared before it");
    EXPECT_EQ(bad("# si disk layout 1\ndisk /dev/sda msdos MB\npart /dev/sda x primary 5 - - -\n"),
              "/layouts/x:3: part: bad number 'x'");
    EXPECT_EQ(bad("# si disk layout 1\nraid md0\n"), "/layouts/x:2: unknown line kind 'raid'");
    // Found by fuzzing (issue 29): which disk its parts went to depended on the line order.
    EXPECT_EQ(bad("# si disk layout 1\ndisk /dev/sda msdos MB\ndisk /dev/sda gpt MiB\n"),
              "/layouts/x:3: disk /dev/sda is declared twice (first on line 2)");
    EXPECT_EQ(bad("# si disk layout 1\nfs /dev/sda1 - / ext4 defaults 0 1 maybe\n"),
              "/layouts/x:2: fs: 'maybe' is neither format nor keep");
}

TEST(DiskLayoutText, PartitionDevicesAsTheKernelNamesThem) {
    EXPECT_EQ(partition_device("/dev/sda", 1), "/dev/sda1");
    EXPECT_EQ(partition_device("/dev/nvme0n1", 2), "/dev/nvme0n1p2");
    EXPECT_EQ(partition_device("/dev/loop7", 3), "/dev/loop7p3");
}

}  // namespace
}  // namespace si
