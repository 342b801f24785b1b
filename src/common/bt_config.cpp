#include "common/bt_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <type_traits>
#include <variant>

#include "common/appconfig_file.hpp"
#include "common/bt_config_keys.hpp"
#include "common/file_io.hpp"
#include "common/list_split.hpp"
#include "common/text_lines.hpp"
#include "common/yes_no.hpp"

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
    if (auto v = si::parse_yes_no(a.value)) {
        return *v;
    }
    return config_error(where(conf, a) + "'" + a.value + "' is not one of y, n");
}

Result<Compression> parse_compress(const ShellConf& conf, const Assignment& a) {
    std::string v = lower(a.value);
    if (v == "gzip") {
        return Compression::gzip;
    }
    if (v == "zstd") {
        return Compression::zstd;
    }
    if (auto yes = si::parse_yes_no(v)) {
        return *yes ? Compression::gzip : Compression::none;
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

// BT_WEB_SEEDS: "self", or an http:// or https:// URL with a host and no query or fragment
// (a web seed's client appends the tarball's name to it). Each URL is given a final '/' when it
// has none: BEP 19 reads a URL without one as the file itself, which one URL for every
// image cannot be.
Result<std::vector<std::string>> parse_web_seeds(const ShellConf& conf, const Assignment& a) {
    SplitList list = split_list(a.value);
    std::vector<std::string> out;
    for (std::string url : list.items) {
        if (url == "self") {
            out.push_back(std::move(url));
            continue;
        }
        const std::size_t scheme_end = url.find("://");
        const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
        const std::size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
        const bool bad_char = std::any_of(url.begin(), url.end(), [](char c) {
            return static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '?' || c == '#';
        });
        if ((scheme != "http" && scheme != "https") || host_start >= url.size() ||
            url[host_start] == '/' || bad_char) {
            return config_error(where(conf, a) + "'" + url +
                                "' is not self or an http:// or https:// URL without ? or #");
        }
        if (url.back() != '/') {
            url += '/';
        }
        if (std::find(out.begin(), out.end(), url) == out.end()) {
            out.push_back(std::move(url));
        }
    }
    return out;
}

// An integer in the key's range; `unit` words the error ("seconds (10-86400)").
Result<std::int64_t> parse_number(const ShellConf& conf, const Assignment& a,
                                  const BtConfigKey& key, const std::string& unit) {
    std::int64_t v = 0;
    const char* end = a.value.data() + a.value.size();
    auto [p, ec] = std::from_chars(a.value.data(), end, v);
    if (a.value.empty() || ec != std::errc() || p != end || v < key.min || v > key.max) {
        return config_error(where(conf, a) + "'" + a.value + "' is not a number of " + unit);
    }
    return v;
}

// Checks `a` as its row says and stores it in `bt`.
Status set_key(BtConfig& bt, const BtConfigKey& key, const ShellConf& conf, const Assignment& a) {
    const auto store = [&](auto value) {
        // The value's type named out here: GCC 12 misreads decltype of a capture in the
        // nested lambda's `if constexpr`.
        using Value = decltype(value);
        std::visit(
            [&](auto member) {
                // A row whose type and field disagree stores nothing (bt_config_keys_test).
                using Field = std::remove_reference_t<decltype(bt.*member)>;
                if constexpr (std::is_same_v<Field, Value>) {
                    bt.*member = std::move(value);
                }
            },
            key.field);
    };
    switch (key.type) {
        case ConfType::port: {
            auto port = parse_port(conf, a);
            if (!port) {
                return port.error();
            }
            store(*port);
            break;
        }
        case ConfType::file:
        case ConfType::interface:
            if (a.value.empty()) {
                return config_error(where(conf, a) +
                                    (key.type == ConfType::file
                                         ? "must name a file"
                                         : "must name an interface or an address"));
            }
            store(a.value);
            break;
        case ConfType::text:
            store(a.value);
            break;
        case ConfType::yes_no: {
            auto v = parse_yes_no(conf, a);
            if (!v) {
                return v.error();
            }
            store(*v);
            break;
        }
        case ConfType::compress: {
            auto c = parse_compress(conf, a);
            if (!c) {
                return c.error();
            }
            store(*c);
            break;
        }
        case ConfType::names: {
            auto names = parse_names(conf, a, bt.warnings);
            if (!names) {
                return names.error();
            }
            store(std::move(*names));
            break;
        }
        case ConfType::seconds:
        case ConfType::mib_per_s: {
            const std::string range = "(" + std::to_string(key.min) + "-" +
                                      std::to_string(key.max) +
                                      (key.type == ConfType::mib_per_s ? ", 0: off)" : ")");
            auto n = parse_number(conf, a, key,
                                  (key.type == ConfType::seconds ? "seconds " : "MiB/s ") + range);
            if (!n) {
                return n.error();
            }
            if (key.type == ConfType::seconds) {
                store(*n);
            } else {
                store(static_cast<std::uint32_t>(*n));
            }
            break;
        }
        case ConfType::key_file:
            if (a.value == "none") {
                store(std::string{});
            } else if (a.value.empty() || a.value.front() != '/') {
                return config_error(where(conf, a) + "'" + a.value +
                                    "' is not an absolute path or none");
            } else {
                store(a.value);
            }
            break;
        case ConfType::web_seeds: {
            auto urls = parse_web_seeds(conf, a);
            if (!urls) {
                return urls.error();
            }
            store(std::move(*urls));
            break;
        }
        case ConfType::servers: {
            auto servers = parse_server_list(a.value);
            if (!servers) {
                return config_error(where(conf, a) + servers.error().message);
            }
            store(std::move(*servers));
            break;
        }
    }
    return Ok{};
}

}  // namespace

Result<BtConfig> bt_config_from(const ShellConf& conf) {
    BtConfig bt;
    bt.file = conf.file;
    bt.warnings = conf.warnings;
    for (const BtConfigKey& key : bt_config_keys()) {
        if (key.required && conf.find(std::string(key.name)) == nullptr) {
            return config_error("error in " + conf.file + ": " + std::string(key.name) +
                                " not specified!");
        }
    }
    for (const Assignment& a : conf.assignments) {
        // Only the last assignment of a key counts, as in a shell.
        if (conf.find(a.key) != &a) {
            continue;
        }
        const BtConfigKey* key = find_bt_config_key(a.key);
        if (key == nullptr) {
            bt.warnings.push_back(conf.file + ":" + std::to_string(a.line) + ": unknown key " +
                                  a.key + " (ignored)");
            continue;
        }
        if (auto st = set_key(bt, *key, conf, a); !st) {
            return st.error();
        }
    }
    // A key file named in the file must exist; the default one is used only when it does
    // (server/signing.hpp).
    bt.signing_key_required = !bt.signing_key.empty() && conf.find("BT_SIGNING_KEY") != nullptr;
    bt.monitor_key_required = !bt.monitor_key.empty() && conf.find("BT_MONITOR_KEY") != nullptr;
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
