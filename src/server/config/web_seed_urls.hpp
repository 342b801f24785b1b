#pragma once
// The web seeds a .torrent names (BT_WEB_SEEDS; docs/server-howto.md, "Web seeds"): BEP 19's
// url-list, web servers that hold the tarballs and answer byte-range GETs, so that any plain
// web server (nginx, or si_btd's own /tarballs/) helps the seeder.
//
// Our torrents hold one file, and BEP 19 reads a single-file torrent's URL ending in '/' as a
// directory to which the client appends the info dictionary's name (the tarball's file name);
// every URL here ends in '/', so one list serves every image. The url-list is a key of the
// .torrent's top level, outside the info dictionary: the info-hash does not depend on it.
#include <cstdint>
#include <string>
#include <vector>

namespace si {

// si_btd's own web seed: http://<address>:<port>/tarballs/ (server/web_front.hpp).
std::string own_web_seed_url(const std::string& address, std::uint16_t port);

// BT_WEB_SEEDS' checked words (common/bt_config.hpp: "self" or URLs ending in '/') as URLs, in
// the order listed: "self" becomes own_web_seed_url(address, port); a URL listed twice is
// kept once. Never fails; empty when none.
std::vector<std::string> web_seed_urls(const std::vector<std::string>& listed,
                                       const std::string& address, std::uint16_t port);

}  // namespace si
