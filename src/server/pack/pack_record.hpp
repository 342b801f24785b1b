#pragma once
// `<tarball>.record`: what a tarball and its .torrent were made from, written last (after both
// renames), so a pair without a matching record is never trusted. Checking it reads only the
// record, the .torrent and lstat data: never the tarball.
//
// Text, one "key value" line each:
//   si-pack-record 1
//   source /var/lib/systemimager/images/x
//   fingerprint <sha1 hex of the walked tree's lstat data>
//   compression gzip|zstd|zstd-delta2|none  (zstd-delta<revision>: BT_DELTA's layout,
//                                            delta_pack.hpp; "zstd-delta" is revision 1)
//   piece_size 1048576
//   tree_bytes 123
//   tarball_size 456
//   tarball_mtime_ns 1700000000123456789
//   info_hash <hex>
//   torrent_sha1 <hex of the .torrent file's bytes>
//   announce http://10.0.0.1:6969/announce
//   web_seeds http://10.0.0.1:6969/tarballs/   (only when the .torrent has a url-list)
#include <cstdint>
#include <string>
#include <string_view>

#include "common/names.hpp"
#include "common/result.hpp"

namespace si {

inline constexpr int pack_record_version = 1;

// The revision of the delta-ready layout this si_btd packs; a pair packed with another is
// packed again. 2: the manifest's nlink counts a file's links inside the image only (revision
// 1 counted links outside it too, which nodes never hold, so their delta installs failed).
inline constexpr int delta_layout_revision = 2;

struct PackRecord {
    int version = pack_record_version;
    std::string source;
    std::string fingerprint;
    Compression compression = Compression::none;
    bool delta = false;                          // delta-ready layout (server/pack/delta_pack.hpp)
    int delta_revision = delta_layout_revision;  // of that layout, when delta
    int piece_size = 0;
    std::uint64_t tree_bytes = 0;
    std::uint64_t tarball_size = 0;
    std::int64_t tarball_mtime_ns = 0;
    std::string info_hash;
    std::string torrent_sha1;
    std::string announce;
    std::string web_seeds;  // the url-list's URLs, separated by single spaces; "": none
};

std::string record_path(const std::string& tarball);  // "<tarball>.record"

std::string format_pack_record(const PackRecord& r);
// Fails with "<file>: line N: reason" on anything it does not understand.
Result<PackRecord> parse_pack_record(std::string_view text, std::string_view file);

// What we know now, to compare with a record.
struct PairState {
    std::string source;
    std::string fingerprint;  // of the tree walked now
    Compression compression = Compression::none;
    bool delta = false;
    std::string tarball;  // paths of the pair
    std::string torrent;
};

enum class PairMatch {
    matches,           // reuse as is
    announce_differs,  // reuse after rewriting the .torrent's trackers and web seeds
    stale,             // repack (reason says why)
};

struct PairCheck {
    PairMatch match = PairMatch::stale;
    std::string reason;         // for stale: "no record", "the tree changed", ...
    PackRecord record;          // when parsed
    std::string torrent_bytes;  // when read
};

// Compares the record beside `state.tarball` with the tree and the pair, without reading the
// tarball. Never fails: anything unreadable or different is `stale` with a reason.
// `announce_url` and `web_seeds` are what the record's lines should say now.
PairCheck check_pair(const PairState& state, const std::string& announce_url,
                     const std::string& web_seeds = "");

// Writes the record atomically (temp file, fsync, rename). Fails with "write <path>: ...".
Status write_pack_record(const std::string& tarball, const PackRecord& r);

// sha1 hex of bytes.
std::string sha1_hex(std::string_view bytes);

}  // namespace si
