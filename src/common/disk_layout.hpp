#pragma once
// A disk layout as the server hands it to the nodes: disks with their partitions, the
// filesystems to make and mount (in fstab order) and the bootloader, and its text form
// (served at /layouts/<image>, read by si_btagent on a node with blank disks). The server
// builds it from SystemImager's autoinstallscript.conf (server/pack/autoinstallscript.hpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

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

// The layout's text form (docs/client-howto.md, "Blank disks"): "# si disk layout 1", then
//   disk <dev> <msdos|gpt> <unit>
//   part <dev> <num> <primary|extended|logical> <size|*> <flags|-> <name|-> <id|->
//   fs <real_dev> <mount_dev|-> <mp> <fs> <options> <dump> <pass> <format|keep> [mkfs options]
//   bootloader <flavor> <legacy|efi> <target>...
// in that order, fs lines in fstab order. No field holds a blank except the last of fs.
std::string layout_text(const DiskLayout& layout);

// Reads layout_text()'s form back: the same layout (line numbers are the text's). Fails
// (ErrorKind::config) with "<what>:<line>: <why>" on a first line that is not
// "# si disk layout 1", an unknown line kind, a field missing, a disk declared twice, a part
// of a disk not declared before it, or a number that is not one. Only the form is checked; the
// server checked the rest.
Result<DiskLayout> parse_layout_text(std::string_view text, std::string_view what);

}  // namespace si
