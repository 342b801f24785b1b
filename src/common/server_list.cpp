#include "common/server_list.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "common/list_split.hpp"

namespace si {
namespace {

bool is_ipv4(const std::string& s) {
    in_addr a{};
    return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

Error bad(std::string why) {
    return Error{std::move(why), ErrorKind::config};
}

}  // namespace

Result<std::vector<ServerAddress>> parse_server_list(std::string_view text) {
    std::vector<ServerAddress> out;
    for (const std::string& item : split_list(text).items) {
        ServerAddress server;
        const auto colon = item.find(':');
        server.address = item.substr(0, colon);
        if (!is_ipv4(server.address)) {
            return bad("'" + item + "' is not an IPv4 address");
        }
        if (colon != std::string::npos) {
            const std::string port = item.substr(colon + 1);
            unsigned value = 0;
            const char* end = port.data() + port.size();
            auto [p, ec] = std::from_chars(port.data(), end, value);
            if (port.empty() || ec != std::errc() || p != end || value == 0 || value > 65535) {
                return bad("'" + item + "': '" + port + "' is not a port number (1-65535)");
            }
            server.port = static_cast<std::uint16_t>(value);
        }
        if (std::find(out.begin(), out.end(), server) == out.end()) {
            out.push_back(std::move(server));
        }
    }
    return out;
}

std::string format_server(const ServerAddress& server) {
    return server.port == 0 ? server.address : server.address + ":" + std::to_string(server.port);
}

std::string format_server_list(const std::vector<ServerAddress>& servers) {
    std::string out;
    for (const ServerAddress& s : servers) {
        out += (out.empty() ? "" : ", ") + format_server(s);
    }
    return out;
}

}  // namespace si
