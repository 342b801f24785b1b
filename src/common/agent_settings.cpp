#include "common/agent_settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <sstream>
#include <type_traits>

#include "common/list_split.hpp"
#include "common/names.hpp"

namespace si {
namespace {

Error bad(std::string_view key, const std::string& why) {
    return Error{"kernel command line: " + std::string(key) + ": " + why, ErrorKind::config};
}

bool yes(const std::string& v) {
    return v == "y" || v == "Y" || v == "yes" || v == "1";
}

// Reads an integer in [lo, hi] into `out` when `key` is present.
std::optional<Error> read_int(const KernelCmdline& c, std::string_view key, long lo, long hi,
                              auto& out) {
    const std::string* v = c.find(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    long n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (v->empty() || ec != std::errc() || p != v->data() + v->size() || n < lo || n > hi) {
        return bad(key, "'" + *v + "' is not a number from " + std::to_string(lo) + " to " +
                            std::to_string(hi));
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(n);
    return std::nullopt;
}

}  // namespace

Result<AgentSettings> agent_settings_from(const KernelCmdline& c) {
    AgentSettings s;
    const std::string* bt = c.find("BITTORRENT");
    s.enabled = bt != nullptr && yes(*bt);
    if (!s.enabled) {
        return s;
    }
    if (const std::string* v = c.find("IMAGESERVER"); v != nullptr && !v->empty()) {
        auto servers = parse_server_list(*v);
        if (!servers) {
            return bad("IMAGESERVER", servers.error().message);
        }
        if (servers->empty()) {
            return bad("IMAGESERVER", "'" + *v + "' names no server");
        }
        s.image_servers = std::move(*servers);
        s.image_server = s.image_servers.front().address;
    } else {
        return bad("IMAGESERVER", "not set (give the image server's address)");
    }
    if (const std::string* v = c.find("IMAGENAME"); v != nullptr && !v->empty()) {
        if (!is_valid_image_name(*v)) {
            return bad("IMAGENAME", "'" + *v + "' is not a valid image name");
        }
        s.image_name = *v;
    } else {
        return bad("IMAGENAME", "not set (give the image to install)");
    }
    if (const std::string* v = c.find("OVERRIDES")) {
        for (const std::string& o : split_list(*v).items) {
            if (!is_valid_image_name(o)) {
                return bad("OVERRIDES", "'" + o + "' is not a valid override name");
            }
            s.overrides.push_back(o);
        }
    }
    if (const std::string* v = c.find("BITTORRENT_STAGING")) {
        if (!v->empty() && v->front() != '/') {
            return bad("BITTORRENT_STAGING", "'" + *v + "' is not an absolute path");
        }
        s.staging = *v;
    }
    if (const std::string* v = c.find("BITTORRENT_SEED_WAIT")) {
        s.seed_wait = yes(*v);
    }
    if (const std::string* v = c.find("BITTORRENT_REINSTALL")) {
        s.reinstall = yes(*v);
    }
    if (const std::string* v = c.find("MONITOR_SERVER"); v != nullptr && !v->empty()) {
        auto servers = parse_server_list(*v);
        if (!servers) {
            return bad("MONITOR_SERVER", servers.error().message);
        }
        s.monitor_servers = std::move(*servers);
        if (!s.monitor_servers.empty()) {
            s.monitor_server = s.monitor_servers.front().address;
        }
    }
    if (const std::string* v = c.find("MONITOR_CONSOLE")) {
        s.monitor_console = yes(*v);
    }
    if (const std::string* v = c.find("SI_DISK_MAP"); v != nullptr && !v->empty()) {
        std::stringstream in(*v);
        for (std::string pair; std::getline(in, pair, ',');) {
            const auto eq = pair.find('=');
            if (eq == std::string::npos || pair.rfind("/dev/", 0) != 0 ||
                pair.compare(eq + 1, 5, "/dev/") != 0) {
                return bad("SI_DISK_MAP", "'" + pair +
                                              "' is not <layout disk>=<this node's disk>, e.g. "
                                              "/dev/sda=/dev/vda");
            }
            s.disk_map[pair.substr(0, eq)] = pair.substr(eq + 1);
        }
    }
    if (const std::string* v = c.find("HOSTNAME"); v != nullptr && !v->empty()) {
        const bool ok =
            v->size() <= 64 && std::all_of(v->begin(), v->end(), [](char ch) {
                return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '.';
            });
        if (!ok || v->front() == '-' || v->front() == '.') {
            return bad("HOSTNAME", "'" + *v + "' is not a host name (letters, digits, '-', '.')");
        }
        s.hostname = *v;
    }
    for (auto err : {read_int(c, "SI_DISK_WAIT", 0, 3600, s.disk_wait_s),
                     read_int(c, "BITTORRENT_POLLING_TIME", 1, 3600, s.polling_time_s),
                     read_int(c, "BITTORRENT_UPLOAD_MIN", 0, 10'000'000, s.upload_min_kbs),
                     read_int(c, "MONITOR_PORT", 1, 65535, s.monitor_port),
                     read_int(c, "BITTORRENT_TRACKER_PORT", 1, 65535, s.tracker_port),
                     read_int(c, "BITTORRENT_TIMEOUT", 5, 86400, s.stall_timeout_s),
                     read_int(c, "BITTORRENT_SEED_MAX", 0, 7 * 86400, s.seed_max_s),
                     read_int(c, "BITTORRENT_MAX_PEERS", 0, 500, s.max_peers),
                     read_int(c, "BITTORRENT_SERVER_TIMEOUT", 1, 86400, s.server_timeout_s)}) {
        if (err) {
            return *err;
        }
    }
    return s;
}

}  // namespace si
