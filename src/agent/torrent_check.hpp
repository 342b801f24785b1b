#pragma once
// The .torrent the image server sent, parsed and checked before anyone trusts it: bytes from
// the network in, libtorrent's torrent_info out. Pure (no I/O); torrent_fetch.hpp fetches.
#include <memory>
#include <string>
#include <string_view>

#include <libtorrent/torrent_info.hpp>

#include "common/result.hpp"

namespace si {

// A .torrent of si_btd's holds at most max_pieces (16,384) SHA-1 hashes, about 320 KiB
// (server/pack/piece_hasher.hpp); this leaves room for images far beyond its piece limits. Larger
// bytes are not a torrent of ours.
inline constexpr std::size_t max_torrent_bytes = 8 * 1024 * 1024;

// Parses `bytes` (the body of GET /torrents/<file_name>) and checks that it describes exactly
// the single file `tarball`. Fails with ErrorKind::bad_data: "image-a.tar.gz.torrent: not a
// valid torrent: <libtorrent's reason>", "... expected the single file image-a.tar.gz", or
// "... 9000000 bytes, over the 8 MiB a .torrent of si_btd's may be".
Result<std::shared_ptr<const lt::torrent_info>> check_torrent(std::string_view bytes,
                                                              const std::string& file_name,
                                                              const std::string& tarball);

}  // namespace si
