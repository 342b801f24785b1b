#include "server/boot/boot_decision.hpp"

#include "server/view/node_table.hpp"

namespace si {

BootDecision decide_boot_after_report(const MonitorReport& r, const ListedNode* listed,
                                      const BootFileState& file, bool local_after_install) {
    const int status = r.status.value_or(report_status::initializing);
    const bool imaged = status >= report_status::imaged && status <= report_status::shutdown;
    if (!imaged) {
        return {};  // installing or failed: the install entry stays
    }
    if (listed == nullptr) {
        return {false, "not in the nodes file: its boot file is not changed"};
    }
    if (!local_after_install) {
        return {false, "NET_BOOT_DEFAULT = net: it installs again at its next network boot"};
    }
    if (file.exists && !file.header) {
        return {false, "its boot file was not written by si_btd: left as it is"};
    }
    if (file.header && file.header->mode == BootMode::local) {
        return {};  // already boots its disk
    }
    if (!proves_install(r)) {
        return {false,
                "reported imaged without the proof of a whole install: it stays on "
                "install"};
    }
    const std::string& target = file.header ? file.header->image : listed->image;
    if (r.os != target) {
        return {false, "installed image '" + r.os + "', but its boot file installs '" + target +
                           "': it stays on install"};
    }
    return {true, ""};
}

}  // namespace si
