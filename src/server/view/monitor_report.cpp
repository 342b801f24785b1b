#include "server/view/monitor_report.hpp"

#include <charconv>
#include <cstdio>
#include <limits>
#include <type_traits>
#include <vector>

#include "common/utf8_text.hpp"
#include "server/view/mac_address.hpp"

namespace si {
namespace {

Error report_error(std::string message) {
    return Error{"monitor report: " + std::move(message), ErrorKind::bad_data};
}

// Shown in errors: at most 40 bytes of a value, control bytes as \xNN, bytes that are not
// UTF-8 as U+FFFD.
std::string quoted(std::string_view v) {
    std::string out = "'";
    for (char c : valid_utf8(utf8_prefix(v, 40))) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + (v.size() > 40 ? "...'" : "'");
}

// A decimal integer in [lo, hi]; SystemImager clients' rates may carry a fraction (".5"),
// which is dropped, and tmpfs a '%'.
std::optional<std::int64_t> parse_int(std::string_view v, std::int64_t lo, std::int64_t hi) {
    if (!v.empty() && v.back() == '%') {
        v.remove_suffix(1);
    }
    if (auto dot = v.find('.'); dot != std::string_view::npos) {
        std::string_view frac = v.substr(dot + 1);
        for (char c : frac) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
        }
        v = v.substr(0, dot);
    }
    std::int64_t n = 0;
    const char* end = v.data() + v.size();
    auto [p, ec] = std::from_chars(v.data(), end, n);
    if (v.empty() || ec != std::errc{} || p != end || n < lo || n > hi) {
        return std::nullopt;
    }
    return n;
}

// "<n>/<m>" with 0 <= n <= m.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_fraction(std::string_view v) {
    auto slash = v.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    constexpr std::int64_t big = std::int64_t{1} << 40;
    auto n = parse_int(v.substr(0, slash), 0, big);
    auto m = parse_int(v.substr(slash + 1), 0, big);
    if (!n || !m || *n > *m || v.find('.') != std::string_view::npos) {
        return std::nullopt;
    }
    return std::pair{*n, *m};
}

// Splits at ':'. A MAC sent with ':' between its pairs (SystemImager sends '.') is joined
// back: "mac=00", "16", ..., "cc" -> "mac=00:16:...:cc".
std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> parts;
    std::size_t pos = 0;
    for (;;) {
        std::size_t colon = line.find(':', pos);
        parts.push_back(line.substr(pos, colon == std::string_view::npos ? colon : colon - pos));
        if (colon == std::string_view::npos) {
            break;
        }
        pos = colon + 1;
    }
    std::vector<std::string_view> fields;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].size() == 6 && parts[i].starts_with("mac=") && i + 5 < parts.size()) {
            bool pairs = true;
            for (std::size_t k = 1; k <= 5; ++k) {
                pairs = pairs && parts[i + k].size() == 2;
            }
            if (pairs) {
                const char* begin = parts[i].data();
                fields.emplace_back(begin,
                                    static_cast<std::size_t>(parts[i + 5].data() + 2 - begin));
                i += 5;
                continue;
            }
        }
        fields.push_back(parts[i]);
    }
    return fields;
}

}  // namespace

Result<MonitorReport> parse_monitor_report(std::string_view line) {
    if (line.ends_with('\n')) {
        line.remove_suffix(1);
    }
    if (line.ends_with('\r')) {
        line.remove_suffix(1);
    }
    if (line.size() > max_report_bytes) {
        return report_error("line of " + std::to_string(line.size()) + " bytes, over the " +
                            std::to_string(max_report_bytes) + "-byte limit");
    }
    for (std::size_t i = 0; i < line.size(); ++i) {
        auto u = static_cast<unsigned char>(line[i]);
        if ((u < 0x20 && u != '\t') || u == 0x7f) {
            return report_error("control byte " + quoted(line.substr(i, 1)) + " at byte " +
                                std::to_string(i + 1));
        }
    }
    MonitorReport r;
    bool have_mac = false;
    constexpr std::int64_t big = std::int64_t{1} << 50;
    for (std::string_view field : split_fields(line)) {
        auto eq = field.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        std::string_view key = field.substr(0, eq);
        std::string_view value = field.substr(eq + 1);
        auto text = [&](std::string& out) {
            bool replaced = false;
            const std::string clean = valid_utf8(value, &replaced);
            out = std::string(
                utf8_prefix(clean, key == "log" ? max_report_log_bytes : max_report_value_bytes));
            const std::string named = " " + r.not_utf8 + " ";
            if (replaced && named.find(" " + std::string(key) + " ") == std::string::npos) {
                r.not_utf8 += (r.not_utf8.empty() ? "" : " ") + std::string(key);
            }
        };
        auto number = [&](auto& out, std::int64_t lo, std::int64_t hi) -> Status {
            if (value.empty()) {
                return Ok{};  // a client that could not measure it: as if not sent
            }
            auto n = parse_int(value, lo, hi);
            if (!n) {
                return report_error(std::string(key) + "=" + quoted(value) +
                                    " is not a whole number in " + std::to_string(lo) + ".." +
                                    std::to_string(hi));
            }
            out = static_cast<std::remove_reference_t<decltype(*out)>>(*n);
            return Ok{};
        };
        Status st = Ok{};
        if (key == "mac") {
            auto mac = normalize_mac(value);
            if (!mac) {
                return report_error("mac=" + quoted(value) + " is not a MAC address");
            }
            r.mac = *mac;
            have_mac = true;
        } else if (key == "ip") {
            text(r.ip);
        } else if (key == "host") {
            text(r.host);
        } else if (key == "cpu") {
            text(r.cpu);
        } else if (key == "kernel") {
            text(r.kernel);
        } else if (key == "os") {
            text(r.os);
        } else if (key == "log") {
            text(r.log);
        } else if (key == "ncpus") {
            st = number(r.ncpus, 0, 1'000'000);
        } else if (key == "mem") {
            st = number(r.mem_kb, 0, big);
        } else if (key == "tmpfs") {
            st = number(r.tmpfs_percent, 0, 100);
        } else if (key == "time") {
            st = number(r.uptime_s, 0, big);
        } else if (key == "status") {
            st = number(r.status, report_status::lowest_error, report_status::shutdown);
        } else if (key == "speed") {
            st = number(r.speed_kbs, 0, big);
        } else if (key == "phase") {
            text(r.phase);
        } else if (key == "up") {
            st = number(r.up_kbs, 0, big);
        } else if (key == "peers") {
            st = number(r.peers, 0, 1'000'000);
        } else if (key == "entries") {
            st = number(r.entries, 0, big);
        } else if (key == "bytes") {
            st = number(r.bytes, 0, big);
        } else if (key == "archive") {
            r.archive_end = value == "end";
        } else if (key == "install") {
            if (value != "full" && value != "held") {
                return report_error("install=" + quoted(value) + " is not full or held");
            }
            r.install = std::string(value);
        } else if (key == "auth") {
            // Saved node tables carry it; on the wire the listener sets it after parsing.
            if (value == "ok" || value == "none" || value == "bad") {
                r.auth = std::string(value);
            }
        } else if (key == "hmac") {
            // Checked on the raw line by the listener (common/monitor_auth.hpp).
        } else if (key == "error") {
            text(r.error);
        } else if (key == "pieces" || key == "overrides") {
            auto f = parse_fraction(value);
            if (!f) {
                return report_error(std::string(key) + "=" + quoted(value) +
                                    " is not <done>/<total>");
            }
            if (key == "pieces") {
                r.pieces_verified = f->first;
                r.pieces_total = f->second;
            } else {
                // A node applies a handful of overrides; a count past an int is not a count.
                if (f->second > max_report_overrides) {
                    return report_error("overrides=" + quoted(value) + " counts more than " +
                                        std::to_string(max_report_overrides) + " overrides");
                }
                r.overrides_applied = static_cast<int>(f->first);
                r.overrides_fetched = static_cast<int>(f->second);
            }
        } else {
            ++r.unknown_keys;
        }
        if (!st) {
            return st.error();
        }
    }
    if (!have_mac) {
        return report_error("no mac= field (the node cannot be told apart)");
    }
    return r;
}

std::string format_monitor_report(const MonitorReport& r) {
    std::string out = "mac=" + protocol_mac(r.mac);
    auto text = [&](const char* key, const std::string& v) {
        if (!v.empty()) {
            out += std::string(":") + key + "=" + v;
        }
    };
    auto number = [&](const char* key, const auto& v) {
        if (v) {
            out += std::string(":") + key + "=" + std::to_string(*v);
        }
    };
    text("ip", r.ip);
    text("host", r.host);
    text("cpu", r.cpu);
    number("ncpus", r.ncpus);
    text("kernel", r.kernel);
    number("mem", r.mem_kb);
    text("os", r.os);
    number("tmpfs", r.tmpfs_percent);
    number("time", r.uptime_s);
    number("status", r.status);
    number("speed", r.speed_kbs);
    text("phase", r.phase);
    text("install", r.install);
    text("auth", r.auth);
    number("up", r.up_kbs);
    number("peers", r.peers);
    if (r.pieces_verified && r.pieces_total) {
        out +=
            ":pieces=" + std::to_string(*r.pieces_verified) + "/" + std::to_string(*r.pieces_total);
    }
    if (r.archive_end) {
        out += ":archive=end";
    }
    if (r.overrides_applied && r.overrides_fetched) {
        out += ":overrides=" + std::to_string(*r.overrides_applied) + "/" +
               std::to_string(*r.overrides_fetched);
    }
    number("entries", r.entries);
    number("bytes", r.bytes);
    text("error", r.error);
    text("log", r.log);
    return out;
}

std::string protocol_mac(std::string_view mac) {
    std::string out(mac);
    for (char& c : out) {
        c = c == ':' ? '.' : c;
    }
    return out;
}

ReportLineReader::State ReportLineReader::feed(std::string_view chunk) {
    if (state_ != State::need_more) {
        return state_;
    }
    auto nl = chunk.find('\n');
    std::string_view take = chunk.substr(0, nl);
    if (line_.size() + take.size() > max_report_bytes + 1) {  // +1: a '\r' before the '\n'
        line_.clear();
        return state_ = State::too_long;
    }
    line_.append(take);
    if (nl != std::string_view::npos) {
        state_ = State::complete;
    }
    return state_;
}

ReportLineReader::State ReportLineReader::finish() {
    if (state_ == State::need_more && !line_.empty()) {
        state_ = State::complete;
    }
    return state_;
}

}  // namespace si
