#include "common/interface_address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace si {

Result<std::string> resolve_interface_address(const std::string& name) {
    in_addr parsed{};
    if (inet_pton(AF_INET, name.c_str(), &parsed) == 1) {
        return name;
    }
    ifaddrs* raw = nullptr;
    if (getifaddrs(&raw) != 0) {
        return Error{std::string("getifaddrs: ") + std::strerror(errno), ErrorKind::address};
    }
    std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> list(raw, &freeifaddrs);
    bool found = false;
    std::vector<std::string> names;
    for (ifaddrs* it = list.get(); it != nullptr; it = it->ifa_next) {
        if (it->ifa_name == nullptr) {
            continue;
        }
        std::string ifname = it->ifa_name;
        bool seen = false;
        for (const auto& n : names) {
            seen = seen || n == ifname;
        }
        if (!seen) {
            names.push_back(ifname);
        }
        if (ifname != name) {
            continue;
        }
        found = true;
        if (it->ifa_addr != nullptr && it->ifa_addr->sa_family == AF_INET) {
            char buf[INET_ADDRSTRLEN] = {};
            const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
            inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
            return std::string(buf);
        }
    }
    if (found) {
        return Error{"interface " + name + " has no IPv4 address", ErrorKind::address};
    }
    std::string have;
    for (const auto& n : names) {
        have += (have.empty() ? "" : ", ") + n;
    }
    return Error{"interface " + name + " not found (have: " + have + ")", ErrorKind::address};
}

}  // namespace si
