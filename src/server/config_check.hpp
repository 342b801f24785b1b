#pragma once
// `si_btd --check`: bittorrent.conf and systemimager.conf read and checked as a start reads
// them (load_server_config), then what a start would trip over next, without binding a port,
// taking BT_TRACKER_STATE's lock, creating a file or packing: ports that clash, and log and
// state paths that cannot be written. A running si_btd does not make the check fail.
#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/config/server_settings.hpp"

namespace si {

struct ConfigCheck {
    // Every problem found, one line each ("file:line: KEY: reason" where the file says it),
    // in the order a start meets them. Empty: a start would accept the configuration.
    std::vector<Error> problems;
    // What a start logs as warnings (unknown keys, spaces in lists, image trees missing).
    std::vector<std::string> warnings;
};

// Checks bittorrent.conf at `bt_conf_path` and systemimager.conf at `si_conf_path`.
ConfigCheck check_server_config(const std::string& bt_conf_path, const std::string& si_conf_path);

// Pure: "<file>: KEY: port N is also KEY2" for each pair of listening ports that would clash
// (tracker TCP, seeder TCP and UDP, monitor TCP when BT_MONITOR=y). `file` names bittorrent.conf.
std::vector<std::string> port_clashes(const ServerSettings& settings, const std::string& file);

// Why `path` cannot be made or written as a regular file by this process, or "" if it can:
// an existing path must be a writable regular file and not a symbolic link; a missing one
// needs its nearest existing ancestor to be a writable directory (the start creates the rest).
std::string unwritable_file_reason(const std::string& path);

}  // namespace si
