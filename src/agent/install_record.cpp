#include "agent/install_record.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>

#include "agent/incomplete_mark.hpp"
#include "common/atomic_file.hpp"
#include "common/file_io.hpp"
#include "common/hex_string.hpp"
#include "common/text_lines.hpp"

namespace si {
namespace {

constexpr std::string_view header = "# si_btagent install record";
constexpr int record_format = 1;

std::string record_path(const std::string& root) {
    return (root.empty() || root.back() != '/' ? root + "/" : root) + install_record_name;
}

std::vector<std::string_view> words_of(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t at = 0;
    while (at < line.size()) {
        const std::size_t end = line.find(' ', at);
        const std::size_t stop = end == std::string_view::npos ? line.size() : end;
        if (stop > at) {
            out.push_back(line.substr(at, stop - at));
        }
        at = stop + 1;
    }
    return out;
}

template <typename T>
bool to_number(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// "<a>/<b>" into two numbers.
template <typename T>
bool to_fraction(std::string_view s, T& a, T& b) {
    const auto slash = s.find('/');
    return slash != std::string_view::npos && to_number(s.substr(0, slash), a) &&
           to_number(s.substr(slash + 1), b);
}

bool is_hex(std::string_view s, std::size_t len) {
    if (s.size() != len) {
        return false;
    }
    for (const char c : s) {
        if (hex_digit_value(c) < 0 || (c >= 'A' && c <= 'F')) {
            return false;
        }
    }
    return true;
}

Error bad(int line, const std::string& why) {
    return Error{"line " + std::to_string(line) + ": " + why, ErrorKind::bad_data};
}

std::string packs_text(const InstallTarget& t) {
    std::string out = t.image.name;
    for (const PackIdentity& o : t.overrides) {
        out += " + " + o.name;
    }
    return out;
}

}  // namespace

std::vector<std::string> record_manifest_excludes() {
    return {std::string("/") + install_record_name, std::string("/") + incomplete_mark_name};
}

std::string format_install_record(const InstallRecord& r) {
    const InstallTarget& t = r.target;
    const InstallProof& p = r.proof;
    std::string out = std::string(header) + "\nformat " + std::to_string(record_format) + "\n";
    out += "image " + t.image.name + " " + t.image.info_hash + "\n";
    for (const PackIdentity& o : t.overrides) {
        out += "override " + o.name + " " + o.info_hash + "\n";
    }
    out += "layout " + (t.layout_digest.empty() ? std::string("-") : t.layout_digest) + "\n";
    out += "hostname " + (t.hostname.empty() ? std::string("-") : t.hostname) + "\n";
    out += "proof pieces=" + std::to_string(p.pieces_verified) + "/" +
           std::to_string(p.pieces_total) + " archive=" + (p.archive_end ? "end" : "open") +
           " overrides=" + std::to_string(p.overrides_applied) + "/" +
           std::to_string(p.overrides_fetched) + " entries=" + std::to_string(p.entries) +
           " bytes=" + std::to_string(p.bytes) + "\n";
    out += "installed " + std::to_string(r.installed_at) + "\n";
    const std::string manifest = manifest_text(r.manifest);
    out += "manifest " + std::to_string(r.manifest.size()) + " " + sha256_hex(manifest) + "\n";
    out += manifest;
    return out;
}

Result<InstallRecord> parse_install_record(std::string_view text) {
    InstallRecord r;
    std::optional<Error> error;
    // The item each line may be, in order: header, format, image, override*, layout, hostname,
    // proof, installed, manifest, then the manifest's lines.
    enum class Want {
        header,
        format,
        image,
        overrides,
        hostname,
        proof,
        installed,
        manifest,
        body
    };
    Want want = Want::header;
    std::size_t manifest_lines = 0;
    std::string manifest_digest;
    int last_line = 0;
    for_each_line(text, [&](int n, std::string_view line) {
        last_line = n;
        if (error) {
            return;
        }
        if (want == Want::body) {
            r.manifest.emplace_back(line);
            return;
        }
        const auto w = words_of(line);
        const std::string_view key = w.empty() ? std::string_view() : w[0];
        auto fail = [&](const std::string& why) { error = bad(n, why); };
        switch (want) {
            case Want::header:
                if (line != header) {
                    return fail("not an install record (the first line is not '" +
                                std::string(header) + "')");
                }
                want = Want::format;
                return;
            case Want::format: {
                int f = 0;
                if (key != "format" || w.size() != 2 || !to_number(w[1], f)) {
                    return fail("expected 'format <n>'");
                }
                if (f != record_format) {
                    return fail("format " + std::string(w[1]) + " is not known (this agent reads " +
                                std::to_string(record_format) + ")");
                }
                want = Want::image;
                return;
            }
            case Want::image:
                if (key != "image" || w.size() != 3 || !is_hex(w[2], 40)) {
                    return fail("expected 'image <name> <info-hash>'");
                }
                r.target.image = {std::string(w[1]), std::string(w[2])};
                want = Want::overrides;
                return;
            case Want::overrides:
                if (key == "override") {
                    if (w.size() != 3 || !is_hex(w[2], 40)) {
                        return fail("expected 'override <name> <info-hash>'");
                    }
                    r.target.overrides.push_back({std::string(w[1]), std::string(w[2])});
                    return;
                }
                if (key != "layout" || w.size() != 2 || (w[1] != "-" && !is_hex(w[1], 64))) {
                    return fail("expected 'override <name> <info-hash>' or 'layout <digest|->'");
                }
                r.target.layout_digest = w[1] == "-" ? "" : std::string(w[1]);
                want = Want::hostname;
                return;
            case Want::hostname:
                if (key != "hostname" || w.size() != 2) {
                    return fail("expected 'hostname <name|->'");
                }
                r.target.hostname = w[1] == "-" ? "" : std::string(w[1]);
                want = Want::proof;
                return;
            case Want::proof: {
                InstallProof& p = r.proof;
                if (key != "proof" || w.size() != 6 || w[1].substr(0, 7) != "pieces=" ||
                    !to_fraction(w[1].substr(7), p.pieces_verified, p.pieces_total) ||
                    (w[2] != "archive=end" && w[2] != "archive=open") ||
                    w[3].substr(0, 10) != "overrides=" ||
                    !to_fraction(w[3].substr(10), p.overrides_applied, p.overrides_fetched) ||
                    w[4].substr(0, 8) != "entries=" || !to_number(w[4].substr(8), p.entries) ||
                    w[5].substr(0, 6) != "bytes=" || !to_number(w[5].substr(6), p.bytes)) {
                    return fail(
                        "expected 'proof pieces=<v>/<t> archive=<end|open> overrides=<a>/<f> "
                        "entries=<n> bytes=<n>'");
                }
                p.archive_end = w[2] == "archive=end";
                want = Want::installed;
                return;
            }
            case Want::installed:
                if (key != "installed" || w.size() != 2 || !to_number(w[1], r.installed_at)) {
                    return fail("expected 'installed <seconds>'");
                }
                want = Want::manifest;
                return;
            case Want::manifest:
                if (key != "manifest" || w.size() != 3 || !to_number(w[1], manifest_lines) ||
                    !is_hex(w[2], 64)) {
                    return fail("expected 'manifest <lines> <digest>'");
                }
                manifest_digest = std::string(w[2]);
                want = Want::body;
                return;
            case Want::body:
                return;
        }
    });
    if (error) {
        return *error;
    }
    if (want != Want::body) {
        return bad(last_line + 1, "the record ends before its manifest");
    }
    if (r.manifest.size() != manifest_lines) {
        return bad(last_line, "the manifest has " + std::to_string(r.manifest.size()) +
                                  " lines, its header says " + std::to_string(manifest_lines) +
                                  " (cut short or edited)");
    }
    if (sha256_hex(manifest_text(r.manifest)) != manifest_digest) {
        return bad(last_line, "the manifest's digest does not match its header (edited)");
    }
    return r;
}

Status write_install_record(const std::string& root, const InstallRecord& record) {
    struct stat st {};
    const bool have_times = ::stat(root.c_str(), &st) == 0;
    if (auto w = write_file_atomically(record_path(root), format_install_record(record), 0644);
        !w) {
        return w;
    }
    // The root's mtime is the image's: a record beside it must not change it.
    if (have_times) {
        const timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
        if (::utimensat(AT_FDCWD, root.c_str(), times, 0) != 0) {
            return Error{"record: restore times of " + root + ": " + std::strerror(errno),
                         io_error_kind(errno)};
        }
    }
    return Ok{};
}

std::optional<std::string> record_mismatch(const InstallRecord& record,
                                           const InstallTarget& target) {
    const InstallTarget& was = record.target;
    if (was.image.name != target.image.name || was.overrides.size() != target.overrides.size()) {
        return "the disk holds " + packs_text(was) + ", this node is to install " +
               packs_text(target);
    }
    for (std::size_t i = 0; i < target.overrides.size(); ++i) {
        if (was.overrides[i].name != target.overrides[i].name) {
            return "the disk holds " + packs_text(was) + ", this node is to install " +
                   packs_text(target);
        }
    }
    if (was.image.info_hash != target.image.info_hash) {
        return "image " + target.image.name + " changed (info-hash " + was.image.info_hash +
               " on the disk, " + target.image.info_hash + " served)";
    }
    for (std::size_t i = 0; i < target.overrides.size(); ++i) {
        if (was.overrides[i].info_hash != target.overrides[i].info_hash) {
            return "override " + target.overrides[i].name + " changed (info-hash " +
                   was.overrides[i].info_hash + " on the disk, " + target.overrides[i].info_hash +
                   " served)";
        }
    }
    if (was.layout_digest != target.layout_digest) {
        return was.layout_digest.empty() || target.layout_digest.empty()
                   ? std::string("the disk was installed ") +
                         (was.layout_digest.empty() ? "into SI_TARGET" : "from a disk layout") +
                         ", this install is " +
                         (target.layout_digest.empty() ? "into SI_TARGET" : "from a disk layout")
                   : std::string("the image's disk layout changed");
    }
    if (was.hostname != target.hostname) {
        return "hostname " + (was.hostname.empty() ? std::string("(none)") : was.hostname) +
               " on the disk, " + (target.hostname.empty() ? "(none)" : target.hostname) + " now";
    }
    return std::nullopt;
}

bool reimage_in_place(const InstallRecord& on_disk, const InstallTarget& target) {
    return !target.layout_digest.empty() && on_disk.target.layout_digest == target.layout_digest;
}

HeldVerdict check_held(const std::string& root, const InstallTarget& target, KnownContents* learn) {
    HeldVerdict v;
    const std::string path = record_path(root);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        v.reason = "no install record (" + path + ")";
        return v;
    }
    auto text = read_text_file(path);
    if (!text) {
        v.reason = "install record: " + text.error().message;
        return v;
    }
    auto record = parse_install_record(*text);
    if (!record) {
        v.reason = "install record " + path + ": " + record.error().message;
        return v;
    }
    v.recorded = true;
    v.record = *record;
    const std::string mark = (root.back() == '/' ? root : root + "/") + incomplete_mark_name;
    if (::lstat(mark.c_str(), &st) == 0) {
        v.reason = "the root carries " + mark + " (an install stopped half-way)";
        return v;
    }
    if (auto why = record_mismatch(*record, target)) {
        v.reason = *why;
        return v;
    }
    const auto start = std::chrono::steady_clock::now();
    ManifestOptions options;
    options.exclude = record_manifest_excludes();
    options.learn = learn;
    auto fresh = build_tree_manifest(root, options);
    v.scan_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!fresh) {
        v.reason = fresh.error().message;
        return v;
    }
    v.scanned_bytes = fresh->content_bytes;
    v.scanned_entries = fresh->entries;
    if (auto diff = first_manifest_difference(record->manifest, fresh->lines)) {
        v.reason = "differs: " + *diff;
        return v;
    }
    v.held = true;
    v.record = std::move(*record);
    return v;
}

}  // namespace si
