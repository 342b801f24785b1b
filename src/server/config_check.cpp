#include "server/config_check.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/bt_config.hpp"
#include "common/file_io.hpp"
#include "server/boot/nodes_file.hpp"
#include "server/boot/pxe_boot_file.hpp"
#include "server/config/server_config.hpp"

namespace si {
namespace {

Error config_problem(std::string message) {
    return Error{std::move(message), ErrorKind::config};
}

// The start's later steps, on a configuration that loaded: what each writes, and the ports.
void check_loaded(const LoadedConfig& config, ConfigCheck& out) {
    const std::string& file = config.bt.file;
    for (std::string& clash : port_clashes(config.settings, file)) {
        out.problems.push_back(config_problem(std::move(clash)));
    }
    // Log::open_file and the tracker's lock_state: both fatal at start.
    if (auto why = unwritable_file_reason(config.settings.tracker.log_file); !why.empty()) {
        out.problems.push_back(config_problem(file + ": BT_TRACKER_LOG: " + why));
    }
    const std::string& state = config.settings.tracker.state_file;
    if (auto why = unwritable_file_reason(state + ".lock"); !why.empty()) {
        out.problems.push_back(config_problem(file + ": BT_TRACKER_STATE: " + why));
    }
    // Saved later, and only warned about when it fails.
    if (config.settings.monitor.enabled) {
        const std::string& nodes = config.settings.monitor.state_file;
        if (auto why = unwritable_file_reason(nodes); !why.empty()) {
            out.warnings.push_back(file + ": BT_MONITOR_STATE: " + why +
                                   " (the node table would not be kept)");
        }
    }
    // The nodes file stops a start when it is bad (boot_switch.hpp); its boot files need the
    // TFTP root and the install template.
    const NetbootSettings& nb = config.settings.netboot;
    auto inventory = load_nodes_file(nb.nodes_file);
    if (!inventory) {
        out.problems.push_back(inventory.error());
    } else if (!inventory->nodes.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_directory(nb.config_dir, ec)) {
            out.warnings.push_back(nb.config_dir +
                                   " is not a directory (TFTP_DIR): no boot file "
                                   "could be written");
        }
        auto text = read_text_file(nb.template_path);
        if (!text) {
            out.warnings.push_back("install template (BT_NETBOOT_TEMPLATE): " +
                                   text.error().message);
        } else if (auto entry = render_install_boot_file(*text, {}, 0, "si_btd"); !entry) {
            out.warnings.push_back(nb.template_path + ": " + entry.error().message);
        }
    }
    // The packer skips a missing tree with a warning (packer.cpp); say so now.
    for (const PackJob& job : config.settings.jobs) {
        std::error_code ec;
        if (!std::filesystem::is_directory(job.source_dir, ec)) {
            out.warnings.push_back(std::string(kind_word(job.kind)) + " " + job.name + ": " +
                                   job.source_dir + " is not a directory (it would be skipped)");
        }
    }
}

}  // namespace

std::vector<std::string> port_clashes(const ServerSettings& settings, const std::string& file) {
    struct Port {
        const char* key;
        std::uint16_t port;
    };
    std::vector<Port> ports{{"BT_TRACKER_PORT", settings.tracker.port},
                            {"BT_SEEDER_PORT", settings.seeder.port}};
    if (settings.monitor.enabled) {
        ports.push_back({"BT_MONITOR_PORT", settings.monitor.port});
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (ports[i].port == ports[j].port) {
                out.push_back(file + ": " + ports[i].key + ": port " +
                              std::to_string(ports[i].port) + " is also " + ports[j].key);
            }
        }
    }
    return out;
}

std::string unwritable_file_reason(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            return path + " is a symbolic link";
        }
        if (!S_ISREG(st.st_mode)) {
            return path + " is not a regular file";
        }
        if (::access(path.c_str(), W_OK) != 0) {
            return path + ": " + std::strerror(errno);
        }
        return "";
    }
    // ENOTDIR: a file where a directory of the path should be, found below.
    if (errno != ENOENT && errno != ENOTDIR) {
        return path + ": " + std::strerror(errno);
    }
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) {
        dir = ".";
    }
    // The start creates missing directories (create_directories): find the first that exists.
    while (::stat(dir.c_str(), &st) != 0) {
        const int err = errno;
        std::filesystem::path parent = dir.parent_path();
        if (parent.empty()) {
            parent = ".";
        }
        if ((err != ENOENT && err != ENOTDIR) || parent == dir) {
            return dir.string() + ": " + std::strerror(err);
        }
        dir = parent;
    }
    if (!S_ISDIR(st.st_mode)) {
        return dir.string() + " is not a directory";
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        return dir.string() + ": " + std::strerror(errno);
    }
    return "";
}

ConfigCheck check_server_config(const std::string& bt_conf_path, const std::string& si_conf_path) {
    ConfigCheck out;
    auto loaded = load_server_config(bt_conf_path, si_conf_path);
    if (loaded) {
        out.warnings = loaded->warnings;
        check_loaded(*loaded, out);
        return out;
    }
    out.problems.push_back(loaded.error());
    // load_server_config stops at bittorrent.conf's first problem: systemimager.conf may
    // have one of its own.
    if (!load_bt_config(bt_conf_path)) {
        std::vector<std::string> ignored;
        if (auto dirs = load_systemimager_conf(si_conf_path, ignored); !dirs) {
            out.problems.push_back(dirs.error());
        }
    }
    return out;
}

}  // namespace si
