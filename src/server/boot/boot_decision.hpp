#pragma once
// When a node's monitor report changes how it boots next: SystemImager's NET_BOOT_DEFAULT
// (systemimager.conf) with netbootmond's meaning. With `local`, a listed node that proves a
// whole install of the image its boot file installs is switched to boot its own disk; a
// failed node keeps its install entry (the page shows why). With `net`, nodes always install
// at a network boot. A node that is not listed, or whose file someone else wrote, is never
// switched. Pure: the caller reads and writes the files.
#include <string>

#include "server/boot/nodes_file.hpp"
#include "server/boot/pxe_boot_file.hpp"
#include "server/view/monitor_report.hpp"

namespace si {

struct BootDecision {
    bool switch_to_local = false;
    std::string why;  // one phrase for the log when nothing changes ("" for a routine report)
};

// `listed` is the report's MAC in the nodes file (nullptr: not listed); `file` is its boot
// file now; `local_after_install` is NET_BOOT_DEFAULT = local.
BootDecision decide_boot_after_report(const MonitorReport& r, const ListedNode* listed,
                                      const BootFileState& file, bool local_after_install);

}  // namespace si
