#pragma once
// si_btreimage's power control: BT_POWER_COMMAND (or --power-command), a shell command
// template run once per node to make it boot again, e.g.
//   ipmitool -I lanplus -H %h-ipmi -U admin -E chassis power cycle
//   curl -sk -u admin:pw -X POST https://%h-bmc/redfish/v1/Systems/1/Actions/ComputerSystem.Reset
//   -d '{"ResetType":"ForceRestart"}' ssh %h reboot
// Placeholders: %h hostname, %m MAC (52:54:00:12:34:56), %i image, %g group, %% a '%'. Each
// value is substituted shell-quoted, so a name can never add a command. Pure.
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

struct PowerTarget {
    std::string hostname;
    std::string mac;
    std::string image;
    std::string group;
};

// The command for one node, for /bin/sh -c. Fails (ErrorKind::config) on an unknown
// placeholder or a '%' at the end: "BT_POWER_COMMAND: unknown placeholder %x (use %h %m %i %g
// %%)".
Result<std::string> expand_power_command(std::string_view templ, const PowerTarget& node);

// `value` in single quotes for a POSIX shell ("it's" -> 'it'\''s').
std::string shell_quote(std::string_view value);

}  // namespace si
