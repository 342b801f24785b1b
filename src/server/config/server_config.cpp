#include "server/config/server_config.hpp"

#include "common/interface_address.hpp"

namespace si {

Result<LoadedConfig> load_server_config(const std::string& bt_conf_path,
                                        const std::string& si_conf_path) {
    LoadedConfig out;
    auto bt = load_bt_config(bt_conf_path);
    if (!bt) {
        return bt.error();
    }
    out.bt = std::move(*bt);
    out.warnings = out.bt.warnings;
    auto dirs = load_systemimager_conf(si_conf_path, out.warnings);
    if (!dirs) {
        return dirs.error();
    }
    out.dirs = *dirs;
    auto address = resolve_interface_address(out.bt.interface);
    if (!address) {
        return Error{bt_conf_path + ": BT_INTERFACE: " + address.error().message,
                     address.error().kind};
    }
    out.address = *address;
    out.settings = make_server_settings(out.bt, out.dirs, out.address, bt_conf_path);
    return out;
}

}  // namespace si
