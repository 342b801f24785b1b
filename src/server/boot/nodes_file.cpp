#include "server/boot/nodes_file.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/file_io.hpp"
#include "common/list_split.hpp"
#include "common/names.hpp"
#include "common/text_lines.hpp"
#include "server/view/mac_address.hpp"

namespace si {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string_view> columns(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
            ++i;
        }
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t') {
            ++j;
        }
        if (j > i) {
            out.push_back(line.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

bool is_valid_group(std::string_view g) {
    return !g.empty() && g.size() <= 64 && std::all_of(g.begin(), g.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-';
    });
}

}  // namespace

const ListedNode* NodeInventory::by_mac(std::string_view mac) const {
    for (const ListedNode& n : nodes) {
        if (n.mac == mac) {
            return &n;
        }
    }
    return nullptr;
}

const ListedNode* NodeInventory::by_hostname(std::string_view hostname) const {
    const std::string want = lower(hostname);
    for (const ListedNode& n : nodes) {
        if (lower(n.hostname) == want) {
            return &n;
        }
    }
    return nullptr;
}

bool is_valid_hostname(std::string_view name) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) {
            dot = name.size();
        }
        std::string_view label = name.substr(start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            !std::all_of(label.begin(), label.end(),
                         [](unsigned char c) { return std::isalnum(c) || c == '-'; })) {
            return false;
        }
        start = dot + 1;
        if (dot == name.size()) {
            break;
        }
    }
    return true;
}

Result<NodeInventory> parse_nodes_file(std::string_view text, std::string_view file) {
    NodeInventory inv;
    std::map<std::string, int> mac_line;
    std::map<std::string, int> host_line;
    std::string error;
    for_each_line(text, [&](int line_no, std::string_view raw) {
        if (!error.empty()) {
            return;
        }
        std::string_view line = raw.substr(0, raw.find('#'));
        auto cols = columns(line);
        if (cols.empty()) {
            return;
        }
        auto fail = [&](const std::string& what) {
            error = std::string(file) + ":" + std::to_string(line_no) + ": " + what;
        };
        if (cols.size() < 3 || cols.size() > 5) {
            fail("expected 'hostname MAC image [group [overrides]]', found " +
                 std::to_string(cols.size()) + " column(s)");
            return;
        }
        ListedNode n;
        n.line = line_no;
        n.hostname = std::string(cols[0]);
        if (!is_valid_hostname(n.hostname)) {
            fail("hostname '" + n.hostname + "' is not a valid host name");
            return;
        }
        auto mac = normalize_mac(cols[1]);
        if (!mac) {
            fail("MAC '" + std::string(cols[1]) +
                 "' is not six hex pairs (52:54:00:12:34:56, '-' or '.' also work)");
            return;
        }
        n.mac = *mac;
        n.image = std::string(cols[2]);
        if (!is_valid_image_name(n.image)) {
            fail("image '" + n.image + "' is not a valid name (letters, digits, . _ + -)");
            return;
        }
        if (cols.size() > 3 && cols[3] != "-") {
            n.group = std::string(cols[3]);
            if (!is_valid_group(n.group)) {
                fail("group '" + n.group + "' is not a valid name (letters, digits, . _ -)");
                return;
            }
        }
        if (cols.size() > 4 && cols[4] != "-") {
            for (std::string& o : split_list(cols[4]).items) {
                if (!is_valid_image_name(o)) {
                    fail("override '" + o + "' is not a valid name (letters, digits, . _ + -)");
                    return;
                }
                n.overrides.push_back(std::move(o));
            }
        }
        if (auto [it, fresh] = mac_line.emplace(n.mac, line_no); !fresh) {
            fail("MAC " + n.mac + " is already listed on line " + std::to_string(it->second));
            return;
        }
        if (auto [it, fresh] = host_line.emplace(lower(n.hostname), line_no); !fresh) {
            fail("hostname " + n.hostname + " is already listed on line " +
                 std::to_string(it->second));
            return;
        }
        inv.nodes.push_back(std::move(n));
    });
    if (!error.empty()) {
        return Error{error, ErrorKind::config};
    }
    return inv;
}

Result<NodeInventory> load_nodes_file(const std::string& path) {
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    if (st.type() == std::filesystem::file_type::not_found) {
        return NodeInventory{};
    }
    if (!ec && st.type() != std::filesystem::file_type::regular) {
        return Error{path + ": not a regular file", ErrorKind::config};
    }
    auto text = read_text_file(path);
    if (!text) {
        return Error{text.error().message, ErrorKind::config};
    }
    return parse_nodes_file(*text, path);
}

}  // namespace si
