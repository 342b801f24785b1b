#include "server/pack/autoinstallscript.hpp"

#include <tinyxml2.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <set>

#include "common/file_io.hpp"

namespace si {
namespace {

using tinyxml2::XMLAttribute;
using tinyxml2::XMLDocument;
using tinyxml2::XMLElement;

// Filesystems made on a partition of the layout; any other fs (proc, tmpfs, nfs, ...) is only
// written to fstab.
const std::set<std::string, std::less<>> made_filesystems = {"ext2", "ext3",  "ext4", "xfs",
                                                             "vfat", "msdos", "swap", "btrfs"};
const std::set<std::string, std::less<>> known_flags = {"boot", "esp",    "bios_grub",
                                                        "lba",  "hidden", "legacy_boot"};

class Checker {
  public:
    explicit Checker(std::string_view file) : file_(file) {}

    Error error(int line, const std::string& why) const {
        return Error{file_ + ":" + std::to_string(line) + ": " + why, ErrorKind::config};
    }

    // Every attribute of `e` must be in `allowed`.
    Status only(const XMLElement* e, std::initializer_list<const char*> allowed) const {
        for (const XMLAttribute* a = e->FirstAttribute(); a != nullptr; a = a->Next()) {
            const std::string_view name = a->Name();
            if (std::none_of(allowed.begin(), allowed.end(),
                             [&](const char* ok) { return name == ok; })) {
                return error(e->GetLineNum(), "<" + std::string(e->Name()) +
                                                  ">: unknown attribute " + std::string(name));
            }
        }
        return Ok{};
    }

    static std::string attr(const XMLElement* e, const char* name) {
        const char* v = e->Attribute(name);
        std::string s = v == nullptr ? "" : v;
        const auto b = s.find_first_not_of(" \t");
        const auto end = s.find_last_not_of(" \t");
        return b == std::string::npos ? "" : s.substr(b, end - b + 1);
    }

    Result<std::string> required(const XMLElement* e, const char* name) const {
        std::string v = attr(e, name);
        if (v.empty()) {
            return error(e->GetLineNum(),
                         "<" + std::string(e->Name()) + ">: " + name + " is missing");
        }
        return v;
    }

    // No blank inside: layout_text() separates fields with blanks.
    Status one_word(const XMLElement* e, const char* name, const std::string& v) const {
        if (v.find_first_of(" \t\n\r") != std::string::npos) {
            return error(e->GetLineNum(), "<" + std::string(e->Name()) + ">: " + name + "=\"" + v +
                                              "\" holds a blank");
        }
        return Ok{};
    }

  private:
    std::string file_;
};

std::optional<long long> whole_number(const std::string& s) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

// A positive size: digits with at most one '.'.
bool positive_size(const std::string& s) {
    if (s.empty() || s == ".") {
        return false;
    }
    int dots = 0;
    bool nonzero = false;
    for (char c : s) {
        if (c == '.') {
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        } else if (c != '0') {
            nonzero = true;
        }
    }
    return dots <= 1 && nonzero;
}

// One <part> of `disk`, its attributes checked against the disk's label and the partition
// numbers taken so far (`numbers`, to which its own is added).
Result<PartitionSpec> parse_part(const XMLElement* p, const DiskSpec& disk, std::set<int>& numbers,
                                 const Checker& c) {
    if (auto st = c.only(p, {"num", "size", "p_type", "p_name", "flags", "id"}); !st) {
        return st.error();
    }
    const int line = p->GetLineNum();
    PartitionSpec part;
    part.line = line;
    auto num = whole_number(Checker::attr(p, "num"));
    if (!num || *num < 1 || *num > 128) {
        return c.error(line, "<part>: num=\"" + Checker::attr(p, "num") +
                                 "\" is not a partition number (1-128)");
    }
    part.num = static_cast<int>(*num);
    if (!numbers.insert(part.num).second) {
        return c.error(line, "<part>: partition " + std::to_string(part.num) + " of " + disk.dev +
                                 " is given twice");
    }
    part.size = Checker::attr(p, "size");
    if (part.size != "*" && !positive_size(part.size)) {
        return c.error(line, "<part num=\"" + std::to_string(part.num) + "\">: size=\"" +
                                 part.size + "\" is not a positive number or *");
    }
    part.type = Checker::attr(p, "p_type");
    if (part.type.empty()) {
        part.type = "primary";
    }
    if (part.type != "primary" && part.type != "extended" && part.type != "logical") {
        return c.error(line, "<part num=\"" + std::to_string(part.num) + "\">: p_type=\"" +
                                 part.type + "\" is not primary, extended or logical");
    }
    if (disk.label == "gpt" && part.type != "primary") {
        return c.error(line, "<part num=\"" + std::to_string(part.num) +
                                 "\">: a gpt disk has primary partitions only");
    }
    if (disk.label == "msdos") {
        if (part.type == "logical" ? part.num < 5 : part.num > 4) {
            return c.error(line, "<part num=\"" + std::to_string(part.num) + "\">: an msdos " +
                                     part.type + " partition is numbered " +
                                     (part.type == "logical" ? "5 or more" : "1 to 4"));
        }
    }
    part.name = Checker::attr(p, "p_name");
    if (part.name == "-") {
        part.name.clear();
    }
    if (auto st = c.one_word(p, "p_name", part.name); !st) {
        return st.error();
    }
    part.flags = Checker::attr(p, "flags");
    if (part.flags == "-") {
        part.flags.clear();
    }
    for (std::size_t at = 0; at < part.flags.size();) {
        const auto comma = part.flags.find(',', at);
        const std::string flag = part.flags.substr(at, comma - at);
        if (!known_flags.contains(flag)) {
            return c.error(line, "<part num=\"" + std::to_string(part.num) + "\">: flag \"" + flag +
                                     "\" is not one of boot, esp, bios_grub, lba, hidden, "
                                     "legacy_boot");
        }
        at = comma == std::string::npos ? part.flags.size() : comma + 1;
    }
    part.id = Checker::attr(p, "id");
    if (!part.id.empty() &&
        (part.id.size() > 2 + 2 ||
         part.id.find_first_not_of("0123456789abcdefABCDEFx") != std::string::npos)) {
        return c.error(line, "<part num=\"" + std::to_string(part.num) + "\">: id=\"" + part.id +
                                 "\" is not a hex partition type (e.g. 83)");
    }
    return part;
}

// Logical partitions live in the one extended partition; "*" only on what ends the disk:
// the last partition, or the last logical one and its extended one; sizes in % add up to 100
// at most.
Status check_partition_order(const DiskSpec& disk, const Checker& c) {
    const PartitionSpec* extended = nullptr;
    double percent = 0;
    for (std::size_t i = 0; i < disk.parts.size(); ++i) {
        const PartitionSpec& p = disk.parts[i];
        if (p.type == "extended") {
            if (extended != nullptr) {
                return c.error(p.line, "<part num=\"" + std::to_string(p.num) +
                                           "\">: a second extended partition");
            }
            extended = &p;
        }
        if (p.type == "logical" && extended == nullptr) {
            return c.error(p.line, "<part num=\"" + std::to_string(p.num) +
                                       "\">: a logical partition before any extended one");
        }
        const bool last = i + 1 == disk.parts.size();
        const bool ends_with_logicals = disk.parts.back().type == "logical";
        const bool may_grow =
            last || (p.type == "extended" && ends_with_logicals && disk.parts.back().size == "*");
        if (p.size == "*" && !may_grow) {
            return c.error(p.line, "<part num=\"" + std::to_string(p.num) +
                                       "\">: size \"*\" (the rest of the disk) is only for the "
                                       "last partition");
        }
        if (p.size != "*" && disk.unit == "%" && p.type != "extended") {
            percent += std::stod(p.size);
        }
    }
    if (percent > 100.0) {
        return c.error(disk.line, "<disk dev=\"" + disk.dev + "\">: the partitions add up to " +
                                      std::to_string(static_cast<int>(percent)) + "% of the disk");
    }
    return Ok{};
}

Result<DiskSpec> parse_disk(const XMLElement* d, const Checker& c) {
    if (auto st = c.only(d, {"dev", "label_type", "unit_of_measurement"}); !st) {
        return st.error();
    }
    DiskSpec disk;
    disk.line = d->GetLineNum();
    auto dev = c.required(d, "dev");
    if (!dev) {
        return dev.error();
    }
    if (dev->rfind("/dev/", 0) != 0 || !c.one_word(d, "dev", *dev)) {
        return c.error(disk.line, "<disk>: dev=\"" + *dev + "\" is not a /dev/ device");
    }
    disk.dev = *dev;
    disk.label = Checker::attr(d, "label_type");
    if (disk.label != "msdos" && disk.label != "gpt") {
        return c.error(disk.line, "<disk dev=\"" + disk.dev + "\">: label_type=\"" + disk.label +
                                      "\" is not msdos or gpt");
    }
    disk.unit = Checker::attr(d, "unit_of_measurement");
    if (disk.unit.empty()) {
        disk.unit = "MB";
    }
    static const std::set<std::string, std::less<>> units = {"MB", "MiB", "GB", "GiB", "%"};
    if (!units.contains(disk.unit)) {
        return c.error(disk.line, "<disk dev=\"" + disk.dev + "\">: unit_of_measurement=\"" +
                                      disk.unit + "\" is not MB, MiB, GB, GiB or %");
    }
    std::set<int> numbers;
    for (const XMLElement* p = d->FirstChildElement(); p != nullptr; p = p->NextSiblingElement()) {
        const int line = p->GetLineNum();
        if (std::string_view(p->Name()) != "part") {
            return c.error(line, "unknown element <" + std::string(p->Name()) + "> in <disk>");
        }
        if (p->Attribute("raid_dev") != nullptr || p->Attribute("lvm_group") != nullptr) {
            return c.error(line,
                           "<part>: software RAID and LVM are not supported by this "
                           "transport (prepare the node's disk and give SI_TARGET)");
        }
        auto part = parse_part(p, disk, numbers, c);
        if (!part) {
            return part.error();
        }
        disk.parts.push_back(std::move(*part));
    }
    if (disk.parts.empty()) {
        return c.error(disk.line, "<disk dev=\"" + disk.dev + "\">: no <part>");
    }
    if (auto st = check_partition_order(disk, c); !st) {
        return st.error();
    }
    return disk;
}

Result<FsSpec> parse_fsinfo(const XMLElement* f, const Checker& c) {
    if (auto st = c.only(f, {"line", "comment", "real_dev", "mount_dev", "mp", "fs", "mkfs_opts",
                             "options", "dump", "pass", "format"});
        !st) {
        return st.error();
    }
    FsSpec fs;
    fs.line = f->GetLineNum();
    auto order = whole_number(Checker::attr(f, "line"));
    if (!order || *order < 0) {
        return c.error(fs.line,
                       "<fsinfo>: line=\"" + Checker::attr(f, "line") + "\" is not a whole number");
    }
    fs.order = static_cast<int>(*order);
    fs.real_dev = Checker::attr(f, "real_dev");
    if (fs.real_dev.empty() && Checker::attr(f, "mp").empty()) {
        return fs;  // a comment line of the fstab
    }
    for (const char* name : {"real_dev", "mp", "fs"}) {
        if (Checker::attr(f, name).empty()) {
            return c.error(fs.line, std::string("<fsinfo line=\"") + std::to_string(fs.order) +
                                        "\">: " + name + " is missing");
        }
    }
    fs.mp = Checker::attr(f, "mp");
    fs.fs = Checker::attr(f, "fs");
    fs.mount_dev = Checker::attr(f, "mount_dev");
    if (auto o = Checker::attr(f, "options"); !o.empty()) {
        fs.options = o;
    }
    if (auto d = Checker::attr(f, "dump"); !d.empty()) {
        fs.dump = d;
    }
    if (auto p = Checker::attr(f, "pass"); !p.empty()) {
        fs.pass = p;
    }
    fs.mkfs_opts = Checker::attr(f, "mkfs_opts");
    if (fs.mkfs_opts.find_first_of("\n\r") != std::string::npos) {
        return c.error(fs.line, "<fsinfo>: mkfs_opts holds a line break");
    }
    fs.format = Checker::attr(f, "format") != "no";
    for (auto [name, v] :
         {std::pair{"real_dev", &fs.real_dev}, std::pair{"mount_dev", &fs.mount_dev},
          std::pair{"mp", &fs.mp}, std::pair{"fs", &fs.fs}, std::pair{"options", &fs.options},
          std::pair{"dump", &fs.dump}, std::pair{"pass", &fs.pass}}) {
        if (auto st = c.one_word(f, name, *v); !st) {
            return st.error();
        }
    }
    if (fs.mp != "swap" && fs.mp != "none" && fs.mp.front() != '/') {
        return c.error(fs.line, "<fsinfo line=\"" + std::to_string(fs.order) + "\">: mp=\"" +
                                    fs.mp + "\" is not an absolute path, swap or none");
    }
    return fs;
}

}  // namespace

Result<DiskLayout> parse_disk_layout(std::string_view xml, std::string_view file) {
    const Checker c(file);
    if (xml.size() > max_disk_layout_bytes) {
        return c.error(1, "over " + std::to_string(max_disk_layout_bytes) + " bytes");
    }
    XMLDocument doc;
    if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS) {
        return c.error(doc.ErrorLineNum(), std::string("not well-formed XML: ") +
                                               (doc.ErrorStr() != nullptr ? doc.ErrorStr() : "?"));
    }
    const XMLElement* root = doc.RootElement();
    if (root == nullptr || std::string_view(root->Name()) != "config") {
        return c.error(root != nullptr ? root->GetLineNum() : 1,
                       "the root element is not <config>");
    }
    DiskLayout layout;
    std::map<std::string, int> disk_lines;
    for (const XMLElement* e = root->FirstChildElement(); e != nullptr;
         e = e->NextSiblingElement()) {
        const std::string_view name = e->Name();
        const int line = e->GetLineNum();
        if (name == "disk") {
            auto disk = parse_disk(e, c);
            if (!disk) {
                return disk.error();
            }
            if (!disk_lines.emplace(disk->dev, line).second) {
                return c.error(line, "<disk dev=\"" + disk->dev + "\"> is given twice");
            }
            layout.disks.push_back(std::move(*disk));
        } else if (name == "fsinfo") {
            auto fs = parse_fsinfo(e, c);
            if (!fs) {
                return fs.error();
            }
            if (!fs->real_dev.empty()) {
                layout.filesystems.push_back(std::move(*fs));
            }
        } else if (name == "bootloader") {
            if (auto st = c.only(e, {"flavor", "install_type", "default_entry", "timeout"}); !st) {
                return st.error();
            }
            BootloaderSpec b;
            b.line = line;
            b.flavor = Checker::attr(e, "flavor");
            if (b.flavor == "grub") {
                b.flavor = "grub2";
            }
            if (b.flavor != "grub2") {
                return c.error(line, "<bootloader>: flavor=\"" + b.flavor +
                                         "\" is not grub2 (the only one installed)");
            }
            b.install_type = Checker::attr(e, "install_type");
            if (b.install_type != "legacy" && b.install_type != "efi") {
                return c.error(line, "<bootloader>: install_type=\"" + b.install_type +
                                         "\" is not legacy or efi");
            }
            for (const XMLElement* t = e->FirstChildElement(); t != nullptr;
                 t = t->NextSiblingElement()) {
                if (std::string_view(t->Name()) != "target") {
                    return c.error(t->GetLineNum(), "unknown element <" + std::string(t->Name()) +
                                                        "> in <bootloader>");
                }
                if (auto st = c.only(t, {"dev", "path"}); !st) {
                    return st.error();
                }
                const std::string dev = Checker::attr(t, "dev");
                if (!dev.empty()) {
                    if (auto st = c.one_word(t, "dev", dev); !st) {
                        return st.error();
                    }
                    b.targets.push_back(dev);
                }
            }
            layout.bootloader = std::move(b);
        } else if (name == "raid" || name == "lvm") {
            return c.error(line, "<" + std::string(name) +
                                     ">: software RAID and LVM are not supported by this "
                                     "transport (prepare the node's disk and give SI_TARGET)");
        } else if (name == "boel") {
            continue;  // devfs settings of SystemImager's old install kernel: nothing to do
        } else {
            return c.error(line, "unknown element <" + std::string(name) + "> in <config>");
        }
    }
    if (layout.disks.empty()) {
        return c.error(root->GetLineNum(), "<config>: no <disk>");
    }
    // Every filesystem to make is on a partition of the layout; mount points are unique.
    std::set<std::string> partitions;
    for (const DiskSpec& d : layout.disks) {
        for (const PartitionSpec& p : d.parts) {
            if (p.type != "extended") {
                partitions.insert(partition_device(d.dev, p.num));
            }
        }
    }
    std::stable_sort(layout.filesystems.begin(), layout.filesystems.end(),
                     [](const FsSpec& a, const FsSpec& b) { return a.order < b.order; });
    std::map<std::string, int> mount_points;
    for (const FsSpec& fs : layout.filesystems) {
        const bool made = made_filesystems.contains(fs.fs);
        if (made && !partitions.contains(fs.real_dev)) {
            return c.error(fs.line, "<fsinfo line=\"" + std::to_string(fs.order) + "\">: " + fs.mp +
                                        " (" + fs.fs + ") is on " + fs.real_dev +
                                        ", which is not a partition of this layout");
        }
        if (fs.mp.front() == '/' && !mount_points.emplace(fs.mp, fs.line).second) {
            return c.error(fs.line, "<fsinfo line=\"" + std::to_string(fs.order) +
                                        "\">: mount point " + fs.mp + " is given twice");
        }
    }
    if (!mount_points.contains("/")) {
        return c.error(root->GetLineNum(), "<config>: no <fsinfo> mounts a filesystem on /");
    }
    return layout;
}

Result<std::optional<DiskLayout>> read_image_disk_layout(const std::string& image_dir) {
    const std::string path = image_dir + "/" + disk_layout_path;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return std::optional<DiskLayout>{};
        }
        return Error{path + ": " + std::strerror(errno), ErrorKind::config};
    }
    if (!S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > max_disk_layout_bytes) {
        return Error{path + ": not a regular file of at most 1 MiB", ErrorKind::config};
    }
    auto text = read_text_file(path);
    if (!text) {
        return Error{text.error().message, ErrorKind::config};
    }
    auto layout = parse_disk_layout(*text, path);
    if (!layout) {
        return layout.error();
    }
    return std::optional<DiskLayout>(std::move(*layout));
}

}  // namespace si
