#include "server/pack/pack_record.hpp"

#include <sys/stat.h>

#include <charconv>
#include <sstream>

#include <libtorrent/hasher.hpp>

#include "common/atomic_file.hpp"
#include "common/file_io.hpp"
#include "common/hex_string.hpp"

namespace si {
namespace {

constexpr const char* magic = "si-pack-record";

std::string_view compression_word(Compression c) {
    switch (c) {
        case Compression::gzip:
            return "gzip";
        case Compression::zstd:
            return "zstd";
        case Compression::none:
            break;
    }
    return "none";
}

bool parse_compression(std::string_view w, Compression& c) {
    if (w == "gzip") {
        c = Compression::gzip;
    } else if (w == "zstd") {
        c = Compression::zstd;
    } else if (w == "none") {
        c = Compression::none;
    } else {
        return false;
    }
    return true;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool is_hex40(std::string_view s) {
    return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

std::string record_path(const std::string& tarball) {
    return tarball + ".record";
}

std::string sha1_hex(std::string_view bytes) {
    return hex_string(lt::hasher(bytes.data(), static_cast<int>(bytes.size())).final());
}

std::string format_pack_record(const PackRecord& r) {
    std::ostringstream o;
    o << magic << ' ' << r.version << '\n'
      << "source " << r.source << '\n'
      << "fingerprint " << r.fingerprint << '\n'
      << "compression " << compression_word(r.compression)
      << (!r.delta                ? std::string()
          : r.delta_revision <= 1 ? std::string("-delta")
                                  : "-delta" + std::to_string(r.delta_revision))
      << '\n'
      << "piece_size " << r.piece_size << '\n'
      << "tree_bytes " << r.tree_bytes << '\n'
      << "tarball_size " << r.tarball_size << '\n'
      << "tarball_mtime_ns " << r.tarball_mtime_ns << '\n'
      << "info_hash " << r.info_hash << '\n'
      << "torrent_sha1 " << r.torrent_sha1 << '\n'
      << "announce " << r.announce << '\n';
    if (!r.web_seeds.empty()) {
        o << "web_seeds " << r.web_seeds << '\n';
    }
    return o.str();
}

Result<PackRecord> parse_pack_record(std::string_view text, std::string_view file) {
    PackRecord r;
    int line_no = 0;
    unsigned seen = 0;  // one bit per key
    std::size_t pos = 0;
    auto bad = [&](const std::string& why) {
        return Error{std::string(file) + ": line " + std::to_string(line_no) + ": " + why};
    };
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            return Error{std::string(file) + ": truncated (no final newline)"};
        }
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos) {
            return bad("not a 'key value' line");
        }
        std::string_view key = line.substr(0, sp);
        std::string_view value = line.substr(sp + 1);
        bool ok = true;
        unsigned bit = 0;
        if (line_no == 1) {
            ok = key == magic && parse_number(value, r.version) && r.version == pack_record_version;
            if (!ok) {
                return bad("not a version " + std::to_string(pack_record_version) + " pack record");
            }
            continue;
        }
        if (key == "source") {
            r.source = value, bit = 1;
        } else if (key == "fingerprint") {
            r.fingerprint = value, bit = 2, ok = is_hex40(value);
        } else if (key == "compression") {
            r.delta = value.starts_with("zstd-delta");
            if (r.delta) {
                const std::string_view revision = value.substr(10);
                r.delta_revision = 1;
                ok = revision.empty() ||
                     (parse_number(revision, r.delta_revision) && r.delta_revision > 1);
            }
            bit = 4, ok = ok && parse_compression(r.delta ? "zstd" : value, r.compression);
        } else if (key == "piece_size") {
            bit = 8, ok = parse_number(value, r.piece_size) && r.piece_size > 0;
        } else if (key == "tree_bytes") {
            bit = 16, ok = parse_number(value, r.tree_bytes);
        } else if (key == "tarball_size") {
            bit = 32, ok = parse_number(value, r.tarball_size);
        } else if (key == "tarball_mtime_ns") {
            bit = 64, ok = parse_number(value, r.tarball_mtime_ns);
        } else if (key == "info_hash") {
            r.info_hash = value, bit = 128, ok = is_hex40(value);
        } else if (key == "torrent_sha1") {
            r.torrent_sha1 = value, bit = 256, ok = is_hex40(value);
        } else if (key == "announce") {
            r.announce = value, bit = 512, ok = !value.empty();
        } else if (key == "web_seeds") {
            // Optional (records before BT_WEB_SEEDS have none): no bit.
            r.web_seeds = value, ok = !value.empty();
        } else {
            return bad("unknown key " + std::string(key));
        }
        if (!ok) {
            return bad("bad value for " + std::string(key));
        }
        seen |= bit;
    }
    if (line_no == 0) {
        return Error{std::string(file) + ": empty"};
    }
    if (seen != 1023) {
        return Error{std::string(file) + ": incomplete (keys missing)"};
    }
    return r;
}

PairCheck check_pair(const PairState& state, const std::string& announce_url,
                     const std::string& web_seeds) {
    PairCheck c;
    std::string rpath = record_path(state.tarball);
    auto text = read_text_file(rpath);
    if (!text) {
        c.reason = "no record (" + text.error().message + ")";
        return c;
    }
    auto rec = parse_pack_record(*text, rpath);
    if (!rec) {
        c.reason = "unreadable record: " + rec.error().message;
        return c;
    }
    c.record = *rec;
    const PackRecord& r = c.record;
    if (r.source != state.source) {
        c.reason = "the record names another source (" + r.source + ")";
        return c;
    }
    if (r.compression != state.compression || r.delta != state.delta) {
        c.reason = "the compression changed";
        return c;
    }
    if (r.delta && r.delta_revision != delta_layout_revision) {
        c.reason = "packed delta-ready by an older si_btd (layout revision " +
                   std::to_string(r.delta_revision) + ", now " +
                   std::to_string(delta_layout_revision) + ")";
        return c;
    }
    if (r.fingerprint != state.fingerprint) {
        c.reason = "the tree changed since it was packed";
        return c;
    }
    struct stat st {};
    if (lstat(state.tarball.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        c.reason = "the tarball is missing";
        return c;
    }
    std::int64_t mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (static_cast<std::uint64_t>(st.st_size) != r.tarball_size ||
        mtime_ns != r.tarball_mtime_ns) {
        c.reason = "the tarball was modified after packing";
        return c;
    }
    auto torrent = read_text_file(state.torrent);
    if (!torrent) {
        c.reason = "the torrent is missing";
        return c;
    }
    if (sha1_hex(*torrent) != r.torrent_sha1) {
        c.reason = "the torrent does not match its record";
        return c;
    }
    c.torrent_bytes = std::move(*torrent);
    c.match = r.announce == announce_url && r.web_seeds == web_seeds ? PairMatch::matches
                                                                     : PairMatch::announce_differs;
    return c;
}

Status write_pack_record(const std::string& tarball, const PackRecord& r) {
    return write_file_atomically(record_path(tarball), format_pack_record(r), 0644);
}

}  // namespace si
