#pragma once
// An image's disk layout, as SystemImager kept it in the image tree:
// etc/systemimager/autoinstallscript.conf (SystemImager 4.0/4.1 XML, autoinstallscript.conf(5)):
//   <config>
//     <disk dev="/dev/sda" label_type="msdos|gpt" unit_of_measurement="MB|%">
//       <part num="1" size="512|*" p_type="primary|extended|logical" p_name="-" flags="boot"/>
//     </disk>
//     <fsinfo line="10" real_dev="/dev/sda1" mp="/" fs="ext4" options="defaults" dump="0"
//             pass="1" [mount_dev="LABEL=/"] [mkfs_opts="-F 32"] [format="no"] [comment=".."]/>
//     <bootloader flavor="grub2" install_type="legacy|efi"><target dev="/dev/sda"/></bootloader>
//   </config>
// Parsed and checked on the server (pure: text in, layout or "file:line: why" out) and handed to
// the nodes as layout_text(): one line per item, for the initrd's shell to read.
// Software RAID and LVM sections are refused (not supported by this transport: use SI_TARGET).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

// Where an image keeps its layout, relative to the image's root.
inline constexpr const char* disk_layout_path = "etc/systemimager/autoinstallscript.conf";
// A layout file larger than this is refused (a real one is a few KiB).
inline constexpr std::size_t max_disk_layout_bytes = 1024 * 1024;

struct PartitionSpec {
    int num = 0;
    std::string type;   // primary, extended, logical
    std::string size;   // "<n>" in the disk's unit, or "*": the rest of the disk
    std::string flags;  // comma-separated (boot, esp, bios_grub, lba, hidden, legacy_boot), "" none
    std::string name;   // gpt partition name, "" none
    std::string id;     // msdos type id in hex (sfdisk), "" default
    int line = 0;       // in the XML file
};

struct DiskSpec {
    std::string dev;                   // as the golden client named it: /dev/sda
    std::string label;                 // msdos, gpt
    std::string unit;                  // MB (10^6 bytes, as parted reads it), MiB, GB, GiB or %
    std::vector<PartitionSpec> parts;  // in file order
    int line = 0;
};

struct FsSpec {
    int order = 0;          // fsinfo line=: the order of the fstab lines
    std::string real_dev;   // /dev/sda1, or proc, tmpfs, ...
    std::string mount_dev;  // LABEL=... / UUID=..., "" none
    std::string mp;         // /, /boot, swap, none
    std::string fs;         // ext4, xfs, vfat, swap, proc, tmpfs, ...
    std::string options = "defaults";
    std::string dump = "0";
    std::string pass = "0";
    std::string mkfs_opts;
    bool format = true;  // format="no": keep (only meaningful for filesystems made here)
    int line = 0;
};

struct BootloaderSpec {
    std::string flavor;        // grub2 (grub is read as grub2)
    std::string install_type;  // legacy, efi
    std::vector<std::string> targets;
    int line = 0;
};

struct DiskLayout {
    std::vector<DiskSpec> disks;
    std::vector<FsSpec> filesystems;  // sorted by order; comment-only lines dropped
    std::optional<BootloaderSpec> bootloader;
};

// The partition device of disk `dev` number `num`: /dev/sda + 1 -> /dev/sda1, /dev/nvme0n1 +
// 1 -> /dev/nvme0n1p1 (a disk name ending in a digit takes a 'p'), as the kernel names them.
std::string partition_device(std::string_view dev, int num);

// Parses and checks a layout. Fails with "<file>:<line>: <why>" (exit_code::config) on: XML that
// is not well formed, an unknown element or attribute, a raid or lvm section, a missing or bad
// value (label_type, unit, num, size, p_type, flags, fs), two partitions with one number, a
// primary or extended msdos partition numbered over 4 or a logical one under 5 or outside an
// extended one, a gpt partition that is not primary, "*" on a partition that is not the last,
// sizes in % over 100, a filesystem to make on a device that is not a partition of the layout,
// two filesystems on one mount point, no "/" filesystem.
Result<DiskLayout> parse_disk_layout(std::string_view xml, std::string_view file);

// Reads <image_dir>/etc/systemimager/autoinstallscript.conf and parses it: nullopt when the
// image has none; fails when it is not a regular file of at most max_disk_layout_bytes, cannot
// be read, or does not parse (the errors of parse_disk_layout, named by the file's path).
Result<std::optional<DiskLayout>> read_image_disk_layout(const std::string& image_dir);

// The layout for the initrd (docs/client-howto.md, "Blank disks"): "# si disk layout 1", then
//   disk <dev> <msdos|gpt> <unit>
//   part <dev> <num> <primary|extended|logical> <size|*> <flags|-> <name|-> <id|->
//   fs <real_dev> <mount_dev|-> <mp> <fs> <options> <dump> <pass> <format|keep> [mkfs options]
//   bootloader <flavor> <legacy|efi> <target>...
// in that order, fs lines in fstab order. No field holds a blank except the last of fs.
std::string layout_text(const DiskLayout& layout);

}  // namespace si
