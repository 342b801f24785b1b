#include "agent/delta_plan.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

namespace si {
namespace {

bool stamp_key(std::string_view token) {
    return token.starts_with("mode=") || token.starts_with("uid=") || token.starts_with("gid=") ||
           token.starts_with("mtime=");
}

// The next token of a manifest line that is not a stamp key; "" at the end.
std::string_view next_kept(std::string_view& rest) {
    while (!rest.empty()) {
        const auto sp = rest.find(' ');
        const std::string_view token = rest.substr(0, sp);
        rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
        if (!stamp_key(token)) {
            return token;
        }
    }
    return {};
}

std::string_view path_token(std::string_view line) {
    return line.substr(0, line.find(' '));
}

std::string_view type_of(std::string_view line) {
    const auto at = line.find(" type=");
    return at == std::string_view::npos ? std::string_view() : line.substr(at + 6, 1);
}

std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

bool same_but_stamp(std::string_view image_line, std::string_view local_line) {
    std::string_view a = image_line;
    std::string_view b = local_line;
    for (;;) {
        const std::string_view x = next_kept(a);
        const std::string_view y = next_kept(b);
        if (x != y) {
            return false;
        }
        if (x.empty()) {
            return true;
        }
    }
}

DeltaPlan plan_delta(const DeltaManifest& image, std::span<const std::string> local_lines,
                     const std::map<std::string, std::uint64_t>& local_inode,
                     std::int64_t stream_bytes, int piece_length) {
    DeltaPlan plan;
    const std::size_t n = image.entries.size();
    // Root entries by escaped path (the lines' first token; the image's use the same escape).
    std::unordered_map<std::string_view, std::string_view> local;
    local.reserve(local_lines.size());
    for (const std::string& line : local_lines) {
        local.emplace(path_token(line), line);
    }

    std::vector<char> held(n, 0);
    std::vector<char> stamp(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const DeltaEntry& e = image.entries[i];
        auto it = local.find(path_token(e.line));
        if (it != local.end() && same_but_stamp(e.line, it->second)) {
            held[i] = 1;
            stamp[i] = it->second != e.line ? 1 : 0;
        }
    }
    std::vector<char> frame_needed(image.frames.size(), 0);
    // The last frame ends with tar's end-of-archive records: the unpacker needs them to end.
    if (!frame_needed.empty()) {
        frame_needed.back() = 1;
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (!held[i]) {
            frame_needed[static_cast<std::size_t>(image.entries[i].frame)] = 1;
        }
    }

    // Hard-link groups: the entry holding the data and the entries linking to it.
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < n; ++i) {
        if (!image.entries[i].link.empty()) {
            groups[image.entries[i].link].push_back(i);
        }
    }
    std::unordered_map<std::string, std::size_t> index_of;
    for (std::size_t i = 0; i < n; ++i) {
        if (groups.contains(image.entries[i].path)) {
            index_of.emplace(image.entries[i].path, i);
        }
    }
    std::vector<std::vector<std::size_t>> members;
    for (auto& [data_path, links] : groups) {
        auto d = index_of.find(data_path);
        if (d == index_of.end()) {
            continue;  // the parser refuses such a manifest
        }
        std::vector<std::size_t> group{d->second};
        group.insert(group.end(), links.begin(), links.end());
        // The root must hold them as one inode; otherwise every member is unpacked.
        std::optional<std::uint64_t> inode;
        bool one_inode = true;
        for (std::size_t i : group) {
            auto ino = local_inode.find(image.entries[i].path);
            if (ino == local_inode.end() || (inode && *inode != ino->second)) {
                one_inode = false;
                break;
            }
            inode = ino->second;
        }
        if (!one_inode) {
            for (std::size_t i : group) {
                frame_needed[static_cast<std::size_t>(image.entries[i].frame)] = 1;
            }
        }
        members.push_back(std::move(group));
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& group : members) {
            const bool any = std::any_of(group.begin(), group.end(), [&](std::size_t i) {
                return frame_needed[static_cast<std::size_t>(image.entries[i].frame)] != 0;
            });
            if (!any) {
                continue;
            }
            for (std::size_t i : group) {
                char& f = frame_needed[static_cast<std::size_t>(image.entries[i].frame)];
                if (f == 0) {
                    f = 1;
                    changed = true;
                }
            }
        }
    }

    plan.skip_frame.resize(image.frames.size());
    for (std::size_t f = 0; f < image.frames.size(); ++f) {
        plan.skip_frame[f] = frame_needed[f] ? 0 : 1;
        if (!plan.skip_frame[f]) {
            continue;
        }
        const DeltaFrame& fr = image.frames[f];
        if (!plan.skipped.empty() &&
            plan.skipped.back().offset + plan.skipped.back().length == fr.offset) {
            plan.skipped.back().length += fr.length;
        } else {
            plan.skipped.push_back(ByteRange{fr.offset, fr.length});
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        const DeltaEntry& e = image.entries[i];
        if (!plan.skip_frame[static_cast<std::size_t>(e.frame)]) {
            continue;
        }
        ++plan.held_entries;
        if (e.link.empty() && type_of(e.line) == "f") {
            const auto size = manifest_field(e.line, "size");
            plan.held_bytes += size ? std::stoll(std::string(*size)) : 0;
        }
        if (stamp[i] || e.dir_mtime_ns) {
            plan.restamp.push_back(i);
        }
    }

    // Pieces: needed unless a skipped range covers every byte.
    const int pieces =
        piece_length > 0 ? static_cast<int>((stream_bytes + piece_length - 1) / piece_length) : 0;
    plan.needed_pieces.assign(static_cast<std::size_t>(pieces), 1);
    std::size_t r = 0;
    for (int p = 0; p < pieces; ++p) {
        const std::int64_t start = static_cast<std::int64_t>(p) * piece_length;
        const std::int64_t end = std::min(stream_bytes, start + piece_length);
        while (r < plan.skipped.size() &&
               plan.skipped[r].offset + plan.skipped[r].length <= start) {
            ++r;
        }
        if (r < plan.skipped.size() && plan.skipped[r].offset <= start &&
            plan.skipped[r].offset + plan.skipped[r].length >= end) {
            plan.needed_pieces[static_cast<std::size_t>(p)] = 0;
            continue;
        }
        ++plan.needed_piece_count;
        plan.needed_bytes += end - start;
    }

    // Removals: what the image lacks, and what changes type; the topmost of each subtree.
    std::unordered_map<std::string_view, std::string_view> image_line;
    image_line.reserve(n);
    for (const DeltaEntry& e : image.entries) {
        image_line.emplace(path_token(e.line), e.line);
    }
    std::set<std::string> removed;
    for (const std::string& line : local_lines) {
        auto it = image_line.find(path_token(line));
        if (it != image_line.end() && type_of(it->second) == type_of(line)) {
            continue;
        }
        auto raw = manifest_unescape(path_token(line));
        if (raw && *raw != "/") {
            removed.insert(std::move(*raw));
        }
    }
    for (const std::string& p : removed) {
        bool under = false;
        for (std::string up = parent_of(p); up != "/"; up = parent_of(up)) {
            if (removed.contains(up)) {
                under = true;
                break;
            }
        }
        if (!under) {
            plan.remove.push_back(p);
        }
    }
    return plan;
}

}  // namespace si
