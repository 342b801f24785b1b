#pragma once
// One progress report of a node, in the protocol of SystemImager's si_monitor (TCP 8181): one
// line of colon-separated key=value pairs per connection, as SystemImager 4.x clients send it
// (sbin/si_monitor, update_db): mac ip host cpu ncpus kernel mem os tmpfs time status speed log.
// si_btagent adds keys of its own, which si_monitor skips as it skips every unknown key:
//   phase=download|unpack|seeding|done|failed  up=<KB/s>  peers=<n>
//   pieces=<verified>/<total>  archive=end  overrides=<applied>/<fetched>
//   entries=<n>  bytes=<file bytes written>  error=<one line>
//   install=full|held (held: the disk already held the image exactly; nothing was downloaded)
//   hmac=<64 hex> (last: HMAC-SHA256 of the line before it under the cluster key,
//   common/monitor_auth.hpp)
// pieces, archive, overrides, entries and bytes are the proof of a finished install
// (node_table.hpp).
// Parsing is pure; the listener (monitor_listener.hpp) does the I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

// A report line longer than this is refused: the original protocol's lines are ~200 bytes.
inline constexpr std::size_t max_report_bytes = 4096;
// overrides=<n>/<m> with m above this is refused (found by tests/fuzz: a count past an int).
inline constexpr std::int64_t max_report_overrides = 10000;
// Any one value is cut to this many bytes (a host name, a CPU model, an error line).
inline constexpr std::size_t max_report_value_bytes = 256;
// ... but log= (the node's console, MONITOR_CONSOLE=y) keeps this many: with every other
// text at its limit, a saved report still fits in max_report_bytes.
inline constexpr std::size_t max_report_log_bytes = 1536;

// Status codes of the original protocol: 0 initializing, 1-99 percent imaged, then these;
// a negative status is an error (si_btagent sends minus its exit code).
namespace report_status {
inline constexpr int initializing = 0;
inline constexpr int imaged = 100;
inline constexpr int finalizing = 101;
inline constexpr int rebooted = 102;
inline constexpr int beeping = 103;
inline constexpr int rebooting = 104;
inline constexpr int shutdown = 105;
inline constexpr int lowest_error = -999;
}  // namespace report_status

struct MonitorReport {
    std::string mac;  // normalized: six lowercase hex pairs joined by ':'
    std::string ip;
    std::string host;
    std::string cpu;
    std::string kernel;
    std::string os;  // the image name
    std::string log;
    std::optional<int> ncpus;
    std::optional<std::int64_t> mem_kb;
    std::optional<int> tmpfs_percent;
    std::optional<std::int64_t> uptime_s;
    std::optional<int> status;
    std::optional<std::int64_t> speed_kbs;  // download, KB/s
    // si_btagent's own keys.
    std::string phase;
    std::optional<std::int64_t> up_kbs;
    std::optional<int> peers;
    std::optional<std::int64_t> pieces_verified;
    std::optional<std::int64_t> pieces_total;
    bool archive_end = false;
    std::optional<int> overrides_applied;
    std::optional<int> overrides_fetched;
    std::optional<std::int64_t> entries;
    std::optional<std::int64_t> bytes;
    std::string error;
    std::string install;  // "full", "held" or "" (not said)
    // Whether the line carried a good HMAC under BT_MONITOR_KEY (common/monitor_auth.hpp):
    // "" no key configured, "ok", "none" (no hmac=), "bad". Set by the listener, never taken
    // from the wire; kept in the saved node table as auth=.
    std::string auth;
    int unknown_keys = 0;  // keys neither protocol knows (skipped, as si_monitor did)
    // The text fields that held bytes that are not UTF-8 ("host error"), which are shown with
    // U+FFFD in their place; empty when there were none. Not part of the protocol line.
    std::string not_utf8;
};

// Parses one line (a trailing "\n" or "\r\n" is allowed). Fails, with a message naming the
// field, on: a line over max_report_bytes, control bytes, no mac= field, a mac that is not six
// hex pairs (one of ':' '.' '-' throughout, or none), a number field that is not a decimal integer
// in range, a status outside -999..105, pieces/overrides not "<n>/<m>" with n <= m. Fields without
// '=' and unknown keys are skipped; a repeated key keeps its last value. The protocol carries free
// text as raw bytes, and real nodes send Latin-1 (a host name, an error line naming a file): each
// ill-formed UTF-8 sequence in a text field is replaced by U+FFFD (utf8_text.hpp) and the field
// named in `not_utf8`, so every consumer (the node table, status.json, /metrics) gets valid UTF-8.
// A text value is then cut to max_report_value_bytes without cutting a character in two.
Result<MonitorReport> parse_monitor_report(std::string_view line);

// The report as one protocol line (no newline) with every field it holds: parsing it gives
// the same report back (what node_table.cpp saves).
std::string format_monitor_report(const MonitorReport& r);

// Formats a MAC as the original protocol sends it ('.' for ':'), from the normalized form.
std::string protocol_mac(std::string_view mac);

// Collects one report line from a connection's bytes, whatever the chunks it arrives in: the
// line ends at the first '\n' or when the peer closes the connection.
class ReportLineReader {
  public:
    enum class State { need_more, complete, too_long };
    // Takes the next chunk; bytes after the first newline are ignored.
    State feed(std::string_view chunk);
    // The peer closed: complete when any byte came, else need_more (nothing to parse).
    State finish();
    const std::string& line() const { return line_; }

  private:
    std::string line_;
    State state_ = State::need_more;
};

}  // namespace si
