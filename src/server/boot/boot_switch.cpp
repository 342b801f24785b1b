#include "server/boot/boot_switch.hpp"

#include "common/file_io.hpp"
#include "server/boot/boot_decision.hpp"

namespace si {

BootTarget boot_target(const ListedNode& n, const std::string& image) {
    return BootTarget{n.mac, n.hostname, image, n.overrides};
}

BootSwitch::BootSwitch(NetbootSettings settings, Logger& log)
    : settings_(std::move(settings)), log_(log), dir_(settings_.config_dir) {}

Status BootSwitch::load(const NetbootSettings& settings, std::int64_t now) {
    auto inv = load_nodes_file(settings.nodes_file);
    if (!inv) {
        return inv.error();
    }
    settings_ = settings;
    dir_ = BootFileDir(settings_.config_dir);
    inventory_ = std::move(*inv);
    not_switched_.clear();
    view_read_ = {};
    if (inventory_.nodes.empty()) {
        log_.info("netboot: no node listed in " + settings_.nodes_file +
                  "; no per-node boot file is written");
        return Ok{};
    }
    auto text = read_text_file(settings_.template_path);
    template_text_ = text ? *text : std::string();
    if (!text) {
        log_.error("netboot: install template: " + text.error().message +
                   " (BT_NETBOOT_TEMPLATE); listed nodes without a boot file get none");
    }
    int written = 0;
    for (const ListedNode& n : inventory_.nodes) {
        auto st = dir_.read(n.mac);
        if (!st) {
            log_.error("netboot: " + st.error().message);
            continue;
        }
        if (st->exists || template_text_.empty()) {
            continue;
        }
        auto entry =
            render_install_boot_file(template_text_, boot_target(n, n.image), now, "si_btd");
        if (!entry) {
            log_.error("netboot: " + settings_.template_path + ": " + entry.error().message);
            break;
        }
        if (auto w = dir_.write(n.mac, *entry); !w) {
            log_.error("netboot: " + n.hostname + ": " + w.error().message);
            continue;
        }
        ++written;
    }
    log_.info("netboot: " + std::to_string(inventory_.nodes.size()) + " node(s) listed in " +
              settings_.nodes_file + "; boot files in " + settings_.config_dir + " (" +
              std::to_string(written) + " install entr" + (written == 1 ? "y" : "ies") +
              " written); NET_BOOT_DEFAULT = " + (settings_.local_after_install ? "local" : "net"));
    return Ok{};
}

void BootSwitch::on_report(const MonitorReport& merged, std::int64_t now) {
    if (inventory_.nodes.empty()) {
        return;
    }
    const ListedNode* listed = inventory_.by_mac(merged.mac);
    auto file = listed != nullptr ? dir_.read(merged.mac) : Result<BootFileState>(BootFileState{});
    if (!file) {
        log_.error("netboot: " + file.error().message);
        return;
    }
    const BootDecision d =
        decide_boot_after_report(merged, listed, *file, settings_.local_after_install);
    const std::string who =
        (listed != nullptr ? listed->hostname : merged.host) + " (" + merged.mac + ")";
    if (!d.switch_to_local) {
        const int status = merged.status.value_or(0);
        if (status < report_status::imaged) {
            not_switched_.erase(merged.mac);  // a new install: its outcome is logged again
        } else if (!d.why.empty() && not_switched_[merged.mac] != d.why) {
            not_switched_[merged.mac] = d.why;
            log_.warn("netboot: " + who + ": " + d.why);
        }
        return;
    }
    const std::string text = render_local_boot_file(boot_target(*listed, merged.os), now, "si_btd");
    if (auto w = dir_.write(merged.mac, text); !w) {
        log_.error("netboot: " + who + ": cannot switch to local boot: " + w.error().message);
        return;
    }
    view_read_ = {};
    log_.info("netboot: " + who + " installed " + merged.os +
              " (verified): switched to local boot (" + dir_.path_for(merged.mac) + ")");
}

const std::vector<NodeBootView>& BootSwitch::view(std::chrono::steady_clock::duration max_age) {
    const auto now = std::chrono::steady_clock::now();
    if (view_read_ == std::chrono::steady_clock::time_point{} || now - view_read_ >= max_age) {
        refresh_view();
        view_read_ = now;
    }
    return view_;
}

void BootSwitch::refresh_view() {
    view_.clear();
    for (const ListedNode& n : inventory_.nodes) {
        NodeBootView v{n.mac, n.hostname, n.image, n.group, "none", "", 0};
        if (auto st = dir_.read(n.mac); !st) {
            v.boot = "error";
        } else if (st->header) {
            v.boot = std::string(boot_mode_name(st->header->mode));
            v.boot_image = st->header->image;
            v.boot_since = st->header->since;
        } else if (st->exists) {
            v.boot = "foreign";
        }
        view_.push_back(std::move(v));
    }
}

}  // namespace si
