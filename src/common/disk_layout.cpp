#include "common/disk_layout.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <sstream>
#include <vector>

namespace si {
namespace {

std::string undash(const std::string& s) {
    return s == "-" ? std::string() : s;
}

}  // namespace

std::string partition_device(std::string_view dev, int num) {
    std::string out(dev);
    if (!out.empty() && std::isdigit(static_cast<unsigned char>(out.back())) != 0) {
        out += 'p';
    }
    return out + std::to_string(num);
}

std::string layout_text(const DiskLayout& layout) {
    auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    std::string out = "# si disk layout 1\n";
    for (const DiskSpec& d : layout.disks) {
        out += "disk " + d.dev + " " + d.label + " " + d.unit + "\n";
    }
    for (const DiskSpec& d : layout.disks) {
        for (const PartitionSpec& p : d.parts) {
            out += "part " + d.dev + " " + std::to_string(p.num) + " " + p.type + " " + p.size +
                   " " + dash(p.flags) + " " + dash(p.name) + " " + dash(p.id) + "\n";
        }
    }
    for (const FsSpec& f : layout.filesystems) {
        out += "fs " + f.real_dev + " " + dash(f.mount_dev) + " " + f.mp + " " + f.fs + " " +
               f.options + " " + f.dump + " " + f.pass + " " + (f.format ? "format" : "keep") +
               (f.mkfs_opts.empty() ? "" : " " + f.mkfs_opts) + "\n";
    }
    if (layout.bootloader) {
        out += "bootloader " + layout.bootloader->flavor + " " + layout.bootloader->install_type;
        for (const std::string& t : layout.bootloader->targets) {
            out += " " + t;
        }
        out += "\n";
    }
    return out;
}

Result<DiskLayout> parse_layout_text(std::string_view text, std::string_view what) {
    DiskLayout layout;
    int line_no = 0;
    auto error = [&](const std::string& why) {
        return Error{std::string(what) + ":" + std::to_string(line_no) + ": " + why,
                     ErrorKind::config};
    };
    auto number = [](const std::string& s) -> std::optional<int> {
        int v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
            return std::nullopt;
        }
        return v;
    };
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::string line(text.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++line_no;
        if (line_no == 1) {
            if (line != "# si disk layout 1") {
                return error("not a disk layout (expected \"# si disk layout 1\")");
            }
            continue;
        }
        std::istringstream in(line);
        std::vector<std::string> f;
        for (std::string w; in >> w;) {
            f.push_back(w);
        }
        if (f.empty() || f[0][0] == '#') {
            continue;
        }
        const std::string& kind = f[0];
        if (kind == "disk") {
            if (f.size() != 4) {
                return error("disk: expected 'disk <dev> <label> <unit>'");
            }
            // A disk declared twice would be partitioned twice, and which one its parts
            // belong to would depend on the order of lines (found by fuzzing, issue 29).
            for (const DiskSpec& d : layout.disks) {
                if (d.dev == f[1]) {
                    return error("disk " + f[1] + " is declared twice (first on line " +
                                 std::to_string(d.line) + ")");
                }
            }
            layout.disks.push_back(DiskSpec{f[1], f[2], f[3], {}, line_no});
        } else if (kind == "part") {
            if (f.size() != 8) {
                return error("part: expected 8 fields");
            }
            DiskSpec* disk = nullptr;
            for (DiskSpec& d : layout.disks) {
                if (d.dev == f[1]) {
                    disk = &d;
                }
            }
            if (disk == nullptr) {
                return error("part: disk " + f[1] + " is not declared before it");
            }
            const auto num = number(f[2]);
            if (!num || *num < 1) {
                return error("part: bad number '" + f[2] + "'");
            }
            disk->parts.push_back(
                PartitionSpec{*num, f[3], f[4], undash(f[5]), undash(f[6]), undash(f[7]), line_no});
        } else if (kind == "fs") {
            if (f.size() < 9) {
                return error("fs: expected at least 9 fields");
            }
            FsSpec fs;
            fs.order = static_cast<int>(layout.filesystems.size()) + 1;
            fs.real_dev = f[1];
            fs.mount_dev = undash(f[2]);
            fs.mp = f[3];
            fs.fs = f[4];
            fs.options = f[5];
            fs.dump = f[6];
            fs.pass = f[7];
            if (f[8] != "format" && f[8] != "keep") {
                return error("fs: '" + f[8] + "' is neither format nor keep");
            }
            fs.format = f[8] == "format";
            for (std::size_t i = 9; i < f.size(); ++i) {
                fs.mkfs_opts += (i > 9 ? " " : "") + f[i];
            }
            fs.line = line_no;
            layout.filesystems.push_back(std::move(fs));
        } else if (kind == "bootloader") {
            if (f.size() < 4) {
                return error("bootloader: expected a flavor, an install type and a target");
            }
            layout.bootloader = BootloaderSpec{
                f[1], f[2], std::vector<std::string>(f.begin() + 3, f.end()), line_no};
        } else {
            return error("unknown line kind '" + kind + "'");
        }
    }
    if (line_no == 0) {
        return error("empty");
    }
    return layout;
}

}  // namespace si
