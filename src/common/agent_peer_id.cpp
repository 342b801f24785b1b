#include "common/agent_peer_id.hpp"

#include <algorithm>

namespace si {

std::string agent_peer_fingerprint(std::string_view version) {
    std::string id = "-";
    id += agent_client_code;
    for (int part = 0; part < 3; ++part) {
        int value = 0;
        bool any = false;
        while (!version.empty() && version.front() >= '0' && version.front() <= '9') {
            value = std::min(10 * value + (version.front() - '0'), 9);
            version.remove_prefix(1);
            any = true;
        }
        id += static_cast<char>('0' + (any ? value : 0));
        if (!version.empty() && version.front() == '.') {
            version.remove_prefix(1);
        }
    }
    id += "0-";
    return id;
}

}  // namespace si
