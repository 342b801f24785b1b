#pragma once
#include <string>

#include "common/result.hpp"

namespace si {

// BT_INTERFACE as written: an IPv4 address is taken as it is; otherwise it names an interface
// whose first IPv4 address (getifaddrs) is returned. Fails (ErrorKind::address) with
// "interface eth9 not found (have: lo, eth0)" or "interface eth0 has no IPv4 address".
Result<std::string> resolve_interface_address(const std::string& interface_or_address);

}  // namespace si
