#include "server/config/tracker_tiers.hpp"

#include <algorithm>

#include "server/config/server_settings.hpp"

namespace si {

std::vector<std::string> tracker_tiers(const std::string& own_address, std::uint16_t own_port,
                                       const std::vector<ServerAddress>& peers) {
    std::vector<std::string> tiers{announce_url(own_address, own_port)};
    for (const ServerAddress& peer : peers) {
        std::string url = announce_url(peer.address, peer.port != 0 ? peer.port : own_port);
        if (std::find(tiers.begin(), tiers.end(), url) == tiers.end()) {
            tiers.push_back(std::move(url));
        }
    }
    return tiers;
}

std::string announce_record(const std::vector<std::string>& tiers) {
    std::string out;
    for (const std::string& url : tiers) {
        out += (out.empty() ? "" : " ") + url;
    }
    return out;
}

}  // namespace si
