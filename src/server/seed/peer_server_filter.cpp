#include "server/seed/peer_server_filter.hpp"

namespace si {

lt::ip_filter peer_server_filter(const std::vector<ServerAddress>& peers,
                                 const std::string& own_address) {
    lt::ip_filter filter;
    for (const ServerAddress& peer : peers) {
        if (peer.address == own_address) {
            continue;
        }
        boost::system::error_code ec;
        const lt::address a = lt::make_address(peer.address, ec);
        if (!ec) {
            filter.add_rule(a, a, lt::ip_filter::blocked);
        }
    }
    return filter;
}

}  // namespace si
