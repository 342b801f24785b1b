#include "common/bt_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>

#include "common/appconfig_file.hpp"
#include "common/file_io.hpp"
#include "common/list_split.hpp"
#include "common/text_lines.hpp"

namespace si {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string where(const ShellConf& conf, const Assignment& a) {
    return conf.file + ":" + std::to_string(a.line) + ": " + a.key + ": ";
}

Error config_error(std::string msg) {
    return Error{std::move(msg), ErrorKind::config};
}

Result<std::uint16_t> parse_port(const ShellConf& conf, const Assignment& a) {
    unsigned value = 0;
    const char* end = a.value.data() + a.value.size();
    auto [p, ec] = std::from_chars(a.value.data(), end, value);
    if (a.value.empty() || ec != std::errc() || p != end || value == 0 || value > 65535) {
        return config_error(where(conf, a) + "'" + a.value + "' is not a port number (1-65535)");
    }
    return static_cast<std::uint16_t>(value);
}

Result<bool> parse_yes_no(const ShellConf& conf, const Assignment& a) {
    std::string v = lower(a.value);
    if (v == "y" || v == "yes") {
        return true;
    }
    if (v == "n" || v == "no") {
        return false;
    }
    return config_error(where(conf, a) + "'" + a.value + "' is not one of y, n");
}

Result<Compression> parse_compress(const ShellConf& conf, const Assignment& a) {
    std::string v = lower(a.value);
    if (v == "y" || v == "yes" || v == "gzip") {
        return Compression::gzip;
    }
    if (v == "n" || v == "no") {
        return Compression::none;
    }
    if (v == "zstd") {
        return Compression::zstd;
    }
    return config_error(where(conf, a) + "'" + a.value + "' is not one of y, n, zstd");
}

Result<std::vector<std::string>> parse_names(const ShellConf& conf, const Assignment& a,
                                             std::vector<std::string>& warnings) {
    SplitList list = split_list(a.value);
    if (list.had_spaces) {
        warnings.push_back(where(conf, a) + "spaces in the list; read as " +
                           std::to_string(list.items.size()) + " name(s)");
    }
    for (const std::string& name : list.items) {
        if (!is_valid_image_name(name)) {
            return config_error(where(conf, a) + "'" + name +
                                "' is not a valid name (letters, digits, . _ + -)");
        }
    }
    return std::move(list.items);
}

}  // namespace

Result<BtConfig> bt_config_from(const ShellConf& conf) {
    BtConfig bt;
    bt.file = conf.file;
    bt.warnings = conf.warnings;
    static constexpr const char* required[] = {"BT_TRACKER_PORT", "BT_TRACKER_STATE",
                                               "BT_TRACKER_LOG"};
    for (const char* key : required) {
        if (conf.find(key) == nullptr) {
            return config_error("error in " + conf.file + ": " + key + " not specified!");
        }
    }
    for (const Assignment& a : conf.assignments) {
        // Only the last assignment of a key counts, as in a shell.
        if (conf.find(a.key) != &a) {
            continue;
        }
        if (a.key == "BT_TRACKER_PORT") {
            auto port = parse_port(conf, a);
            if (!port) {
                return port.error();
            }
            bt.tracker_port = *port;
        } else if (a.key == "BT_SEEDER_PORT") {
            auto port = parse_port(conf, a);
            if (!port) {
                return port.error();
            }
            bt.seeder_port = *port;
        } else if (a.key == "BT_TRACKER_STATE" || a.key == "BT_TRACKER_LOG") {
            if (a.value.empty()) {
                return config_error(where(conf, a) + "must name a file");
            }
            (a.key == "BT_TRACKER_STATE" ? bt.tracker_state : bt.tracker_log) = a.value;
        } else if (a.key == "BT_INTERFACE") {
            if (a.value.empty()) {
                return config_error(where(conf, a) + "must name an interface or an address");
            }
            bt.interface = a.value;
        } else if (a.key == "BT_COMPRESS") {
            auto c = parse_compress(conf, a);
            if (!c) {
                return c.error();
            }
            bt.compress = *c;
        } else if (a.key == "BT_DELTA") {
            auto u = parse_yes_no(conf, a);
            if (!u) {
                return u.error();
            }
            bt.delta = *u;
        } else if (a.key == "BT_UPDATE") {
            auto u = parse_yes_no(conf, a);
            if (!u) {
                return u.error();
            }
            bt.update = *u;
        } else if (a.key == "BT_MONITOR") {
            auto u = parse_yes_no(conf, a);
            if (!u) {
                return u.error();
            }
            bt.monitor = *u;
        } else if (a.key == "BT_MONITOR_PORT") {
            auto port = parse_port(conf, a);
            if (!port) {
                return port.error();
            }
            bt.monitor_port = *port;
        } else if (a.key == "BT_MONITOR_STATE") {
            if (a.value.empty()) {
                return config_error(where(conf, a) + "must name a file");
            }
            bt.monitor_state = a.value;
        } else if (a.key == "BT_MONITOR_STUCK") {
            std::int64_t v = 0;
            const char* end = a.value.data() + a.value.size();
            auto [p, ec] = std::from_chars(a.value.data(), end, v);
            if (a.value.empty() || ec != std::errc() || p != end || v < 10 || v > 86400) {
                return config_error(where(conf, a) + "'" + a.value +
                                    "' is not a number of seconds (10-86400)");
            }
            bt.monitor_stuck_s = v;
        } else if (a.key == "BT_SCRUB_RATE") {
            std::uint32_t v = 0;
            const char* end = a.value.data() + a.value.size();
            auto [p, ec] = std::from_chars(a.value.data(), end, v);
            if (a.value.empty() || ec != std::errc() || p != end || v > max_scrub_mib_per_s) {
                return config_error(where(conf, a) + "'" + a.value +
                                    "' is not a number of MiB/s (0-" +
                                    std::to_string(max_scrub_mib_per_s) + ", 0: off)");
            }
            bt.scrub_mib_per_s = v;
        } else if (a.key == "BT_SUPER_SEED") {
            auto u = parse_yes_no(conf, a);
            if (!u) {
                return u.error();
            }
            bt.super_seed = *u;
        } else if (a.key == "BT_NODES" || a.key == "BT_NETBOOT_TEMPLATE") {
            (a.key == "BT_NODES" ? bt.nodes_file : bt.netboot_template) = a.value;
        } else if (a.key == "BT_SIGNING_KEY" || a.key == "BT_MONITOR_KEY") {
            const bool signing = a.key == "BT_SIGNING_KEY";
            std::string& path = signing ? bt.signing_key : bt.monitor_key;
            bool& required = signing ? bt.signing_key_required : bt.monitor_key_required;
            if (a.value == "none") {
                path.clear();
                required = false;
            } else if (a.value.empty() || a.value.front() != '/') {
                return config_error(where(conf, a) + "'" + a.value +
                                    "' is not an absolute path or none");
            } else {
                path = a.value;
                required = true;
            }
        } else if (a.key == "BT_POWER_COMMAND") {
            bt.power_command = a.value;
        } else if (a.key == "BT_PEER_SERVERS") {
            auto servers = parse_server_list(a.value);
            if (!servers) {
                return config_error(where(conf, a) + servers.error().message);
            }
            bt.peer_servers = std::move(*servers);
        } else if (a.key == "BT_IMAGES" || a.key == "BT_OVERRIDES") {
            auto names = parse_names(conf, a, bt.warnings);
            if (!names) {
                return names.error();
            }
            (a.key == "BT_IMAGES" ? bt.images : bt.overrides) = std::move(*names);
        } else {
            bt.warnings.push_back(conf.file + ":" + std::to_string(a.line) + ": unknown key " +
                                  a.key + " (ignored)");
        }
    }
    if (bt.delta && bt.compress != Compression::zstd) {
        const Assignment* a = conf.find("BT_DELTA");
        return config_error(where(conf, *a) + "delta-ready images are zstd: set BT_COMPRESS=zstd");
    }
    return bt;
}

Result<BtConfig> load_bt_config(const std::string& path) {
    auto conf = load_shell_conf(path);
    if (!conf) {
        return config_error(conf.error().message);
    }
    return bt_config_from(*conf);
}

Result<ServerDirs> parse_systemimager_conf(std::string_view text, std::string_view file,
                                           std::vector<std::string>& warnings) {
    ServerDirs dirs;
    const AppConfigFile conf = parse_appconfig(text, file);
    warnings.insert(warnings.end(), conf.warnings.begin(), conf.warnings.end());
    // systemimager.conf holds many keys for other tools; the rest are not ours to judge.
    for (auto [name, dir] : {std::pair{"default_image_dir", &dirs.image_dir},
                             std::pair{"default_override_dir", &dirs.override_dir},
                             std::pair{"autoinstall_tarball_dir", &dirs.tarball_dir},
                             std::pair{"autoinstall_torrent_dir", &dirs.torrent_dir},
                             std::pair{"tftp_dir", &dirs.tftp_dir}}) {
        if (const AppConfigValue* v = conf.find(name); v != nullptr && !v->value.empty()) {
            *dir = v->value;
        }
    }
    if (const AppConfigValue* v = conf.find("net_boot_default"); v != nullptr) {
        const std::string mode = lower(v->value);
        if (mode != "local" && mode != "net") {
            return config_error(std::string(file) + ":" + std::to_string(v->line) +
                                ": NET_BOOT_DEFAULT: '" + v->value + "' is not one of local, net");
        }
        dirs.net_boot_local = mode == "local";
    }
    return dirs;
}

Result<ServerDirs> load_systemimager_conf(const std::string& path,
                                          std::vector<std::string>& warnings) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) {
        warnings.push_back(path + ": not found; using the default directories");
        return ServerDirs{};
    }
    // A directory opens and reads as empty: it would silently mean the default directories.
    if (std::filesystem::is_directory(path, ec)) {
        return config_error(path + ": is a directory, not systemimager.conf");
    }
    auto text = read_text_file(path);
    if (!text) {
        return config_error(text.error().message);
    }
    return parse_systemimager_conf(*text, path, warnings);
}

}  // namespace si
