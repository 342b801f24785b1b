#include "server/config/web_seed_urls.hpp"

#include <algorithm>

namespace si {

std::string own_web_seed_url(const std::string& address, std::uint16_t port) {
    return "http://" + address + ":" + std::to_string(port) + "/tarballs/";
}

std::vector<std::string> web_seed_urls(const std::vector<std::string>& listed,
                                       const std::string& address, std::uint16_t port) {
    std::vector<std::string> out;
    for (const std::string& word : listed) {
        std::string url = word == "self" ? own_web_seed_url(address, port) : word;
        if (std::find(out.begin(), out.end(), url) == out.end()) {
            out.push_back(std::move(url));
        }
    }
    return out;
}

}  // namespace si
