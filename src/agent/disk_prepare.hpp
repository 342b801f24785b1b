#pragma once
// Carries out a DiskPlan on this node (disk_plan.hpp decides, this does the I/O): lists the
// disks, writes the partition tables with sfdisk, makes the filesystems, mounts them under the
// root for the install, and afterwards writes fstab and the hostname and installs GRUB from the
// image, chrooted. Every step that writes to a disk runs only after plan_disks() accepted the
// whole layout. docs/client-howto.md, "Blank disks".
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "common/result.hpp"
#include "disk_plan.hpp"

namespace si {

// This node's whole disks from /sys/block (no loop, ram, zram, optical, md or dm devices;
// none of size 0), by name. `also` adds devices by path (e.g. a loop device SI_DISK_MAP names).
// Fails (ErrorKind::disk) when a device of `also` is not a block device.
Result<std::vector<BlockDisk>> list_disks(const std::vector<std::string>& also = {});

// Waits up to `wait` for the disks a layout needs to appear (drivers may still be probing).
Result<std::vector<BlockDisk>> wait_for_disks(std::size_t needed,
                                              const std::vector<std::string>& also,
                                              std::chrono::seconds wait, Logger& log);

// Filesystems mounted under a root, unmounted in reverse order when this goes away (or by
// unmount_all(), which says what could not be unmounted).
class Mounts {
  public:
    Mounts() = default;
    Mounts(const Mounts&) = delete;
    Mounts& operator=(const Mounts&) = delete;
    Mounts(Mounts&& other) noexcept : points_(std::move(other.points_)) { other.points_.clear(); }
    ~Mounts() { (void)unmount_all(); }

    // mount(2); `bind` for a bind mount (type ignored). Fails (ErrorKind::disk).
    Status mount(const std::string& source, const std::string& target, const std::string& type,
                 bool bind = false);
    // mount(2) read-only with the filesystem's `options`, on a target that must exist (nothing
    // is created). Fails (ErrorKind::disk).
    Status mount_read_only(const std::string& source, const std::string& target,
                           const std::string& type, const std::string& options);
    // Fails (ErrorKind::disk) naming the first mount point that stays busy.
    Status unmount_all();

  private:
    std::vector<std::string> points_;
};

struct PreparedDisks {
    std::map<std::string, std::string> uuids;  // device -> filesystem UUID
    Mounts mounts;                             // the layout's filesystems under the root
};

// Partitions, formats and mounts (plan.mount_order) under `root`. Refuses (ErrorKind::disk),
// before writing, a disk that is mounted or in use as swap. Logs one line per step.
Result<PreparedDisks> prepare_disks(const DiskPlan& plan, const std::string& root, Logger& log);

// Disks that carry an earlier install made from this same layout (install_record.hpp,
// reimage_in_place): nothing is partitioned or formatted; the plan's filesystems, each checked
// to be there with its planned type, are mounted read-write under `root` as they are, and their
// UUIDs read for fstab. Fails (ErrorKind::disk) as mount_planned_read_only does.
Result<PreparedDisks> reuse_disks(const DiskPlan& plan, const std::string& root, Logger& log);

// Mounts the plan's filesystems (plan.mount_order) read-only under `root`, to read what the
// disks hold before anything is written: only when each device is there and carries the
// filesystem type the layout plans (blkid), ext2/3/4 without replaying their journal (noload) and
// xfs without log recovery (norecovery), so that the disks are never written. Fails
// (ErrorKind::disk) with the first reason: "/dev/vda1 is not there", "/dev/vda1 holds xfs, the
// layout plans ext4", "/dev/vda2 holds no filesystem", or the mount's error.
Result<Mounts> mount_planned_read_only(const DiskPlan& plan, const std::string& root);

// <root>/etc/fstab, replaced atomically (common/atomic_file.hpp). Fails with ErrorKind::io or
// no_space.
Status write_fstab(const std::string& root, const std::string& text);

// <root>/etc/hostname and the 127.0.1.1 line of <root>/etc/hosts (Debian's convention).
// Fails with ErrorKind::io or no_space.
Status write_hostname(const std::string& root, const std::string& hostname);

// Runs plan.bootloader chrooted in `root` with /dev, /proc and /sys bound into it, after
// making /dev/disk/by-uuid/<uuid> for each filesystem of `uuids` (device -> UUID), as udev
// would, so that GRUB's configuration names the root by UUID. Fails (ErrorKind::disk) naming
// the command and its last line of output.
Status install_bootloader(const DiskPlan& plan, const std::string& root,
                          const std::map<std::string, std::string>& uuids, Logger& log);

}  // namespace si
