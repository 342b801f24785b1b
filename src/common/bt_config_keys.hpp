#pragma once
// bittorrent.conf's keys, one row each: name, type, where the checked value goes in BtConfig,
// default, range, whether a reload (SIGHUP) applies it, and its help line. bt_config_from()
// parses through this table; unit tests check bittorrent.conf(5)'s key list, the defaults of
// BtConfig and si_btd's reload (server/reload_plan.hpp) against it.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bt_config.hpp"

namespace si {

enum class ConfType {
    port,       // 1-65535
    file,       // a path; empty is refused
    interface,  // an interface name or an IPv4 address; empty is refused
    text,       // anything, empty included
    yes_no,     // y, yes, n, no (any case): yes_no.hpp
    compress,   // y, yes, gzip, n, no, zstd (any case)
    names,      // a list of image names, comma- or space-separated
    seconds,    // an integer in [min, max]
    mib_per_s,  // an integer in [min, max]; 0: off
    key_file,   // an absolute path, or none (no key)
    servers,    // a list of IPv4[:port], comma- or space-separated (server_list.hpp)
    web_seeds,  // a list of http:// or https:// base URLs or "self", comma- or space-separated
};

// What a reload (SIGHUP) does with a changed value.
enum class OnReload {
    applied,  // taken at once
    restart,  // kept as running, with a warning naming the key
};

using BtConfigField =
    std::variant<std::uint16_t BtConfig::*, std::string BtConfig::*, bool BtConfig::*,
                 Compression BtConfig::*, std::vector<std::string> BtConfig::*,
                 std::int64_t BtConfig::*, std::uint32_t BtConfig::*,
                 std::vector<ServerAddress> BtConfig::*>;

struct BtConfigKey {
    std::string_view name;
    ConfType type;
    BtConfigField field;
    // The default as it is written in the file ("" also for "derived from another key"), and
    // whether the key must be set (the original's three).
    std::string_view default_value;
    bool required;
    std::int64_t min;  // numbers only
    std::int64_t max;
    OnReload reload;
    std::string_view help;
};

// Every key, in bittorrent.conf(5)'s order.
std::span<const BtConfigKey> bt_config_keys();
// nullptr: not a key of bittorrent.conf.
const BtConfigKey* find_bt_config_key(std::string_view name);

}  // namespace si
