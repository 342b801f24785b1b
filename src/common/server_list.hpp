#pragma once
// A list of image servers, "10.0.0.1,10.0.0.2:7000 10.0.0.3": the agent's IMAGESERVER and
// MONITOR_SERVER, and si_btd's BT_PEER_SERVERS (docs/server-howto.md, "Several image
// servers"). Each item is an IPv4 address with an optional port; commas and/or blanks
// separate items, as in every list of bittorrent.conf and the kernel command line.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

struct ServerAddress {
    std::string address;     // dotted IPv4, as written
    std::uint16_t port = 0;  // 0: the caller's default port
    bool operator==(const ServerAddress&) const = default;
};

// The servers in the order written; an item written twice is kept once, where it first
// appears (the order is the order the agent tries them in). Fails (ErrorKind::config) with
// "'x' is not an IPv4 address" or "'x': '99999' is not a port number (1-65535)"; an empty
// text gives an empty list.
Result<std::vector<ServerAddress>> parse_server_list(std::string_view text);

// "10.0.0.1" or "10.0.0.1:7000" (the port written only when set).
std::string format_server(const ServerAddress& server);

// "10.0.0.1, 10.0.0.2:7000" for log lines.
std::string format_server_list(const std::vector<ServerAddress>& servers);

}  // namespace si
