#include "agent/disk_plan.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

DiskLayout layout_of(const std::string& text) {
    auto l = parse_layout_text(text, "test");
    EXPECT_TRUE(l) << l.error().message;
    return *l;
}

// SystemImager 4.1's usual msdos layout: /boot, swap, an extended partition with / in it.
const char* const msdos_text =
    "# si disk layout 1\n"
    "disk /dev/sda msdos MB\n"
    "part /dev/sda 1 primary 100 boot - -\n"
    "part /dev/sda 2 primary 64 - - -\n"
    "part /dev/sda 3 extended * - - -\n"
    "part /dev/sda 5 logical * - - -\n"
    "fs /dev/sda5 LABEL=root / ext4 errors=remount-ro 0 1 format\n"
    "fs /dev/sda1 - /boot ext4 defaults 0 2 format -m 0\n"
    "fs /dev/sda2 - swap swap sw 0 0 format\n"
    "fs proc - /proc proc defaults 0 0 format\n"
    "bootloader grub2 legacy /dev/sda\n";

TEST(DiskPlan, MsdosLayoutOnANodeWhoseDiskIsNamedOtherwise) {
    auto plan = plan_disks(layout_of(msdos_text), {{"/dev/vda", 1024 * MiB, 512}}, {});
    ASSERT_TRUE(plan) << plan.error().message;
    ASSERT_EQ(plan->disks.size(), 1u);
    EXPECT_EQ(plan->disks[0].disk.dev, "/dev/vda");
    // 100 MB = 195,313 sectors (rounded up); each start 1 MiB aligned; a logical partition
    // leaves 1 MiB for its EBR.
    EXPECT_EQ(plan->disks[0].sfdisk_script,
              "label: dos\nunit: sectors\n\n"
              "/dev/vda1 : start=2048, size=195313, type=83, bootable\n"
              "/dev/vda2 : start=198656, size=125000, type=82\n"
              "/dev/vda3 : start=325632, size=1771520, type=5\n"
              "/dev/vda5 : start=327680, size=1769472, type=83\n");
    ASSERT_EQ(plan->filesystems.size(), 4u);
    EXPECT_EQ(plan->filesystems[0].device, "/dev/vda5");
    EXPECT_EQ(plan->filesystems[0].mkfs,
              (std::vector<std::string>{"mkfs.ext4", "-F", "-q", "-L", "root", "/dev/vda5"}));
    EXPECT_EQ(plan->filesystems[1].mkfs,
              (std::vector<std::string>{"mkfs.ext4", "-F", "-q", "-m", "0", "/dev/vda1"}));
    EXPECT_EQ(plan->filesystems[2].mkfs, (std::vector<std::string>{"mkswap", "/dev/vda2"}));
    EXPECT_TRUE(plan->filesystems[3].mkfs.empty());  // proc is only an fstab line
    // "/" before "/boot"; swap and proc are not mounted for the install.
    EXPECT_EQ(plan->mount_order, (std::vector<std::size_t>{0, 1}));
    ASSERT_EQ(plan->bootloader.size(), 2u);
    EXPECT_EQ(plan->bootloader[0],
              (std::vector<std::string>{"grub-install", "--target=i386-pc", "/dev/vda"}));
    EXPECT_EQ(plan->bootloader[1],
              (std::vector<std::string>{"grub-mkconfig", "-o", "/boot/grub/grub.cfg"}));
}

TEST(DiskPlan, FstabByUuidInTheLayoutsOrder) {
    auto plan = plan_disks(layout_of(msdos_text), {{"/dev/sda", 1024 * MiB, 512}}, {});
    ASSERT_TRUE(plan) << plan.error().message;
    const std::string fstab = fstab_text(
        *plan, {{"/dev/sda5", "11111111-2222-3333-4444-555555555555"}, {"/dev/sda1", "aaaa-bbbb"}});
    EXPECT_NE(fstab.find("UUID=11111111-2222-3333-4444-555555555555\t/\text4\terrors=remount-ro\t0"
                         "\t1\nUUID=aaaa-bbbb\t/boot\text4\tdefaults\t0\t2\n"
                         "/dev/sda2\tswap\tswap\tsw\t0\t0\nproc\t/proc\tproc\tdefaults\t0\t0\n"),
              std::string::npos)
        << fstab;
}

TEST(DiskPlan, GptWithEspAndBiosBootInMiBAndPercent) {
    const char* text =
        "# si disk layout 1\n"
        "disk /dev/nvme0n1 gpt MiB\n"
        "part /dev/nvme0n1 1 primary 1 bios_grub - -\n"
        "part /dev/nvme0n1 2 primary 64 esp EFI -\n"
        "part /dev/nvme0n1 3 primary * - root -\n"
        "fs /dev/nvme0n1p2 - /boot/efi vfat umask=0077 0 2 format -F 32\n"
        "fs /dev/nvme0n1p3 - / xfs defaults 0 1 format\n"
        "bootloader grub2 efi /dev/nvme0n1\n";
    auto plan = plan_disks(layout_of(text), {{"/dev/sda", 512 * MiB, 512}}, {});
    ASSERT_TRUE(plan) << plan.error().message;
    const std::uint64_t total = 512 * MiB / 512;
    EXPECT_EQ(plan->disks[0].sfdisk_script,
              "label: gpt\nunit: sectors\n\n"
              "/dev/sda1 : start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649\n"
              "/dev/sda2 : start=4096, size=131072, type=U, name=\"EFI\"\n"
              "/dev/sda3 : start=135168, size=" +
                  std::to_string(total - 34 - 135168 + 1) + ", type=L, name=\"root\"\n");
    EXPECT_EQ(plan->filesystems[0].mkfs,
              (std::vector<std::string>{"mkfs.fat", "-F", "32", "/dev/sda2"}));
    EXPECT_EQ(plan->filesystems[1].mkfs,
              (std::vector<std::string>{"mkfs.xfs", "-f", "-q", "/dev/sda3"}));
    EXPECT_EQ(plan->mount_order, (std::vector<std::size_t>{1, 0}));  // "/" first
    EXPECT_EQ(plan->bootloader[0],
              (std::vector<std::string>{"grub-install", "--target=x86_64-efi",
                                        "--efi-directory=/boot/efi", "--removable", "--no-nvram"}));

    const char* percent =
        "# si disk layout 1\n"
        "disk /dev/sda msdos %\n"
        "part /dev/sda 1 primary 25 - - -\n"
        "part /dev/sda 2 primary 50 - - -\n"
        "fs /dev/sda1 - / ext4 defaults 0 1 format\n";
    auto p2 = plan_disks(layout_of(percent), {{"/dev/sda", 400 * MiB, 512}}, {});
    ASSERT_TRUE(p2) << p2.error().message;
    EXPECT_EQ(p2->disks[0].partitions[0].size, 100 * MiB / 512);
    EXPECT_EQ(p2->disks[0].partitions[1].start, 2048 + 100 * MiB / 512);
}

TEST(DiskPlan, ALayoutLargerThanTheDiskFailsBeforeAnythingIsWritten) {
    auto plan = plan_disks(layout_of(msdos_text), {{"/dev/vda", 128 * MiB, 512}}, {});
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().kind, ErrorKind::disk);
    EXPECT_EQ(plan.error().message,
              "disk /dev/sda (layout line 2) on /dev/vda (128 MiB): partition 2 (layout line 4, "
              "64 MB) would end at 158 MiB, past the disk's usable end at 128 MiB: nothing "
              "written");

    const char* no_rest =
        "# si disk layout 1\n"
        "disk /dev/sda msdos MiB\n"
        "part /dev/sda 1 primary 127 - - -\n"
        "part /dev/sda 2 primary * - - -\n"
        "fs /dev/sda1 - / ext4 defaults 0 1 format\n";
    auto p2 = plan_disks(layout_of(no_rest), {{"/dev/sda", 128 * MiB, 512}}, {});
    ASSERT_FALSE(p2);
    EXPECT_EQ(p2.error().message,
              "disk /dev/sda (layout line 2) on /dev/sda (128 MiB): partition 2 (layout line 4) "
              "has no room left: nothing written");
}

TEST(DiskPlan, DisksAreMappedByNameThenInOrderOrExplicitly) {
    const char* two =
        "# si disk layout 1\n"
        "disk /dev/sda msdos MiB\n"
        "disk /dev/sdb msdos MiB\n"
        "part /dev/sda 1 primary * - - -\n"
        "part /dev/sdb 1 primary * - - -\n"
        "fs /dev/sda1 - / ext4 defaults 0 1 format\n"
        "fs /dev/sdb1 - /srv ext4 defaults 0 2 format\n";
    const std::vector<BlockDisk> node = {{"/dev/sdb", 64 * MiB, 512}, {"/dev/vdz", 64 * MiB, 512}};
    auto plan = plan_disks(layout_of(two), node, {});
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_EQ(plan->disks[0].disk.dev, "/dev/vdz");  // sda absent: the disk left over
    EXPECT_EQ(plan->disks[1].disk.dev, "/dev/sdb");  // sdb by its name
    EXPECT_EQ(plan->filesystems[1].device, "/dev/sdb1");

    auto swapped =
        plan_disks(layout_of(two), node, {{"/dev/sda", "/dev/sdb"}, {"/dev/sdb", "/dev/vdz"}});
    ASSERT_TRUE(swapped) << swapped.error().message;
    EXPECT_EQ(swapped->disks[0].disk.dev, "/dev/sdb");
    EXPECT_EQ(swapped->disks[1].disk.dev, "/dev/vdz");

    auto missing = plan_disks(layout_of(two), {{"/dev/vda", 64 * MiB, 512}}, {});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message,
              "disk /dev/sdb (layout line 3): no disk of this node left for it (this node has: "
              "/dev/vda (64 MiB))");

    auto not_here = plan_disks(layout_of(two), node, {{"/dev/sda", "/dev/sdq"}});
    ASSERT_FALSE(not_here);
    EXPECT_EQ(not_here.error().message,
              "SI_DISK_MAP: /dev/sda -> /dev/sdq: /dev/sdq is not a disk of this node");
}

TEST(DiskPlan, EfiNeedsAnEspFilesystem) {
    const char* text =
        "# si disk layout 1\n"
        "disk /dev/sda gpt MiB\n"
        "part /dev/sda 1 primary * - - -\n"
        "fs /dev/sda1 - / ext4 defaults 0 1 format\n"
        "bootloader grub2 efi /dev/sda\n";
    auto plan = plan_disks(layout_of(text), {{"/dev/sda", 64 * MiB, 512}}, {});
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().message,
              "bootloader (layout line 5): install_type efi needs a vfat filesystem for the EFI "
              "system partition (mounted at /boot/efi)");
}

}  // namespace
}  // namespace si
