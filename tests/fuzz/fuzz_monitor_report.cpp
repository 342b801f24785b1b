// libFuzzer target: a monitor report line, as any host that reaches TCP 8181 may send it
// (server/view/monitor_report.hpp). Checks, besides "does not crash": every text field comes out
// valid UTF-8 and within its limit, and what is saved parses back to the same report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/utf8_text.hpp"
#include "server/view/monitor_report.hpp"

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // The listener's path: the line collected from chunks (here: the first byte says their
    // size), then parsed.
    si::ReportLineReader reader;
    const std::size_t chunk = size == 0 ? 1 : 1 + static_cast<std::uint8_t>(bytes[0]) % 64;
    auto st = si::ReportLineReader::State::need_more;
    for (std::size_t at = 0; at < size && st == si::ReportLineReader::State::need_more;
         at += chunk) {
        st = reader.feed(bytes.substr(at, chunk));
    }
    if (st == si::ReportLineReader::State::need_more) {
        st = reader.finish();
    }
    check(reader.line().size() <= si::max_report_bytes + 1);
    for (std::string_view line : {bytes, std::string_view(reader.line())}) {
        auto r = si::parse_monitor_report(line);
        if (!r) {
            check(!r.error().message.empty());
            continue;
        }
        for (const std::string* v :
             {&r->ip, &r->host, &r->cpu, &r->kernel, &r->os, &r->log, &r->phase, &r->error}) {
            check(si::is_valid_utf8(*v));
            check(v->size() <=
                  (v == &r->log ? si::max_report_log_bytes : si::max_report_value_bytes));
        }
        const std::string saved = si::format_monitor_report(*r);
        auto again = si::parse_monitor_report(saved);
        check(static_cast<bool>(again));
        check(si::format_monitor_report(*again) == saved);
    }
    return 0;
}
