#include "common/agent_settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <sstream>
#include <type_traits>
#include <variant>

#include "common/agent_cmdline_keys.hpp"
#include "common/list_split.hpp"
#include "common/names.hpp"
#include "common/yes_no.hpp"

namespace si {
namespace {

Error bad(std::string_view key, const std::string& why) {
    return Error{"kernel command line: " + std::string(key) + ": " + why, ErrorKind::config};
}

// Anything but a yes (yes_no.hpp) is a no, as in SystemImager's initrd scripts.
bool yes(const std::string& v) {
    return parse_yes_no(v).value_or(false);
}

// Checks `v`, the value of `key`, as its row says and stores it in `s`.
std::optional<Error> set_key(AgentSettings& s, const AgentCmdlineKey& key, const std::string& v) {
    const auto store = [&](auto value) {
        // The value's type named out here: GCC 12 misreads decltype of a capture in the
        // nested lambda's `if constexpr`.
        using Value = decltype(value);
        std::visit(
            [&](auto member) {
                // A row whose type and field disagree stores nothing (agent_cmdline_keys_test).
                using Field = std::remove_reference_t<decltype(s.*member)>;
                if constexpr (std::is_same_v<Field, Value>) {
                    s.*member = std::move(value);
                } else if constexpr (std::is_integral_v<Field> && !std::is_same_v<Field, bool> &&
                                     std::is_same_v<Value, long>) {
                    s.*member = static_cast<Field>(value);
                }
            },
            key.field);
    };
    switch (key.type) {
        case CmdlineType::yes_no:
            store(yes(v));
            break;
        case CmdlineType::integer: {
            long n = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < key.min ||
                n > key.max) {
                return bad(key.name, "'" + v + "' is not a number from " + std::to_string(key.min) +
                                         " to " + std::to_string(key.max));
            }
            store(n);
            break;
        }
        case CmdlineType::servers: {
            if (v.empty()) {
                break;
            }
            auto servers = parse_server_list(v);
            if (!servers) {
                return bad(key.name, servers.error().message);
            }
            if (servers->empty()) {
                return bad(key.name, "'" + v + "' names no server");
            }
            store(std::move(*servers));
            break;
        }
        case CmdlineType::image_name:
            if (!v.empty()) {
                if (!is_valid_image_name(v)) {
                    return bad(key.name, "'" + v + "' is not a valid image name");
                }
                store(v);
            }
            break;
        case CmdlineType::names: {
            std::vector<std::string> names;
            for (const std::string& o : split_list(v).items) {
                if (!is_valid_image_name(o)) {
                    return bad(key.name, "'" + o + "' is not a valid override name");
                }
                names.push_back(o);
            }
            store(std::move(names));
            break;
        }
        case CmdlineType::abs_path:
            if (!v.empty() && v.front() != '/') {
                return bad(key.name, "'" + v + "' is not an absolute path");
            }
            store(v);
            break;
        case CmdlineType::disk_map: {
            if (v.empty()) {
                break;
            }
            std::map<std::string, std::string> map;
            std::stringstream in(v);
            for (std::string pair; std::getline(in, pair, ',');) {
                const auto eq = pair.find('=');
                if (eq == std::string::npos || pair.rfind("/dev/", 0) != 0 ||
                    pair.compare(eq + 1, 5, "/dev/") != 0) {
                    return bad(key.name, "'" + pair +
                                             "' is not <layout disk>=<this node's disk>, e.g. "
                                             "/dev/sda=/dev/vda");
                }
                map[pair.substr(0, eq)] = pair.substr(eq + 1);
            }
            store(std::move(map));
            break;
        }
        case CmdlineType::host_name: {
            if (v.empty()) {
                break;
            }
            const bool ok = v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char ch) {
                                return std::isalnum(static_cast<unsigned char>(ch)) != 0 ||
                                       ch == '-' || ch == '.';
                            });
            if (!ok || v.front() == '-' || v.front() == '.') {
                return bad(key.name, "'" + v + "' is not a host name (letters, digits, '-', '.')");
            }
            store(v);
            break;
        }
    }
    return std::nullopt;
}

}  // namespace

Result<AgentSettings> agent_settings_from(const KernelCmdline& c) {
    AgentSettings s;
    const std::string* bt = c.find("BITTORRENT");
    s.enabled = bt != nullptr && yes(*bt);
    if (!s.enabled) {
        return s;  // not ours: nothing else is checked
    }
    for (const AgentCmdlineKey& key : agent_cmdline_keys()) {
        const std::string* v = c.find(key.name);
        if (!key.required_hint.empty() && (v == nullptr || v->empty())) {
            return bad(key.name, "not set (" + std::string(key.required_hint) + ")");
        }
        if (v == nullptr) {
            continue;
        }
        if (auto err = set_key(s, key, *v)) {
            return *err;
        }
    }
    // The first server of each list is the one named in messages and reports.
    if (!s.image_servers.empty()) {
        s.image_server = s.image_servers.front().address;
    }
    if (!s.monitor_servers.empty()) {
        s.monitor_server = s.monitor_servers.front().address;
    }
    return s;
}

}  // namespace si
