#include "server/config/server_settings.hpp"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "server/config/tracker_tiers.hpp"
#include "server/config/web_seed_urls.hpp"

namespace si {

std::vector<PackJob> plan_pack_jobs(const std::vector<std::string>& images,
                                    const std::vector<std::string>& overrides, Compression c,
                                    const ServerDirs& dirs) {
    std::vector<PackJob> jobs;
    const auto add = [&](PackKind kind, const std::string& name, const std::string& dir) {
        PackJob job;
        job.kind = kind;
        job.name = name;
        job.compression = c;
        job.source_dir = dir + "/" + name;
        const std::string tarball = tarball_name(kind, name, c);
        job.tarball = dirs.tarball_dir + "/" + tarball;
        job.torrent = dirs.torrent_dir + "/" + torrent_name(tarball);
        jobs.push_back(std::move(job));
    };
    for (const auto& name : images) {
        add(PackKind::image, name, dirs.image_dir);
    }
    for (const auto& name : overrides) {
        add(PackKind::override_, name, dirs.override_dir);
    }
    return jobs;
}

std::string announce_url(const std::string& address, std::uint16_t port) {
    return "http://" + address + ":" + std::to_string(port) + "/announce";
}

ServerSettings make_server_settings(const BtConfig& bt, const ServerDirs& dirs,
                                    const std::string& address, const std::string& bt_conf_path) {
    ServerSettings s;
    s.dirs = dirs;
    s.packer.delta = bt.delta;
    s.keys = KeySettings{bt.signing_key, bt.signing_key_required, bt.monitor_key,
                         bt.monitor_key_required};
    s.update = bt.update;
    std::vector<std::string> tiers = tracker_tiers(address, bt.tracker_port, bt.peer_servers);
    s.packer.announce_url = tiers.front();
    s.packer.more_trackers.assign(tiers.begin() + 1, tiers.end());
    s.packer.web_seeds = web_seed_urls(bt.web_seeds, address, bt.tracker_port);
    s.packer.threads = std::max(1u, std::thread::hardware_concurrency());
    s.tracker.address = address;
    s.tracker.port = bt.tracker_port;
    s.tracker.state_file = bt.tracker_state;
    s.tracker.log_file = bt.tracker_log;
    s.tracker.torrent_dir = dirs.torrent_dir;
    s.tracker.serve_tarballs = !bt.web_seeds.empty();
    s.seeder.address = address;
    s.seeder.port = bt.seeder_port;
    s.seeder.super_seed = bt.super_seed;
    s.seeder.peer_servers = bt.peer_servers;
    s.monitor.enabled = bt.monitor;
    s.monitor.address = address;
    s.monitor.port = bt.monitor_port;
    s.monitor.state_file =
        bt.monitor_state.empty() ? bt.tracker_state + ".nodes" : bt.monitor_state;
    s.monitor.stuck_after_s = bt.monitor_stuck_s;
    s.scrub.bytes_per_s = std::uint64_t{bt.scrub_mib_per_s} << 20;
    s.jobs = plan_pack_jobs(bt.images, bt.overrides, bt.compress, dirs);
    s.netboot.nodes_file =
        !bt.nodes_file.empty()
            ? bt.nodes_file
            : (std::filesystem::path(bt_conf_path).parent_path() / "nodes.conf").string();
    s.netboot.config_dir = dirs.tftp_dir + "/pxelinux.cfg";
    s.netboot.template_path =
        bt.netboot_template.empty() ? s.netboot.config_dir + "/default" : bt.netboot_template;
    s.netboot.local_after_install = dirs.net_boot_local;
    s.netboot.power_command = bt.power_command;
    return s;
}

}  // namespace si
