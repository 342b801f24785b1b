#include "server/tracker/announce_query.hpp"

#include <algorithm>
#include <limits>

#include "common/hex_string.hpp"

namespace si {
namespace {

Error fail(std::string message) {
    return Error{std::move(message), ErrorKind::bad_data};
}

// A parameter name as it may be shown in a failure reason: short and printable.
std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 40)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    if (s.size() > 40) {
        out += "...";
    }
    return out;
}

// Unsigned decimal, digits only; fails on empty input, a sign, or overflow.
Result<std::uint64_t> parse_u64(std::string_view name, std::string_view text) {
    if (text.empty()) {
        return fail(std::string(name) + " is empty");
    }
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return fail(std::string(name) + " is not a number: " + printable(text));
        }
        unsigned d = static_cast<unsigned>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
            return fail(std::string(name) + " is too large: " + printable(text));
        }
        v = v * 10 + d;
    }
    return v;
}

struct Param {
    std::string name;
    std::string value;
};

// Splits "a=1&b=2" into decoded pairs. Empty segments ("a=1&&b=2") are skipped.
Result<std::vector<Param>> split_query(std::string_view query) {
    if (query.size() > max_query_bytes) {
        return fail("query too long (" + std::to_string(query.size()) + " bytes, at most " +
                    std::to_string(max_query_bytes) + ")");
    }
    std::vector<Param> params;
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view seg = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (seg.empty()) {
            continue;
        }
        std::size_t eq = seg.find('=');
        std::string_view raw_name = seg.substr(0, eq);
        std::string_view raw_value =
            eq == std::string_view::npos ? std::string_view{} : seg.substr(eq + 1);
        auto name = percent_decode(raw_name);
        if (!name) {
            return fail(name.error().message + " in a parameter name");
        }
        auto value = percent_decode(raw_value);
        if (!value) {
            return fail(value.error().message + " in " + printable(*name));
        }
        params.push_back({std::move(*name), std::move(*value)});
    }
    return params;
}

Status check_hash(std::string_view name, const std::string& raw, std::size_t want) {
    if (raw.size() != want) {
        return fail(std::string(name) + " must be " + std::to_string(want) + " bytes, got " +
                    std::to_string(raw.size()));
    }
    return Ok{};
}

}  // namespace

std::string_view event_name(AnnounceEvent event) {
    switch (event) {
        case AnnounceEvent::started:
            return "started";
        case AnnounceEvent::completed:
            return "completed";
        case AnnounceEvent::stopped:
            return "stopped";
        case AnnounceEvent::none:
            break;
    }
    return "";
}

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c != '%') {
            out += c;
        } else {
            int hi = i + 1 < text.size() ? hex_digit_value(text[i + 1]) : -1;
            int lo = i + 2 < text.size() ? hex_digit_value(text[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                return fail("bad percent-encoding");
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        }
    }
    return out;
}

Result<AnnounceQuery> parse_announce_query(std::string_view query) {
    auto params = split_query(query);
    if (!params) {
        return params.error();
    }
    AnnounceQuery q;
    bool have_hash = false;
    bool have_id = false;
    bool have_port = false;
    for (Param& p : *params) {
        const std::string& n = p.name;
        if (n == "info_hash" || n == "peer_id") {
            bool& seen = n == "info_hash" ? have_hash : have_id;
            if (seen) {
                return fail(n + " given twice");
            }
            seen = true;
            std::size_t want = n == "info_hash" ? info_hash_bytes : peer_id_bytes;
            if (auto st = check_hash(n, p.value, want); !st) {
                return st.error();
            }
            (n == "info_hash" ? q.info_hash : q.peer_id) = std::move(p.value);
        } else if (n == "port") {
            auto v = parse_u64("port", p.value);
            if (!v) {
                return v.error();
            }
            if (*v < 1 || *v > 65535) {
                return fail("port out of range: " + printable(p.value));
            }
            q.port = static_cast<std::uint16_t>(*v);
            have_port = true;
        } else if (n == "uploaded" || n == "downloaded" || n == "left") {
            auto v = parse_u64(n, p.value);
            if (!v) {
                return v.error();
            }
            (n == "uploaded" ? q.uploaded : n == "downloaded" ? q.downloaded : q.left) = *v;
        } else if (n == "compact" || n == "no_peer_id") {
            // Clients send 0 or 1; any other number is read as a flag, anything else refused.
            auto v = parse_u64(n, p.value);
            if (!v) {
                return v.error();
            }
            (n == "compact" ? q.compact : q.no_peer_id) = *v != 0;
        } else if (n == "event") {
            if (p.value == "started") {
                q.event = AnnounceEvent::started;
            } else if (p.value == "completed") {
                q.event = AnnounceEvent::completed;
            } else if (p.value == "stopped") {
                q.event = AnnounceEvent::stopped;
            } else if (p.value.empty() || p.value == "empty" || p.value == "paused") {
                // "paused" (BEP 21) is a partial seed's regular announce: it wants no more
                // pieces for now, and its `left` says what it lacks. opentracker takes it too.
                q.event = AnnounceEvent::none;
            } else {
                return fail("unknown event: " + printable(p.value));
            }
        } else if (n == "numwant") {
            // Some clients send -1 for "your default"; huge values are clamped, not refused.
            std::string_view digits = p.value;
            bool negative = !digits.empty() && digits.front() == '-';
            if (negative) {
                digits.remove_prefix(1);
            }
            if (digits.empty() || digits.find_first_not_of("0123456789") != digits.npos) {
                return fail("numwant is not a number: " + printable(p.value));
            }
            if (negative) {
                q.numwant = default_numwant;
            } else {
                auto v = parse_u64("numwant", digits);  // fails here only on overflow
                q.numwant =
                    v ? static_cast<int>(std::min<std::uint64_t>(*v, max_numwant)) : max_numwant;
            }
        } else if (n == "key") {
            q.key = std::move(p.value);
        }
    }
    if (!have_hash) {
        return fail("missing info_hash");
    }
    if (!have_id) {
        return fail("missing peer_id");
    }
    if (!have_port) {
        return fail("missing port");
    }
    return q;
}

Result<ScrapeQuery> parse_scrape_query(std::string_view query) {
    auto params = split_query(query);
    if (!params) {
        return params.error();
    }
    ScrapeQuery q;
    for (Param& p : *params) {
        if (p.name != "info_hash") {
            continue;
        }
        if (auto st = check_hash("info_hash", p.value, info_hash_bytes); !st) {
            return st.error();
        }
        if (std::find(q.info_hashes.begin(), q.info_hashes.end(), p.value) == q.info_hashes.end()) {
            q.info_hashes.push_back(std::move(p.value));
        }
    }
    return q;
}

Result<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return fail("odd number of hex digits");
    }
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_digit_value(hex[i]);
        int lo = hex_digit_value(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return fail("not a hex digit in " + printable(hex));
        }
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

}  // namespace si
