#pragma once
// What si_btd does with a monitor report by whether it is authenticated (BT_MONITOR_KEY,
// common/monitor_auth.hpp). MonitorReport::auth is "" (no key configured), "ok", "none" or
// "bad". An unauthenticated report is shown as such (status.json "auth"), never proves an
// install (node_table.hpp, proves_install) and so never switches a node's boot; and it never
// overwrites a node whose last report was authenticated, so a forger on the provisioning
// network cannot hide a real node behind a fake state. Pure.
#include <string_view>

namespace si {

// True when a report with `auth` is recorded for a node whose record has `recorded_auth`
// ("" for a node not seen yet).
bool take_report(std::string_view auth, std::string_view recorded_auth);

// True when `auth` (a MonitorReport's) says the report is authenticated or no key is
// configured.
inline bool report_trusted(std::string_view auth) {
    return auth.empty() || auth == "ok";
}

}  // namespace si
