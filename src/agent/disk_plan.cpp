#include "disk_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace si {
namespace {

constexpr std::uint64_t mib = 1024 * 1024;
// GPT keeps a copy of its header and table at the end of the disk: 33 sectors of 512 bytes
// (a table of 128 entries); the first usable sector is 34 (UEFI 2.x, 5.3).
constexpr std::uint64_t gpt_tail_sectors = 34;
const char* const bios_boot_guid = "21686148-6449-6E6F-744E-656564454649";

Error disk_error(const std::string& why) {
    return Error{why, ErrorKind::disk};
}

bool has_flag(const std::string& flags, const std::string& flag) {
    std::stringstream in(flags);
    for (std::string f; std::getline(in, f, ',');) {
        if (f == flag) {
            return true;
        }
    }
    return false;
}

std::uint64_t align_up(std::uint64_t v, std::uint64_t grain) {
    return (v + grain - 1) / grain * grain;
}

// The bytes a size string stands for; -1 for "*". The server checked the form.
long double size_bytes(const std::string& size, const std::string& unit, std::uint64_t disk) {
    if (size == "*") {
        return -1;
    }
    const long double v = std::strtold(size.c_str(), nullptr);
    if (unit == "%") {
        return v / 100 * static_cast<long double>(disk);
    }
    if (unit == "MiB") {
        return v * mib;
    }
    if (unit == "GB") {
        return v * 1e9L;
    }
    if (unit == "GiB") {
        return v * 1024 * mib;
    }
    return v * 1e6L;  // MB, as parted reads it
}

std::string sfdisk_type(const DiskSpec& d, const PartitionSpec& p, const std::string& fs) {
    const bool gpt = d.label == "gpt";
    if (!p.id.empty()) {
        return p.id;
    }
    if (gpt) {
        if (has_flag(p.flags, "esp") || has_flag(p.flags, "boot")) {
            return "U";  // parted's "boot" on gpt is the EFI system partition
        }
        if (has_flag(p.flags, "bios_grub")) {
            return bios_boot_guid;
        }
        return fs == "swap" ? "S" : "L";
    }
    if (p.type == "extended") {
        return "5";
    }
    if (has_flag(p.flags, "esp")) {
        return "ef";
    }
    return fs == "swap" ? "82" : "83";
}

std::string mkfs_label(const FsSpec& f) {
    return f.mount_dev.rfind("LABEL=", 0) == 0 ? f.mount_dev.substr(6) : std::string();
}

std::vector<std::string> mkfs_command(const FsSpec& f, const std::string& device) {
    std::vector<std::string> argv;
    const std::string label = mkfs_label(f);
    if (f.fs == "ext2" || f.fs == "ext3" || f.fs == "ext4") {
        argv = {"mkfs." + f.fs, "-F", "-q"};
        if (!label.empty()) {
            argv.insert(argv.end(), {"-L", label});
        }
    } else if (f.fs == "xfs" || f.fs == "btrfs") {
        argv = {"mkfs." + f.fs, "-f", "-q"};
        if (!label.empty()) {
            argv.insert(argv.end(), {"-L", label});
        }
    } else if (f.fs == "vfat" || f.fs == "msdos") {
        argv = {"mkfs.fat"};
        if (!label.empty()) {
            argv.insert(argv.end(), {"-n", label});
        }
    } else if (f.fs == "swap") {
        argv = {"mkswap"};
        if (!label.empty()) {
            argv.insert(argv.end(), {"-L", label});
        }
    } else {
        return {};
    }
    std::istringstream opts(f.mkfs_opts);
    for (std::string o; opts >> o;) {
        argv.push_back(o);
    }
    argv.push_back(device);
    return argv;
}

int depth(const std::string& mp) {
    return mp == "/" ? 0 : static_cast<int>(std::count(mp.begin(), mp.end(), '/'));
}

// Places the partitions of one disk; fills `out` or says why they do not fit.
Status place_partitions(const DiskSpec& d, const BlockDisk& disk,
                        const std::map<std::string, std::string>& fs_by_device, PlannedDisk& out) {
    const std::uint64_t sector = disk.sector_size == 0 ? 512 : disk.sector_size;
    const std::uint64_t total = disk.size_bytes / sector;
    const std::uint64_t grain = std::max<std::uint64_t>(1, mib / sector);
    const bool gpt = d.label == "gpt";
    const std::uint64_t last = gpt ? total - std::min(total, gpt_tail_sectors) : total - 1;
    const std::string where = "disk " + d.dev + " (layout line " + std::to_string(d.line) +
                              ") on " + disk.dev + " (" + human_bytes(disk.size_bytes) + ")";
    std::uint64_t cursor = grain;
    std::uint64_t ext_start = 0;
    std::uint64_t ext_end = 0;  // last sector of the extended partition, 0: none
    std::uint64_t lcursor = 0;
    for (const PartitionSpec& p : d.parts) {
        const std::string device = partition_device(disk.dev, p.num);
        const std::string golden = partition_device(d.dev, p.num);
        const auto fs = fs_by_device.find(golden);
        const bool logical = p.type == "logical";
        const std::uint64_t start =
            logical ? align_up(lcursor + 1, grain) : align_up(cursor, grain);
        const std::uint64_t limit = logical ? ext_end : last;
        if (start > limit) {
            return disk_error(where + ": partition " + std::to_string(p.num) + " (layout line " +
                              std::to_string(p.line) + ") has no room left: nothing written");
        }
        const long double want = size_bytes(p.size, d.unit, disk.size_bytes);
        std::uint64_t size = 0;
        if (want < 0) {
            size = limit - start + 1;
        } else {
            size = static_cast<std::uint64_t>(std::ceil(want / static_cast<long double>(sector)));
            if (size == 0 || start + size - 1 > limit) {
                return disk_error(where + ": partition " + std::to_string(p.num) +
                                  " (layout line " + std::to_string(p.line) + ", " + p.size + " " +
                                  d.unit + ") would end at " +
                                  human_bytes((start + size) * sector) + ", past the " +
                                  (logical ? "extended partition's end at "
                                           : std::string("disk's usable end at ")) +
                                  human_bytes((limit + 1) * sector) + ": nothing written");
            }
        }
        PlannedPartition pp{p.num, device, start, size,
                            sfdisk_type(d, p, fs == fs_by_device.end() ? "" : fs->second)};
        if (p.type == "extended") {
            ext_start = start;
            ext_end = start + size - 1;
            lcursor = ext_start;
        }
        if (logical) {
            lcursor = start + size - 1;
        } else {
            cursor = start + size;
        }
        out.partitions.push_back(std::move(pp));
    }
    std::string s = "label: " + std::string(gpt ? "gpt" : "dos") + "\nunit: sectors\n";
    if (sector != 512) {
        s += "sector-size: " + std::to_string(sector) + "\n";
    }
    s += "\n";
    for (std::size_t i = 0; i < d.parts.size(); ++i) {
        const PartitionSpec& p = d.parts[i];
        const PlannedPartition& pp = out.partitions[i];
        s += pp.device + " : start=" + std::to_string(pp.start) +
             ", size=" + std::to_string(pp.size) + ", type=" + pp.type;
        if (gpt && !p.name.empty()) {
            s += ", name=\"" + p.name + "\"";
        }
        if (!gpt && has_flag(p.flags, "boot")) {
            s += ", bootable";
        }
        if (gpt && has_flag(p.flags, "legacy_boot")) {
            s += ", attrs=\"LegacyBIOSBootable\"";
        }
        s += "\n";
    }
    out.sfdisk_script = std::move(s);
    return Ok{};
}

}  // namespace

std::string human_bytes(std::uint64_t bytes) {
    char buf[48];
    if (bytes >= 1024 * mib) {
        std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * mib));
    } else {
        std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(bytes) / mib);
    }
    return buf;
}

Result<DiskPlan> plan_disks(const DiskLayout& layout, const std::vector<BlockDisk>& disks,
                            const std::map<std::string, std::string>& explicit_map) {
    DiskPlan plan;
    std::set<std::string> taken;
    auto find = [&](const std::string& dev) -> const BlockDisk* {
        for (const BlockDisk& b : disks) {
            if (b.dev == dev) {
                return &b;
            }
        }
        return nullptr;
    };
    // First the explicit map and the names this node has, then the rest in order.
    std::vector<const BlockDisk*> target(layout.disks.size(), nullptr);
    for (std::size_t i = 0; i < layout.disks.size(); ++i) {
        const std::string& golden = layout.disks[i].dev;
        if (auto m = explicit_map.find(golden); m != explicit_map.end()) {
            target[i] = find(m->second);
            if (target[i] == nullptr) {
                return disk_error("SI_DISK_MAP: " + golden + " -> " + m->second + ": " + m->second +
                                  " is not a disk of this node");
            }
        } else if (const BlockDisk* b = find(golden)) {
            target[i] = b;
        }
        if (target[i] != nullptr) {
            if (!taken.insert(target[i]->dev).second) {
                return disk_error("disks " + golden + " and another of the layout both map to " +
                                  target[i]->dev);
            }
        }
    }
    for (std::size_t i = 0; i < layout.disks.size(); ++i) {
        if (target[i] != nullptr) {
            continue;
        }
        for (const BlockDisk& b : disks) {
            if (taken.count(b.dev) == 0 && explicit_map.empty()) {
                target[i] = &b;
                taken.insert(b.dev);
                break;
            }
        }
        if (target[i] == nullptr) {
            std::string have;
            for (const BlockDisk& b : disks) {
                have += (have.empty() ? "" : ", ") + b.dev + " (" + human_bytes(b.size_bytes) + ")";
            }
            return disk_error("disk " + layout.disks[i].dev + " (layout line " +
                              std::to_string(layout.disks[i].line) +
                              "): no disk of this node left for it (this node has: " +
                              (have.empty() ? std::string("no disk") : have) + ")");
        }
    }

    std::map<std::string, std::string> fs_by_device;  // golden partition -> fs
    for (const FsSpec& f : layout.filesystems) {
        fs_by_device[f.real_dev] = f.fs;
    }
    std::map<std::string, std::string> device_of;  // golden partition -> this node's
    for (std::size_t i = 0; i < layout.disks.size(); ++i) {
        PlannedDisk pd;
        pd.golden_dev = layout.disks[i].dev;
        pd.disk = *target[i];
        if (auto st = place_partitions(layout.disks[i], pd.disk, fs_by_device, pd); !st) {
            return st.error();
        }
        for (const PartitionSpec& p : layout.disks[i].parts) {
            device_of[partition_device(pd.golden_dev, p.num)] =
                partition_device(pd.disk.dev, p.num);
        }
        plan.disks.push_back(std::move(pd));
    }

    for (const FsSpec& f : layout.filesystems) {
        PlannedFilesystem pf;
        pf.spec = f;
        if (auto d = device_of.find(f.real_dev); d != device_of.end()) {
            pf.device = d->second;
            if (f.format) {
                pf.mkfs = mkfs_command(f, pf.device);
            }
            pf.mounted_for_install = !f.mp.empty() && f.mp[0] == '/' && f.fs != "swap";
        }
        plan.filesystems.push_back(std::move(pf));
    }
    for (std::size_t i = 0; i < plan.filesystems.size(); ++i) {
        if (plan.filesystems[i].mounted_for_install) {
            plan.mount_order.push_back(i);
        }
    }
    std::stable_sort(
        plan.mount_order.begin(), plan.mount_order.end(), [&](std::size_t a, std::size_t b) {
            return depth(plan.filesystems[a].spec.mp) < depth(plan.filesystems[b].spec.mp);
        });

    if (layout.bootloader) {
        const BootloaderSpec& b = *layout.bootloader;
        if (b.install_type == "efi") {
            std::string esp;
            for (const PlannedFilesystem& f : plan.filesystems) {
                if (f.mounted_for_install && (f.spec.fs == "vfat" || f.spec.fs == "msdos") &&
                    (f.spec.mp == "/boot/efi" || esp.empty())) {
                    esp = f.spec.mp;
                }
            }
            if (esp.empty()) {
                return disk_error("bootloader (layout line " + std::to_string(b.line) +
                                  "): install_type efi needs a vfat filesystem for the EFI system "
                                  "partition (mounted at /boot/efi)");
            }
            // --removable: \EFI\BOOT\BOOTX64.EFI, which firmware boots without a boot entry;
            // --no-nvram: a fresh node's firmware variables are not ours to change.
            plan.bootloader.push_back({"grub-install", "--target=x86_64-efi",
                                       "--efi-directory=" + esp, "--removable", "--no-nvram"});
        } else {
            for (const std::string& t : b.targets) {
                std::string dev = t;
                for (const PlannedDisk& d : plan.disks) {
                    if (d.golden_dev == t) {
                        dev = d.disk.dev;
                    }
                }
                if (dev == t &&
                    std::none_of(plan.disks.begin(), plan.disks.end(),
                                 [&](const PlannedDisk& d) { return d.disk.dev == t; })) {
                    return disk_error("bootloader (layout line " + std::to_string(b.line) +
                                      "): target " + t + " is not a disk of the layout");
                }
                plan.bootloader.push_back({"grub-install", "--target=i386-pc", dev});
            }
        }
        plan.bootloader.push_back({"grub-mkconfig", "-o", "/boot/grub/grub.cfg"});
    }
    return plan;
}

std::string fstab_text(const DiskPlan& plan, const std::map<std::string, std::string>& uuids) {
    std::string out =
        "# /etc/fstab: written by si_btagent from the image's disk layout "
        "(etc/systemimager/autoinstallscript.conf)\n"
        "# <file system> <mount point> <type> <options> <dump> <pass>\n";
    for (const PlannedFilesystem& f : plan.filesystems) {
        std::string source = f.spec.real_dev;
        if (!f.device.empty()) {
            if (auto u = uuids.find(f.device); u != uuids.end() && !u->second.empty()) {
                source = "UUID=" + u->second;
            } else if (!f.spec.mount_dev.empty()) {
                source = f.spec.mount_dev;
            } else {
                source = f.device;
            }
        }
        out += source + "\t" + f.spec.mp + "\t" + f.spec.fs + "\t" + f.spec.options + "\t" +
               f.spec.dump + "\t" + f.spec.pass + "\n";
    }
    return out;
}

}  // namespace si
