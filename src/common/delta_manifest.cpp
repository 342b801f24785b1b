#include "common/delta_manifest.hpp"

#include <charconv>
#include <set>

#include "common/hex_string.hpp"
#include "common/tree_manifest.hpp"

namespace si {
namespace {

constexpr std::string_view header = "si-delta 1";

Error bad(std::size_t line_no, const std::string& what) {
    return Error{"delta manifest line " + std::to_string(line_no) + ": " + what,
                 ErrorKind::bad_data};
}

std::vector<std::string_view> split_tabs(std::string_view line, std::size_t max_fields) {
    std::vector<std::string_view> out;
    while (out.size() + 1 < max_fields) {
        const auto tab = line.find('\t');
        if (tab == std::string_view::npos) {
            break;
        }
        out.push_back(line.substr(0, tab));
        line.remove_prefix(tab + 1);
    }
    out.push_back(line);
    return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) {
        return std::nullopt;
    }
    return v;
}

}  // namespace

std::optional<std::string> manifest_unescape(std::string_view escaped) {
    std::string out;
    out.reserve(escaped.size());
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] != '%') {
            out += escaped[i];
            continue;
        }
        if (i + 2 >= escaped.size()) {
            return std::nullopt;
        }
        const int hi = hex_digit_value(escaped[i + 1]);
        const int lo = hex_digit_value(escaped[i + 2]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::optional<std::string_view> manifest_field(std::string_view line, std::string_view key) {
    std::size_t pos = line.find(' ');
    while (pos != std::string_view::npos) {
        const std::size_t start = pos + 1;
        const std::size_t end = line.find(' ', start);
        const std::string_view field = line.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (field.size() > key.size() && field.substr(0, key.size()) == key &&
            field[key.size()] == '=') {
            return field.substr(key.size() + 1);
        }
        pos = end;
    }
    return std::nullopt;
}

std::string delta_manifest_text(const DeltaManifest& m) {
    std::string out;
    out += header;
    out += '\n';
    for (const DeltaFrame& f : m.frames) {
        out += "F\t" + std::to_string(f.offset) + "\t" + std::to_string(f.length) + "\n";
    }
    for (const DeltaEntry& e : m.entries) {
        out += "E\t" + std::to_string(e.frame) + "\t";
        out += e.link.empty() ? std::string("-") : manifest_escape(e.link);
        out += "\t";
        out += e.dir_mtime_ns ? std::to_string(*e.dir_mtime_ns) : std::string("-");
        out += "\t" + e.line + "\n";
    }
    return out;
}

Result<DeltaManifest> parse_delta_manifest(std::string_view text) {
    DeltaManifest m;
    std::set<std::string> seen;
    std::size_t line_no = 0;
    bool have_header = false;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos) {
            return bad(line_no + 1, "no newline at the end");
        }
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        ++line_no;
        if (!have_header) {
            if (line != header) {
                return bad(line_no, "not a delta manifest (expected \"si-delta 1\")");
            }
            have_header = true;
            continue;
        }
        if (line.starts_with("F\t")) {
            if (!m.entries.empty()) {
                return bad(line_no, "frame after the first entry");
            }
            const auto f = split_tabs(line, 3);
            const auto off = f.size() == 3 ? parse_int(f[1]) : std::nullopt;
            const auto len = f.size() == 3 ? parse_int(f[2]) : std::nullopt;
            if (!off || !len || *off < 0 || *len <= 0) {
                return bad(line_no, "bad frame record");
            }
            if (!m.frames.empty() && *off < m.frames.back().offset + m.frames.back().length) {
                return bad(line_no, "frame overlaps the one before");
            }
            m.frames.push_back(DeltaFrame{*off, *len});
            continue;
        }
        if (line.starts_with("E\t")) {
            const auto f = split_tabs(line, 5);
            if (f.size() != 5) {
                return bad(line_no, "bad entry record");
            }
            DeltaEntry e;
            const auto frame = parse_int(f[1]);
            if (!frame || *frame < 0 || *frame >= static_cast<std::int64_t>(m.frames.size())) {
                return bad(line_no, "frame " + std::string(f[1]) + " out of range (" +
                                        std::to_string(m.frames.size()) + " frames)");
            }
            e.frame = static_cast<int>(*frame);
            if (f[2] != "-") {
                auto link = manifest_unescape(f[2]);
                if (!link || link->empty() || (*link)[0] != '/') {
                    return bad(line_no, "bad link path");
                }
                if (!seen.contains(*link)) {
                    return bad(line_no,
                               "link to " + std::string(f[2]) + ", which no earlier entry holds");
                }
                e.link = std::move(*link);
            }
            if (f[3] != "-") {
                e.dir_mtime_ns = parse_int(f[3]);
                if (!e.dir_mtime_ns) {
                    return bad(line_no, "bad directory mtime");
                }
            }
            e.line = std::string(f[4]);
            auto path = manifest_unescape(e.line.substr(0, e.line.find(' ')));
            if (!path || path->empty() || (*path)[0] != '/' ||
                e.line.find(' ') == std::string::npos) {
                return bad(line_no, "bad manifest line");
            }
            e.path = std::move(*path);
            if (!seen.insert(e.path).second) {
                return bad(line_no, "entry " + e.path.substr(0, 200) + " listed twice");
            }
            m.entries.push_back(std::move(e));
            continue;
        }
        return bad(line_no, "unknown record");
    }
    if (!have_header) {
        return bad(1, "empty");
    }
    return m;
}

}  // namespace si
