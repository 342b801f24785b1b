#include "server/boot/pxe_boot_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>

#include "common/atomic_file.hpp"
#include "common/file_io.hpp"
#include "common/text_lines.hpp"
#include "server/view/mac_address.hpp"

namespace si {
namespace {

constexpr std::string_view header_prefix = "# si_btd: ";
constexpr std::string_view banner =
    "# Written by systemimager-bittorrent for one node; si_btd and si_btreimage replace it.\n";

std::string header_line(BootMode mode, const BootTarget& node, std::int64_t now,
                        std::string_view by) {
    std::string line = std::string(header_prefix) + "boot=" + std::string(boot_mode_name(mode)) +
                       " image=" + node.image;
    if (!node.hostname.empty()) {
        line += " host=" + node.hostname;
    }
    return line + " since=" + std::to_string(now) + " by=" + std::string(by) + "\n";
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) {
            ++i;
        }
        std::size_t j = i;
        while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) {
            ++j;
        }
        if (j > i) {
            out.emplace_back(line.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

// Sets KEY=value among an APPEND line's tokens (the first token is "APPEND").
void set_token(std::vector<std::string>& tokens, std::string_view key, const std::string& value) {
    const std::string prefix = std::string(key) + "=";
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        if (tokens[i].starts_with(prefix)) {
            tokens[i] = prefix + value;
            return;
        }
    }
    tokens.push_back(prefix + value);
}

}  // namespace

std::string_view boot_mode_name(BootMode m) {
    return m == BootMode::install ? "install" : "local";
}

Result<std::string> render_install_boot_file(std::string_view template_text, const BootTarget& node,
                                             std::int64_t now, std::string_view by) {
    std::string body;
    int appends = 0;
    bool bittorrent = false;
    for_each_line(template_text, [&](int, std::string_view line) {
        // Our own header lines of a template that was itself one of our files are dropped.
        if (line.starts_with(header_prefix) || line == banner.substr(0, banner.size() - 1)) {
            return;
        }
        auto tokens = words(line);
        if (tokens.empty() || !iequals(tokens.front(), "APPEND")) {
            body += std::string(line) + "\n";
            return;
        }
        ++appends;
        bittorrent =
            bittorrent || std::find(tokens.begin(), tokens.end(), "BITTORRENT=y") != tokens.end();
        set_token(tokens, "IMAGENAME", node.image);
        if (!node.hostname.empty()) {
            set_token(tokens, "HOSTNAME", node.hostname);
        }
        if (!node.overrides.empty()) {
            std::string list;
            for (const std::string& o : node.overrides) {
                list += (list.empty() ? "" : ",") + o;
            }
            set_token(tokens, "OVERRIDES", list);
        }
        if (node.reinstall) {
            set_token(tokens, "BITTORRENT_REINSTALL", "y");
        }
        std::string out;
        for (const std::string& t : tokens) {
            out += (out.empty() ? "" : " ") + t;
        }
        body += out + "\n";
    });
    if (appends == 0 || !bittorrent) {
        return Error{
            "the install template has no APPEND line with BITTORRENT=y (it should be "
            "the pxelinux configuration nodes install with: etc/pxelinux.cfg/"
            "syslinux.cfg)",
            ErrorKind::config};
    }
    return std::string(banner) + header_line(BootMode::install, node, now, by) + body;
}

std::string render_local_boot_file(const BootTarget& node, std::int64_t now, std::string_view by) {
    return std::string(banner) + header_line(BootMode::local, node, now, by) +
           "# The node holds image " + node.image +
           ": it boots its own disk (the next entry of its firmware's boot order).\n"
           "DEFAULT local\n"
           "PROMPT 0\n"
           "TIMEOUT 0\n"
           "LABEL local\n"
           "  LOCALBOOT 0\n";
}

std::optional<BootFileHeader> parse_boot_file_header(std::string_view text) {
    std::optional<BootFileHeader> found;
    int lines_seen = 0;
    for_each_line(text, [&](int, std::string_view line) {
        if (found || ++lines_seen > 3 || !line.starts_with(header_prefix)) {
            return;
        }
        std::map<std::string, std::string> kv;
        for (const std::string& w : words(line.substr(header_prefix.size()))) {
            if (auto eq = w.find('='); eq != std::string::npos) {
                kv[w.substr(0, eq)] = w.substr(eq + 1);
            }
        }
        BootFileHeader h;
        if (kv["boot"] == "install") {
            h.mode = BootMode::install;
        } else if (kv["boot"] == "local") {
            h.mode = BootMode::local;
        } else {
            return;
        }
        h.image = kv["image"];
        h.hostname = kv["host"];
        h.by = kv["by"];
        const std::string& since = kv["since"];
        auto [p, ec] = std::from_chars(since.data(), since.data() + since.size(), h.since);
        if (h.image.empty() || ec != std::errc() || p != since.data() + since.size()) {
            return;
        }
        found = std::move(h);
    });
    return found;
}

std::string BootFileDir::path_for(std::string_view mac) const {
    return dir_ + "/" + pxelinux_mac_file_name(mac);
}

Result<BootFileState> BootFileDir::read(std::string_view mac) const {
    BootFileState st;
    const std::string path = path_for(mac);
    struct stat sb {};
    if (::lstat(path.c_str(), &sb) != 0) {
        if (errno == ENOENT) {
            return st;
        }
        return Error{path + ": " + std::strerror(errno), ErrorKind::io};
    }
    auto text = read_text_file(path);
    if (!text) {
        return Error{text.error().message, ErrorKind::io};
    }
    st.exists = true;
    st.header = parse_boot_file_header(*text);
    st.text = std::move(*text);
    return st;
}

Status BootFileDir::write(std::string_view mac, std::string_view text) const {
    return write_file_atomically(path_for(mac), text, 0644);
}

}  // namespace si
