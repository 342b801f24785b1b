#pragma once
// Authenticated monitor reports: with a cluster key shared by si_btd (BT_MONITOR_KEY) and the
// initrd (build-initrd --monitor-key), the agent appends ":hmac=<64 hex>" to each report line,
// HMAC-SHA256 under the key of every byte before ":hmac=". SystemImager's si_monitor skips
// the unknown key; si_btd checks it and shows a report without a good one as unauthenticated
// (server/view/monitor_report.hpp). The key file is one line of 64 hex digits (32 random bytes),
// made by si_btkey. Pure apart from make_monitor_key (randomness).
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

inline constexpr std::string_view report_hmac_field = ":hmac=";

enum class ReportAuth {
    unchecked,  // no key configured: nothing is checked
    ok,         // the HMAC verifies under the key
    missing,    // no hmac= field
    bad,        // an hmac= field that does not verify
};
// "", "ok", "none", "bad": the words status.json and the saved node table use.
std::string_view report_auth_word(ReportAuth a);

// `line` (no newline) with its HMAC appended.
std::string seal_report_line(std::string_view line, std::string_view key);

// Checks the hmac= field at the end of `line` (a trailing "\n" or "\r\n" is ignored). An
// empty `key` gives ReportAuth::unchecked.
ReportAuth check_report_line(std::string_view line, std::string_view key);

// The key from its file's text: one line of 64 hex digits. Fails (ErrorKind::config) with
// "<where>: not a monitor key (one line of 64 hex digits)".
Result<std::string> parse_monitor_key(std::string_view text, std::string_view where);
// A new key file's text (64 hex digits and a newline). Fails (ErrorKind::internal) without
// randomness.
Result<std::string> make_monitor_key_text();

}  // namespace si
