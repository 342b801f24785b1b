#include "disk_prepare.hpp"

#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/unique_fd.hpp"
#include "run_tool.hpp"

namespace si {
namespace {

namespace fs = std::filesystem;

Error disk_error(const std::string& why) {
    return Error{why, ErrorKind::disk};
}

std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s);
    return s;
}

bool skipped_kind(const std::string& name) {
    for (const char* p : {"loop", "ram", "zram", "sr", "fd", "md", "dm-", "nbd"}) {
        if (name.rfind(p, 0) == 0) {
            return true;
        }
    }
    return false;
}

Result<BlockDisk> probe(const std::string& dev) {
    UniqueFd fd(::open(dev.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
        return disk_error(dev + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISBLK(st.st_mode)) {
        return disk_error(dev + ": not a block device");
    }
    BlockDisk d;
    d.dev = dev;
    std::uint64_t bytes = 0;
    int sector = 512;
    if (::ioctl(fd.get(), BLKGETSIZE64, &bytes) != 0 ||
        ::ioctl(fd.get(), BLKSSZGET, &sector) != 0) {
        return disk_error(dev + ": size: " + std::strerror(errno));
    }
    d.size_bytes = bytes;
    d.sector_size = static_cast<std::uint32_t>(sector);
    return d;
}

// Tells the kernel the new table: BLKRRPART (what sfdisk also asks for), and where that did not
// take (the disk held open elsewhere, a container's loop device), each partition by BLKPG from
// the plan's own numbers, as partx(8) does.
Status tell_kernel(const PlannedDisk& d) {
    UniqueFd fd(::open(d.disk.dev.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return disk_error(d.disk.dev + ": " + std::strerror(errno));
    }
    auto known = [](const PlannedPartition& p) {
        return ::access(("/sys/class/block/" + fs::path(p.device).filename().string()).c_str(),
                        F_OK) == 0;
    };
    ::ioctl(fd.get(), BLKRRPART);  // may succeed and still add nothing (seen on loop devices)
    for (int i = 0; i < 10; ++i) {
        if (std::all_of(d.partitions.begin(), d.partitions.end(), known)) {
            return Ok{};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const std::uint64_t sector = d.disk.sector_size == 0 ? 512 : d.disk.sector_size;
    for (const PlannedPartition& p : d.partitions) {
        if (known(p)) {
            continue;
        }
        blkpg_partition part{};
        part.start = static_cast<long long>(p.start * sector);
        // An extended partition is 1 KiB to the kernel (its table sector), as Linux reads msdos.
        part.length = static_cast<long long>(p.type == "5" ? 1024 : p.size * sector);
        part.pno = p.num;
        blkpg_ioctl_arg arg{BLKPG_ADD_PARTITION, 0, sizeof part, &part};
        if (::ioctl(fd.get(), BLKPG, &arg) != 0) {
            return disk_error(d.disk.dev + ": telling the kernel about partition " +
                              std::to_string(p.num) + ": " + std::strerror(errno));
        }
    }
    return Ok{};
}

// The partition's device node: the kernel (devtmpfs) makes it after sfdisk's re-read; where
// /dev is not devtmpfs, it is made here from /sys/class/block/<name>/dev.
Status wait_for_partition(const std::string& device) {
    const std::string name = fs::path(device).filename();
    for (int i = 0; i < 100; ++i) {
        struct stat st {};
        if (::stat(device.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) {
            return Ok{};
        }
        const std::string numbers = read_line("/sys/class/block/" + name + "/dev");
        unsigned major = 0;
        unsigned minor = 0;
        if (std::sscanf(numbers.c_str(), "%u:%u", &major, &minor) == 2 &&
            ::mknod(device.c_str(), S_IFBLK | 0600, makedev(major, minor)) == 0) {
            return Ok{};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return disk_error(device + ": did not appear within 10 s of writing the partition table");
}

// Devices (and their partitions) that are mounted or used as swap now.
std::vector<std::string> busy_devices() {
    std::vector<std::string> out;
    for (const char* file : {"/proc/self/mounts", "/proc/swaps"}) {
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);) {
            std::istringstream words(line);
            std::string dev;
            words >> dev;
            if (dev.rfind("/dev/", 0) == 0) {
                out.push_back(dev);
            }
        }
    }
    return out;
}

}  // namespace

Result<std::vector<BlockDisk>> list_disks(const std::vector<std::string>& also) {
    std::vector<BlockDisk> out;
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator("/sys/block", ec)) {
        const std::string name = e.path().filename();
        if (!skipped_kind(name) && read_line(e.path().string() + "/size") != "0") {
            names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        if (auto d = probe("/dev/" + name)) {
            out.push_back(*d);
        }
    }
    for (const std::string& dev : also) {
        if (std::none_of(out.begin(), out.end(),
                         [&](const BlockDisk& d) { return d.dev == dev; })) {
            auto d = probe(dev);
            if (!d) {
                return d.error();
            }
            out.push_back(*d);
        }
    }
    return out;
}

Result<std::vector<BlockDisk>> wait_for_disks(std::size_t needed,
                                              const std::vector<std::string>& also,
                                              std::chrono::seconds wait, Logger& log) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    bool said = false;
    while (true) {
        auto disks = list_disks(also);
        if (!disks || disks->size() >= needed || std::chrono::steady_clock::now() >= deadline) {
            return disks;
        }
        if (!said) {
            log.info("waiting up to " + std::to_string(wait.count()) + " s for " +
                     std::to_string(needed) + " disk(s); this node has " +
                     std::to_string(disks->size()) + " so far");
            said = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

Status Mounts::mount(const std::string& source, const std::string& target, const std::string& type,
                     bool bind) {
    std::error_code ec;
    fs::create_directories(target, ec);
    if (ec) {
        return disk_error("mount " + source + " on " + target + ": mkdir: " + ec.message());
    }
    const int r = bind ? ::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr)
                       : ::mount(source.c_str(), target.c_str(), type.c_str(), 0, nullptr);
    if (r != 0) {
        return disk_error("mount " + (bind ? std::string("--bind ") : "-t " + type + " ") + source +
                          " on " + target + ": " + std::strerror(errno));
    }
    points_.push_back(target);
    return Ok{};
}

Status Mounts::mount_read_only(const std::string& source, const std::string& target,
                               const std::string& type, const std::string& options) {
    // EBUSY while the device's last unmount is still being finished by the kernel (a detached
    // mount, a writeback under load): wait for it, up to 3 s, as unmount_all() does.
    int r = -1;
    for (int i = 0; i < 30 && r != 0; ++i) {
        r = ::mount(source.c_str(), target.c_str(), type.c_str(), MS_RDONLY,
                    options.empty() ? nullptr : options.c_str());
        if (r != 0 && errno != EBUSY) {
            break;
        }
        if (r != 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    if (r != 0) {
        return disk_error("mount -r -t " + type + (options.empty() ? "" : " -o " + options) + " " +
                          source + " on " + target + ": " + std::strerror(errno));
    }
    points_.push_back(target);
    return Ok{};
}

Status Mounts::unmount_all() {
    std::string busy;
    while (!points_.empty()) {
        const std::string p = points_.back();
        points_.pop_back();
        int r = -1;
        for (int i = 0; i < 20 && r != 0; ++i) {
            r = ::umount2(p.c_str(), 0);
            if (r != 0 && errno == EBUSY) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            } else if (r != 0) {
                break;
            }
        }
        if (r != 0) {
            const int err = errno;
            ::umount2(p.c_str(), MNT_DETACH);  // out of the way; the kernel finishes it later
            if (busy.empty()) {
                busy = "unmount " + p + ": " + std::strerror(err);
            }
        }
    }
    if (!busy.empty()) {
        return disk_error(busy);
    }
    return Ok{};
}

namespace {

// Whether the device of `f` is there and carries the filesystem type the layout plans.
Status holds_planned_filesystem(const PlannedFilesystem& f) {
    struct stat st {};
    if (::stat(f.device.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) {
        return disk_error(f.device + " is not there");
    }
    const std::string type = f.spec.fs == "msdos" ? "vfat" : f.spec.fs;
    // "blkid DEV" prints DEV: ... TYPE="..." in util-linux and in busybox alike; it exits
    // non-zero on a device without a known signature.
    auto r = run_tool({{"blkid", f.device}, "", ""}, "blkid " + f.device);
    const auto at = r ? r->find(" TYPE=\"") : std::string::npos;
    if (at == std::string::npos) {
        return disk_error(f.device + " holds no filesystem");
    }
    const std::string found = r->substr(at + 7, r->find('"', at + 7) - (at + 7));
    if (found != type) {
        return disk_error(f.device + " holds " + found + ", the layout plans " + type);
    }
    return Ok{};
}

// The filesystem UUID of each of the plan's devices, by device (for fstab and GRUB).
Status read_uuids(const DiskPlan& plan, std::map<std::string, std::string>& uuids) {
    for (const PlannedFilesystem& f : plan.filesystems) {
        if (f.device.empty()) {
            continue;
        }
        // "blkid DEV" prints DEV: ... UUID="..." ... in util-linux and in busybox alike.
        auto r = run_tool({{"blkid", f.device}, "", ""}, "blkid " + f.device);
        if (!r) {
            return r.error();
        }
        const auto at = r->find(" UUID=\"");
        if (at != std::string::npos) {
            const auto begin = at + 7;
            uuids[f.device] = r->substr(begin, r->find('"', begin) - begin);
        }
    }
    return Ok{};
}

// Mounts the plan's filesystems (plan.mount_order) read-write under `root`, one log line each.
Status mount_planned(const DiskPlan& plan, const std::string& root, Mounts& mounts,
                     const std::string& how, Logger& log) {
    for (const std::size_t i : plan.mount_order) {
        const PlannedFilesystem& f = plan.filesystems[i];
        const std::string target = root + (f.spec.mp == "/" ? "" : f.spec.mp);
        if (auto st = mounts.mount(f.device, target, f.spec.fs == "msdos" ? "vfat" : f.spec.fs);
            !st) {
            return st.error();
        }
        log.info("mounted " + f.device + " (" + f.spec.fs + ") on " + target + how);
    }
    return Ok{};
}

}  // namespace

Result<PreparedDisks> prepare_disks(const DiskPlan& plan, const std::string& root, Logger& log) {
    const auto busy = busy_devices();
    for (const PlannedDisk& d : plan.disks) {
        for (const std::string& b : busy) {
            // The disk itself or one of its partitions (/dev/sda1, /dev/nvme0n1p1; not /dev/sdab).
            const std::string rest =
                b.rfind(d.disk.dev, 0) == 0 ? b.substr(d.disk.dev.size()) : "x";
            if (rest.empty() || std::isdigit(static_cast<unsigned char>(rest[0])) != 0 ||
                (rest.size() > 1 && rest[0] == 'p' &&
                 std::isdigit(static_cast<unsigned char>(rest[1])) != 0)) {
                return disk_error("partition " + d.disk.dev + ": " + b +
                                  " is mounted or in use as swap: refusing to wipe the disk");
            }
        }
    }
    PreparedDisks out;
    for (const PlannedDisk& d : plan.disks) {
        // A filesystem the layout keeps (format="no") keeps its bytes only if the new table puts
        // its partition where it was and nothing wipes the partition's signatures.
        const bool keeps = std::any_of(
            plan.filesystems.begin(), plan.filesystems.end(), [&](const PlannedFilesystem& f) {
                return !f.spec.format &&
                       std::any_of(d.partitions.begin(), d.partitions.end(),
                                   [&](const PlannedPartition& p) { return p.device == f.device; });
            });
        log.info("partition " + d.disk.dev + " (" + human_bytes(d.disk.size_bytes) + ", layout's " +
                 d.golden_dev + "): " + std::to_string(d.partitions.size()) + " partition(s); " +
                 (keeps ? "filesystems marked format=\"no\" are kept, the rest is wiped"
                        : "its old contents are wiped"));
        auto r = run_tool({{"sfdisk", "--quiet", "--wipe", "always", "--wipe-partitions",
                            keeps ? "never" : "always", d.disk.dev},
                           d.sfdisk_script,
                           ""},
                          "partition " + d.disk.dev);
        if (!r) {
            return r.error();
        }
        if (auto st = tell_kernel(d); !st) {
            return st.error();
        }
        for (const PlannedPartition& p : d.partitions) {
            if (auto st = wait_for_partition(p.device); !st) {
                return st.error();
            }
        }
    }
    for (const PlannedFilesystem& f : plan.filesystems) {
        if (f.mkfs.empty()) {
            continue;
        }
        log.info("mkfs " + f.device + ": " + f.spec.fs + " for " + f.spec.mp);
        if (auto r = run_tool({f.mkfs, "", ""}, "mkfs " + f.device); !r) {
            return r.error();
        }
    }
    if (auto st = read_uuids(plan, out.uuids); !st) {
        return st.error();
    }
    if (auto st = mount_planned(plan, root, out.mounts, "", log); !st) {
        return st.error();
    }
    return out;
}

Result<PreparedDisks> reuse_disks(const DiskPlan& plan, const std::string& root, Logger& log) {
    PreparedDisks out;
    for (const std::size_t i : plan.mount_order) {
        if (auto st = holds_planned_filesystem(plan.filesystems[i]); !st) {
            return st.error();
        }
    }
    if (auto st = read_uuids(plan, out.uuids); !st) {
        return st.error();
    }
    if (auto st = mount_planned(plan, root, out.mounts, ", as it is", log); !st) {
        return st.error();
    }
    return out;
}

Result<Mounts> mount_planned_read_only(const DiskPlan& plan, const std::string& root) {
    Mounts out;
    for (const std::size_t i : plan.mount_order) {
        const PlannedFilesystem& f = plan.filesystems[i];
        if (f.device.empty()) {
            continue;
        }
        if (auto st = holds_planned_filesystem(f); !st) {
            return st.error();
        }
        const std::string type = f.spec.fs == "msdos" ? "vfat" : f.spec.fs;
        const std::string options = type.rfind("ext", 0) == 0 ? "noload"
                                    : type == "xfs"           ? "norecovery"
                                                              : "";
        const std::string target = root + (f.spec.mp == "/" ? "" : f.spec.mp);
        if (auto m = out.mount_read_only(f.device, target, type, options); !m) {
            return m.error();
        }
    }
    return out;
}

Status write_fstab(const std::string& root, const std::string& text) {
    if (auto st = make_directories(root + "/etc"); !st) {
        return st;
    }
    return write_file_atomically(root + "/etc/fstab", text, 0644);
}

Status write_hostname(const std::string& root, const std::string& hostname) {
    if (auto st = make_directories(root + "/etc"); !st) {
        return st;
    }
    if (auto st = write_file_atomically(root + "/etc/hostname", hostname + "\n", 0644); !st) {
        return st;
    }
    std::string hosts;
    {
        std::ifstream in(root + "/etc/hosts");
        bool replaced = false;
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("127.0.1.1", 0) == 0) {
                line = "127.0.1.1\t" + hostname;
                replaced = true;
            }
            hosts += line + "\n";
        }
        if (!replaced) {
            hosts += "127.0.1.1\t" + hostname + "\n";
        }
    }
    return write_file_atomically(root + "/etc/hosts", hosts, 0644);
}

Status install_bootloader(const DiskPlan& plan, const std::string& root,
                          const std::map<std::string, std::string>& uuids, Logger& log) {
    if (plan.bootloader.empty()) {
        return Ok{};
    }
    // What udev would have made: grub-mkconfig writes root=UUID=... only when
    // /dev/disk/by-uuid/<uuid> exists, else the kernel's name of the day (root=/dev/vda1).
    std::error_code ec;
    fs::create_directories("/dev/disk/by-uuid", ec);
    for (const auto& [device, uuid] : uuids) {
        fs::create_symlink(device, "/dev/disk/by-uuid/" + uuid, ec);
    }
    Mounts binds;
    for (const char* d : {"/dev", "/proc", "/sys"}) {
        if (auto st = binds.mount(d, root + d, "", true); !st) {
            return st;
        }
    }
    for (const auto& argv : plan.bootloader) {
        std::string line;
        for (const std::string& a : argv) {
            line += (line.empty() ? "" : " ") + a;
        }
        log.info("bootloader: " + line + " (in the image)");
        if (auto r = run_tool({argv, "", root}, "bootloader"); !r) {
            return r.error();
        }
    }
    return binds.unmount_all();
}

}  // namespace si
