#pragma once
// What a node with blank disks does with its image's disk layout, decided before anything is
// written (pure: the layout and the disks this node has in, a plan or a reason out):
//   - which of this node's disks stands for each disk the golden client had;
//   - each disk's partition table as an sfdisk(8) script, every partition placed in sectors
//     (1 MiB aligned, as parted and sfdisk place them), checked to fit the disk;
//   - the mkfs command of each filesystem, the order to mount them under the root, and
//     /etc/fstab (by UUID) once they exist;
//   - the bootloader's commands, run in the image's root (GRUB 2 from the image itself).
// docs/client-howto.md, "Blank disks", says the same for administrators.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/disk_layout.hpp"
#include "common/result.hpp"

namespace si {

// A whole disk of this node, as the kernel sees it (/sys/block, BLKGETSIZE64, BLKSSZGET).
struct BlockDisk {
    std::string dev;                  // /dev/vda
    std::uint64_t size_bytes = 0;     // bytes
    std::uint32_t sector_size = 512;  // logical sector, bytes
};

struct PlannedPartition {
    int num = 0;
    std::string device;       // /dev/vda1, /dev/nvme0n1p1
    std::uint64_t start = 0;  // sectors
    std::uint64_t size = 0;   // sectors
    std::string type;         // sfdisk type: 83, 82, ef, 5 (msdos); L, S, U or a GUID (gpt)
};

struct PlannedDisk {
    std::string golden_dev;  // as the layout names it: /dev/sda
    BlockDisk disk;          // this node's disk that stands for it
    std::string sfdisk_script;
    std::vector<PlannedPartition> partitions;
};

struct PlannedFilesystem {
    FsSpec spec;
    std::string device;                // on this node ("" when not a partition of the layout)
    std::vector<std::string> mkfs;     // argv; empty: nothing to make (keep, proc, nfs, ...)
    bool mounted_for_install = false;  // mounted under the root while the image is unpacked
};

struct DiskPlan {
    std::vector<PlannedDisk> disks;
    std::vector<PlannedFilesystem> filesystems;        // fstab order
    std::vector<std::size_t> mount_order;              // indexes into filesystems: "/" first, then
                                                       // by depth ("/boot" before "/boot/efi")
    std::vector<std::vector<std::string>> bootloader;  // argv each, run chrooted in the root
};

// Maps the layout's disks onto this node's and plans everything. A layout disk whose name this
// node has is that disk; the others take this node's remaining disks in the order given (so a
// one-disk layout written on /dev/sda lands on the first disk of a node that has /dev/vda or
// /dev/nvme0n1 instead). `explicit_map` (SI_DISK_MAP: golden -> this node's) comes first;
// when it is given, nothing else is mapped by order (a disk it omits must exist by name).
// Sizes: MB/GB are 10^6/10^9 bytes (parted's), MiB/GiB powers of two, % of the whole disk;
// partitions start 1 MiB aligned; "*" takes the rest of the disk (of the extended partition for
// a logical one). Fails (ErrorKind::disk) before anything is written, naming the layout line,
// the disk and the sizes, when: a layout disk has no disk to map to, an explicit target is not
// one of this node's disks, a partition does not fit, "*" has no room left, or an EFI
// bootloader has no vfat filesystem mounted at /boot/efi (or on an esp partition).
Result<DiskPlan> plan_disks(const DiskLayout& layout, const std::vector<BlockDisk>& disks,
                            const std::map<std::string, std::string>& explicit_map);

// /etc/fstab for the plan, in the layout's order: filesystems on the layout's partitions by
// "UUID=<uuid>" (`uuids`: device -> filesystem UUID, as blkid reads it; LABEL=/the device when
// one is missing), the others (proc, tmpfs, nfs) as the layout wrote them.
std::string fstab_text(const DiskPlan& plan, const std::map<std::string, std::string>& uuids);

// Bytes as "256 MiB" / "1.5 GiB" for messages.
std::string human_bytes(std::uint64_t bytes);

}  // namespace si
