#pragma once
// Everything si_btd and si_installbtimage read at start, checked, in one place.
#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/config/server_settings.hpp"

namespace si {

struct LoadedConfig {
    BtConfig bt;
    ServerDirs dirs;
    std::string address;  // BT_INTERFACE resolved to an IPv4 address
    ServerSettings settings;
    std::vector<std::string> warnings;  // config warnings, for the log
};

// Reads bittorrent.conf and systemimager.conf and resolves BT_INTERFACE.
// Fails with one line and ErrorKind::config or ErrorKind::address.
Result<LoadedConfig> load_server_config(const std::string& bt_conf_path,
                                        const std::string& si_conf_path);

}  // namespace si
