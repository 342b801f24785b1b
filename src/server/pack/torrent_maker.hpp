#pragma once
// The .torrent of one tarball: v1 only, one file named after the tarball, the piece hashes
// computed while packing, the trackers' announce URLs, a fixed "created by" and no creation
// date, so the bytes depend only on the tarball and the URLs, and the info-hash only on the
// tarball. The trackers (BEP 3, BEP 12) and the web seeds (BEP 19's url-list) are keys of the
// top level, outside the info dictionary.
#include <cstdint>
#include <string>
#include <vector>

#include <libtorrent/sha1_hash.hpp>

#include "common/result.hpp"

namespace si {

struct TorrentFile {
    std::string bytes;          // the bencoded .torrent
    std::string info_hash_hex;  // v1 info-hash, 40 lowercase hex digits
};

struct TorrentSpec {
    std::string file_name;  // the tarball's file name (no directory)
    std::uint64_t file_size = 0;
    int piece_size = 0;
    std::vector<lt::sha1_hash> piece_hashes;
    std::string announce_url;
    // The other image servers' trackers (server/config/tracker_tiers.hpp), one BEP 12 tier each
    // after announce_url's; none: no announce-list, as before several servers.
    std::vector<std::string> more_trackers;
    // BEP 19 web seeds (server/config/web_seed_urls.hpp), each ending in '/'; none: no url-list.
    std::vector<std::string> web_seeds;
};

// Fails (ErrorKind::bad_data) when the spec is inconsistent (wrong number of hashes).
Result<TorrentFile> make_torrent(const TorrentSpec& spec);

// The same torrent announcing to another URL (and `more_trackers`, one tier each after it), with
// `web_seeds` as its url-list (none: no url-list): the info dictionary is kept byte for byte,
// so the info-hash does not change and nothing needs rehashing; the bytes are those
// make_torrent gives for the same spec. Fails when `bytes` is not a torrent.
Result<TorrentFile> reannounce_torrent(const std::string& bytes, const std::string& announce_url,
                                       const std::vector<std::string>& more_trackers = {},
                                       const std::vector<std::string>& web_seeds = {});

// The info-hash of a bencoded torrent; fails when it cannot be parsed.
Result<std::string> torrent_info_hash(const std::string& bytes);

// "si_btd <version>"
std::string torrent_creator();

}  // namespace si
