#pragma once
// si_btagent's kernel command line variables, one row each: name, type, where the checked value
// goes in AgentSettings, default, range and help line. agent_settings_from() parses through
// this table; a unit test checks si_btagent(8)'s and the client HOWTO's lists against it.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/agent_settings.hpp"

namespace si {

enum class CmdlineType {
    yes_no,      // yes_no.hpp; anything else is no
    integer,     // in [min, max]
    servers,     // IPv4[:port], comma- or space-separated (server_list.hpp); empty: unset
    image_name,  // names.hpp's is_valid_image_name
    names,       // image names, space- or comma-separated
    abs_path,    // an absolute path; empty: unset
    disk_map,    // /dev/x=/dev/y,...
    host_name,   // letters, digits, '-', '.'; at most 64
};

using AgentSettingsField =
    std::variant<bool AgentSettings::*, int AgentSettings::*, std::uint16_t AgentSettings::*,
                 std::string AgentSettings::*, std::vector<std::string> AgentSettings::*,
                 std::map<std::string, std::string> AgentSettings::*,
                 std::vector<ServerAddress> AgentSettings::*>;

struct AgentCmdlineKey {
    std::string_view name;
    CmdlineType type;
    AgentSettingsField field;
    // What a missing variable means, as the client HOWTO says it.
    std::string_view default_value;
    // Not "": the variable must be set, and the error says this ("give the image to install").
    std::string_view required_hint;
    long min;  // integers only
    long max;
    std::string_view help;
};

// Every variable si_btagent reads, in the order they are checked (the first bad one is told).
std::span<const AgentCmdlineKey> agent_cmdline_keys();

}  // namespace si
