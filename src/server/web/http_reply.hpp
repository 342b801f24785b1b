#pragma once
// One answer of si_btd's web front (server/web_front.hpp): the tracker's announces and
// .torrents, the operator's pages and the disk layouts all answer with it.
#include <string>
#include <utility>
#include <vector>

namespace si {

struct HttpReply {
    unsigned status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // beyond Server/Content-Type
};

inline constexpr const char* bencode_content_type = "text/plain";
inline constexpr const char* text_content_type = "text/plain; charset=utf-8";
inline constexpr const char* torrent_content_type = "application/x-bittorrent";

}  // namespace si
