#pragma once
// One torrent the image server serves: what the tracker and its HTTP front share.
#include <string>

namespace si {

struct ServedTorrent {
    std::string info_hash_hex;  // 40 lowercase hex digits
    std::string file_name;      // e.g. "image-suse10.tar.gz.torrent", in the torrent directory
};

}  // namespace si
