// libFuzzer target: the HMAC check of a sealed monitor report line, as any host that reaches
// TCP 8181 may send it to a si_btd with BT_MONITOR_KEY (common/monitor_auth.hpp). Besides "does
// not crash": a line sealed under the key always checks ok, and under another key never does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/monitor_auth.hpp"

namespace {

const std::string key(32, '\x5a');
const std::string other_key(32, '\xa5');

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    (void)si::check_report_line(line, key);
    (void)si::parse_monitor_key(line, "fuzz");
    const std::string sealed = si::seal_report_line(line, key);
    if (si::check_report_line(sealed, key) != si::ReportAuth::ok ||
        si::check_report_line(sealed, other_key) != si::ReportAuth::bad) {
        std::abort();
    }
    return 0;
}
