// si_btagent: installs a SystemImager image over BitTorrent from the initrd. See si_btagent(8).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/exit_codes.hpp"
#include "agent/trust.hpp"
#include "common/agent_settings.hpp"
#include "common/file_io.hpp"
#include "common/hex_string.hpp"
#include "common/interface_address.hpp"
#include "common/kernel_cmdline.hpp"
#include "common/log.hpp"
#include "common/monitor_auth.hpp"
#include "disk_plan.hpp"
#include "disk_prepare.hpp"
#include "http_get.hpp"
#include "incomplete_mark.hpp"
#include "install_record.hpp"
#include "layout_fetch.hpp"
#include "monitor.hpp"
#include "progress_line.hpp"
#include "staging.hpp"
#include "swarm.hpp"
#include "torrent_fetch.hpp"

namespace {

struct Args {
    std::string cmdline = "/proc/cmdline";
    std::string root = "/a";
    std::string staging;
    std::string bind;
    bool verbose = false;
    bool prepare_disks = false;  // blank disks: partition, mkfs and mount from the image's layout
    // What the initrd trusts (agent/trust.hpp); a path given on the command line must exist.
    std::string trusted_keys = si::default_trusted_keys_dir;
    std::string monitor_key = si::default_monitor_key_file;
    bool trusted_keys_given = false;
    bool monitor_key_given = false;
    bool seal_report = false;  // only: seal the report line on stdin with the monitor key
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: si_btagent [--cmdline FILE] [--root DIR] [--staging DIR]\n"
                 "                  [--bind ADDRESS|INTERFACE] [--prepare-disks] [--verbose]\n"
                 "                  [--trusted-keys DIR] [--monitor-key FILE]\n"
                 "                  [--help] [--version]\n"
                 "       si_btagent --seal-report [--monitor-key FILE] < LINE\n"
                 "Installs IMAGENAME and OVERRIDES from IMAGESERVER over BitTorrent into the\n"
                 "root, as the kernel command line says (BITTORRENT=y). With --prepare-disks,\n"
                 "first partitions, formats and mounts this node's disks under the root as the\n"
                 "image's disk layout says (WIPING them), and afterwards writes fstab and the\n"
                 "hostname and installs GRUB. With public keys in --trusted-keys (default\n"
                 "/etc/si/trusted-keys), refuses a .torrent or layout not signed by one of them\n"
                 "before writing anything. See si_btagent(8).\n");
}

int parse_args(int argc, char** argv, Args& a) {
    for (int i = 1; i < argc; ++i) {
        std::string_view s = argv[i];
        auto take = [&](std::string_view opt, std::string& out) {
            if (s == opt && i + 1 < argc) {
                out = argv[++i];
                return true;
            }
            if (s.size() > opt.size() + 1 && s.substr(0, opt.size()) == opt &&
                s[opt.size()] == '=') {
                out = std::string(s.substr(opt.size() + 1));
                return true;
            }
            return false;
        };
        if (s == "--help" || s == "-h") {
            usage(stdout);
            return si::agent_exit::ok;
        }
        if (s == "--version") {
            std::printf("si_btagent %s\n", SI_VERSION);
            return si::agent_exit::ok;
        }
        if (s == "--verbose" || s == "-v") {
            a.verbose = true;
        } else if (s == "--prepare-disks") {
            a.prepare_disks = true;
        } else if (s == "--seal-report") {
            a.seal_report = true;
        } else if (take("--trusted-keys", a.trusted_keys)) {
            a.trusted_keys_given = true;
        } else if (take("--monitor-key", a.monitor_key)) {
            a.monitor_key_given = true;
        } else if (!take("--cmdline", a.cmdline) && !take("--root", a.root) &&
                   !take("--staging", a.staging) && !take("--bind", a.bind)) {
            std::fprintf(stderr, "si_btagent: unknown option or missing value: '%s'\n", argv[i]);
            usage(stderr);
            return si::agent_exit::usage;
        }
    }
    return -1;
}

// The local address the kernel would use to reach the image server: our own in the swarm.
si::Result<std::string> route_source(const std::string& server, std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return si::Error{"socket: " + std::string(std::strerror(errno)), si::ErrorKind::io};
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, server.c_str(), &to.sin_addr);
    sockaddr_in me{};
    socklen_t len = sizeof me;
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (rc == 0) {
        rc = getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len);
    }
    int err = errno;
    close(fd);
    if (rc != 0) {
        return si::Error{"no route to image server " + server + ": " + std::strerror(err),
                         si::ErrorKind::unreachable};
    }
    char buf[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &me.sin_addr, buf, sizeof buf);
    return std::string(buf);
}

class Agent {
  public:
    Agent(const Args& args, si::AgentSettings settings, si::Logger& log)
        : args_(args), s_(std::move(settings)), log_(log) {}

    // The install, step by step; each step returns agent_exit::ok or the code of its failure,
    // which fail() has already reported (stderr and the monitor).
    int run() {
        int rc = begin();
        if (rc == si::agent_exit::ok) {
            rc = fetch_torrents();
        }
        if (rc == si::agent_exit::ok && args_.prepare_disks) {
            rc = plan_layout();
        }
        if (rc == si::agent_exit::ok) {
            if (auto held = already_installed()) {
                return *held;
            }
        }
        if (rc == si::agent_exit::ok && args_.prepare_disks) {
            rc = prepare_disks();
        }
        if (rc == si::agent_exit::ok) {
            rc = stage();
        }
        if (rc == si::agent_exit::ok) {
            rc = download_and_unpack_all();
        }
        if (rc == si::agent_exit::ok && plan_) {
            rc = finish_disks();
        }
        if (rc == si::agent_exit::ok) {
            rc = complete();
        }
        return rc;
    }

  private:
    // The address this node talks from, the first monitor report, and a root to install into.
    int begin() {
        auto bind = args_.bind.empty() ? route_source(s_.image_server, s_.tracker_port)
                                       : si::resolve_interface_address(args_.bind);
        if (!bind) {
            return fail("address", bind.error());
        }
        bind_ = *bind;
        monitor_ = std::make_unique<si::MonitorReporter>(s_, bind_, log_);
        auto monitor_key = si::load_monitor_key(args_.monitor_key, args_.monitor_key_given);
        if (monitor_key) {
            monitor_->set_auth_key(*monitor_key);
        }
        monitor_->send(report(si::monitor_status::initializing, "start"));
        if (!monitor_key) {
            return fail("keys", monitor_key.error());
        }
        if (int rc = load_trust(); rc != si::agent_exit::ok) {
            return rc;
        }
        log_.info("si_btagent " SI_VERSION ": installing image " + s_.image_name + " from " +
                  si::format_server_list(s_.image_servers) + " into " + args_.root +
                  " (this node: " + bind_ + ")");
        std::error_code ec;
        if (!std::filesystem::is_directory(args_.root, ec)) {
            return fail("root", si::Error{args_.root + " is not a directory (is the target "
                                                       "mounted?)",
                                          si::ErrorKind::io});
        }
        return si::agent_exit::ok;
    }

    // The public keys of the initrd (agent/trust.hpp); none: unsigned images are accepted,
    // loudly.
    int load_trust() {
        auto keys = si::load_trusted_keys(args_.trusted_keys, args_.trusted_keys_given);
        if (!keys) {
            return fail("keys", keys.error());
        }
        trusted_ = std::move(*keys);
        if (trusted_.empty()) {
            log_.warn("NO TRUSTED KEY in " + args_.trusted_keys +
                      ": accepting unsigned .torrents and layouts from whoever answers at " +
                      s_.image_server +
                      " (anyone on this network can install on this node; build the initrd "
                      "with --trust-key)");
        } else {
            std::string ids;
            for (const auto& k : trusted_) {
                ids += (ids.empty() ? "" : ", ") + si::key_id_text(k.id);
            }
            log_.info("trusting only what key(s) " + ids + " signed (" + args_.trusted_keys + ")");
        }
        return si::agent_exit::ok;
    }

    // The .torrent of `name`, its signature checked before its bytes are parsed (with trusted
    // keys: agent/trust.hpp), and the signed info-hash against the parsed one.
    si::Result<si::FetchedTorrent> fetch_signed(si::PackKind kind, const std::string& name) {
        std::optional<si::SignedClaim> claim;
        auto verify = [&](const si::ServerAddress& server, const std::string& target,
                          std::string_view bytes) -> si::Status {
            auto c = si::check_signed(s_, server, trusted_, bind_, target, bytes,
                                      si::kind_word(kind), name, "", log_);
            if (!c) {
                return c.error();
            }
            claim = std::move(*c);
            return si::Ok{};
        };
        auto t = si::fetch_torrent(s_, kind, name, bind_, log_, verify);
        if (t && claim) {
            const std::string hash = si::hex_string(t->info->info_hashes().v1);
            if (auto st = si::check_claim(*claim, si::kind_word(kind), name, hash); !st) {
                return si::Error{
                    std::string(si::kind_word(kind)) + " '" + name + "': " + st.error().message,
                    si::ErrorKind::untrusted};
            }
        }
        return t;
    }

    // The image's .torrent, then each override's; an override the server does not serve is
    // skipped with a warning (SystemImager's OVERRIDES may list more than one image uses).
    int fetch_torrents() {
        auto image = fetch_signed(si::PackKind::image, s_.image_name);
        if (!image) {
            return fail("fetch torrent", image.error());
        }
        torrents_.push_back(std::move(*image));
        names_.push_back(s_.image_name);
        for (const auto& name : s_.overrides) {
            auto o = fetch_signed(si::PackKind::override_, name);
            if (!o) {
                if (o.error().kind == si::ErrorKind::not_found) {
                    log_.warn(o.error().message + " (skipped)");
                    continue;
                }
                return fail("fetch torrent", o.error());
            }
            torrents_.push_back(std::move(*o));
            names_.push_back(name);
        }
        return si::agent_exit::ok;
    }

    // What this boot installs, as an install record names it: each pack's name and info-hash,
    // the layout's digest and the hostname the agent writes (blank disks).
    si::InstallTarget install_target() const {
        si::InstallTarget t;
        for (std::size_t i = 0; i < torrents_.size(); ++i) {
            si::PackIdentity p{names_[i], si::hex_string(torrents_[i].info->info_hashes().v1)};
            if (i == 0) {
                t.image = std::move(p);
            } else {
                t.overrides.push_back(std::move(p));
            }
        }
        t.layout_digest = layout_digest_;
        t.hostname = plan_ ? s_.hostname : "";
        return t;
    }

    // Before anything is written: when the disk already holds exactly what this boot would
    // install (agent/install_record.hpp), nothing is downloaded, the monitor hears the recorded
    // proof with install=held, and the agent's exit code is returned. nullopt: install in full
    // (the disks are then wiped as usual). Blank disks are looked at mounted read-only.
    std::optional<int> already_installed() {
        if (s_.reinstall) {
            log_.info("BITTORRENT_REINSTALL=y: installing in full without looking at the disk");
            return std::nullopt;
        }
        monitor_->send(report(si::monitor_status::initializing, "check"));
        std::optional<si::Mounts> read_only;
        if (plan_) {
            auto m = si::mount_planned_read_only(*plan_, args_.root);
            if (!m) {
                log_.info("not already installed: " + m.error().message + " (installing in full)");
                return std::nullopt;
            }
            read_only.emplace(std::move(*m));
        }
        const si::HeldVerdict v = si::check_held(args_.root, install_target());
        if (auto st = read_only ? read_only->unmount_all() : si::Status(si::Ok{}); !st) {
            return fail("unmount", st.error());
        }
        if (!v.held) {
            log_.info("not already installed: " + v.reason + " (installing in full)");
            return std::nullopt;
        }
        proof_ = v.record.proof;
        install_ = "held";
        const double mb = static_cast<double>(v.scanned_bytes) / 1e6;
        char scan[160];
        std::snprintf(scan, sizeof scan, "%lld entries, %.1f MB read in %.2f s (%.0f MB/s)",
                      static_cast<long long>(v.scanned_entries), mb, v.scan_seconds,
                      v.scan_seconds > 0 ? mb / v.scan_seconds : 0.0);
        log_.info("already installed: " + args_.root + " holds " + s_.image_name +
                  (torrents_.size() > 1
                       ? " + " + std::to_string(torrents_.size() - 1) + " override(s)"
                       : "") +
                  " exactly as recorded at its install (" + scan + "); nothing downloaded");
        monitor_->send(report(si::monitor_status::imaged, "done", proof_));
        std::printf("si_btagent: already installed: %s into %s; downloaded 0 bytes\n",
                    s_.image_name.c_str(), args_.root.c_str());
        std::fflush(stdout);
        return si::agent_exit::ok;
    }

    // The install record, written as the last thing before the incomplete mark goes: what was
    // installed, the proof, and the manifest of the root as it is now (the staged tarballs, when
    // they are under the root, left out: they go before the node reboots). A record that cannot
    // be made costs only the next boot's shortcut: a warning, and that boot installs in full.
    void write_record() {
        si::ManifestOptions options;
        options.exclude = si::record_manifest_excludes();
        const auto root = std::filesystem::path(args_.root).lexically_normal().string();
        for (const std::string& f : staged_) {
            const auto staged = std::filesystem::path(f).lexically_normal().string();
            if (staged.size() > root.size() && staged.compare(0, root.size(), root) == 0) {
                options.exclude.push_back(
                    "/" + std::filesystem::path(staged).lexically_relative(root).string());
            }
        }
        const auto start = std::chrono::steady_clock::now();
        auto manifest = si::build_tree_manifest(args_.root, options);
        si::Status written = manifest ? si::Status(si::Ok{}) : si::Status(manifest.error());
        if (manifest) {
            si::InstallRecord record;
            record.target = install_target();
            record.proof = proof_;
            record.installed_at = static_cast<std::int64_t>(std::time(nullptr));
            record.manifest = manifest->lines;
            written = si::write_install_record(args_.root, record);
        }
        if (!written) {
            log_.warn("install record: " + written.error().message +
                      " (the next network boot installs in full)");
            return;
        }
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char line[300];
        std::snprintf(
            line, sizeof line, "install record: %s/%s (%lld entries, %.1f MB hashed in %.2f s)",
            args_.root.c_str(), si::install_record_name, static_cast<long long>(manifest->entries),
            static_cast<double>(manifest->content_bytes) / 1e6, s);
        log_.info(line);
    }

    // Where the tarballs are staged while they download (room for all of them), and the
    // root's "incomplete" mark, so a node that stops half-way is not taken for installed.
    int stage() {
        for (const auto& t : torrents_) {
            total_bytes_ += t.info->total_size();
        }
        auto staging = si::choose_staging(s_.staging.empty() ? args_.staging : s_.staging,
                                          args_.root, total_bytes_);
        if (!staging) {
            return fail("staging", staging.error());
        }
        staging_ = *staging;
        std::error_code ec;
        for (const auto& t : torrents_) {
            staged_.push_back(staging_ + "/" + t.tarball);
            std::filesystem::remove(staged_.back(), ec);  // a leftover of an earlier attempt
        }
        if (auto st = si::mark_incomplete(args_.root, s_.image_name, s_.overrides); !st) {
            return fail("root", st.error());
        }
        return si::agent_exit::ok;
    }

    // The image, then the overrides in order, each unpacked over the root as it downloads.
    int download_and_unpack_all() {
        swarm_ = std::make_unique<si::Swarm>(s_, bind_, log_);
        if (auto st = swarm_->start(); !st) {
            return fail("swarm", st.error());
        }
        std::optional<si::DeltaRequest> delta = delta_request();
        std::int64_t done_before = 0;
        proof_.archive_end = true;
        proof_.overrides_fetched = static_cast<int>(torrents_.size()) - 1;
        for (const auto& t : torrents_) {
            auto on_progress = [&](const si::TransferProgress& p) {
                log_.info(si::progress_line(p));
                auto r = report(si::monitor_percent(done_before + p.downloaded_bytes, total_bytes_),
                                "download");
                r.speed_kbs = p.download_rate / 1024;
                r.up_kbs = p.upload_rate / 1024;
                r.peers = p.peers;
                monitor_->maybe_send(r);
            };
            const bool image = &t == &torrents_.front();
            auto r = swarm_->download_and_unpack(t, staging_, args_.root, on_progress,
                                                 image && delta ? &*delta : nullptr);
            if (!r) {
                return fail("install " + t.tarball, r.error());
            }
            if (r->delta) {
                std::printf(
                    "si_btagent: delta: %s: received %lld bytes of %lld; kept %lld "
                    "entries (%lld bytes of file data), removed %lld\n",
                    t.tarball.c_str(), static_cast<long long>(r->received_bytes),
                    static_cast<long long>(r->bytes), static_cast<long long>(r->held_entries),
                    static_cast<long long>(r->held_bytes),
                    static_cast<long long>(r->removed_entries));
                std::fflush(stdout);
            }
            done_before += t.info->total_size();
            proof_.pieces_verified += r->pieces_verified;
            proof_.pieces_total += r->pieces_total;
            proof_.archive_end = proof_.archive_end && r->archive_end;
            proof_.entries += r->entries;
            proof_.bytes += r->file_bytes;
            if (&t != &torrents_.front()) {
                ++proof_.overrides_applied;
            }
            for (const std::string& line : si::transfer_summary_lines(*r)) {
                log_.info(line);
            }
        }
        return si::agent_exit::ok;
    }

    // A root that holds an earlier install of any image (its record is there) and no disks to
    // prepare: the image is installed as a delta (agent/delta_start.hpp), which needs the
    // root's scan taken now, before anything is written. nullopt: a full install.
    std::optional<si::DeltaRequest> delta_request() {
        // Only zstd images can be delta-ready (server/delta_pack.hpp): others are not scanned.
        if (plan_ || s_.reinstall || torrents_.empty() ||
            !torrents_.front().tarball.ends_with(".tar.zst")) {
            return std::nullopt;
        }
        std::error_code ec;
        if (!std::filesystem::exists(args_.root + "/" + si::install_record_name, ec)) {
            return std::nullopt;
        }
        si::DeltaRequest d;
        d.exclude = si::record_manifest_excludes();
        const auto root = std::filesystem::path(args_.root).lexically_normal().string();
        const auto staging = std::filesystem::path(staging_).lexically_normal().string();
        if (staging.size() > root.size() && staging.compare(0, root.size(), root) == 0) {
            d.exclude.push_back("/" +
                                std::filesystem::path(staging).lexically_relative(root).string());
        }
        auto scan = si::scan_root(args_.root, d.exclude);
        if (!scan) {
            log_.info("delta: cannot scan the root (" + scan.error().message +
                      "); installing in full");
            return std::nullopt;
        }
        const double mb = static_cast<double>(scan->content_bytes) / 1e6;
        char line[200];
        std::snprintf(line, sizeof line,
                      "delta: the root holds an earlier install: %zu entries, %.1f MB read in "
                      "%.2f s (%.0f MB/s)",
                      scan->lines.size(), mb, scan->seconds,
                      scan->seconds > 0 ? mb / scan->seconds : 0.0);
        log_.info(line);
        d.scan = std::move(*scan);
        return d;
    }

    // Imaged: the mark goes, the monitor hears it with the proof, the node seeds if asked
    // (BITTORRENT_SEED_WAIT), then the staged tarballs go and the filesystems are unmounted.
    int complete() {
        write_record();
        if (auto st = si::clear_incomplete(args_.root); !st) {
            return fail("root", st.error());
        }
        monitor_->send(report(si::monitor_status::imaged, "imaged", proof_));
        if (s_.seed_wait) {
            swarm_->seed_wait([&](const si::TransferProgress& p) {
                log_.info(si::seeding_line(p));
                auto r = report(si::monitor_status::imaged, "seeding", proof_);
                r.up_kbs = p.upload_rate / 1024;
                r.peers = p.peers;
                monitor_->maybe_send(r);
            });
        }
        std::int64_t uploaded = swarm_->uploaded_total();
        swarm_->stop();
        remove_staged();
        sync();
        if (disks_) {
            if (auto st = disks_->mounts.unmount_all(); !st) {
                return fail("unmount", st.error());
            }
        }
        monitor_->send(report(si::monitor_status::imaged, "done", proof_));
        std::printf("si_btagent: imaged: %s%s into %s; sent %lld bytes to peers\n",
                    s_.image_name.c_str(),
                    torrents_.size() > 1
                        ? (" + " + std::to_string(torrents_.size() - 1) + " override(s)").c_str()
                        : "",
                    args_.root.c_str(), static_cast<long long>(uploaded));
        std::fflush(stdout);
        return si::agent_exit::ok;
    }

    // Blank disks, before the download: the image's layout from the server, planned against
    // this node's disks (nothing is written unless all of it fits).
    int plan_layout() {
        monitor_->send(report(si::monitor_status::initializing, "partition"));
        const std::string target = "/layouts/" + s_.image_name;
        auto got = si::fetch_layout(s_, torrents_.front().server, s_.image_name, bind_, log_);
        if (!got) {
            return fail("layout", si::Error{got.error().message, si::ErrorKind::unreachable});
        }
        if (got->status == 404) {
            return fail("layout",
                        si::Error{"image " + s_.image_name +
                                      " carries no disk layout (etc/systemimager/"
                                      "autoinstallscript.conf in the image) and SI_TARGET is not "
                                      "set: nothing says how to partition this node",
                                  si::ErrorKind::disk});
        }
        if (got->status != 200) {
            return fail("layout",
                        si::Error{"GET " + target + ": HTTP " + std::to_string(got->status),
                                  si::ErrorKind::disk});
        }
        layout_digest_ = si::sha256_hex(got->body);
        // The layout's signature from the server that gave the image's .torrent, where the
        // layout is asked first.
        if (auto st =
                si::check_signed(s_, s_.image_servers[torrents_.front().server], trusted_, bind_,
                                 target, got->body, "layout", s_.image_name, layout_digest_, log_);
            !st) {
            return fail("layout", st.error());
        }
        auto layout = si::parse_layout_text(got->body, target);
        if (!layout) {
            return fail("layout", si::Error{layout.error().message, si::ErrorKind::disk});
        }
        std::vector<std::string> named;
        for (const auto& [golden, dev] : s_.disk_map) {
            named.push_back(dev);
        }
        auto disks = si::wait_for_disks(layout->disks.size(), named,
                                        std::chrono::seconds(s_.disk_wait_s), log_);
        if (!disks) {
            return fail("disks", disks.error());
        }
        auto plan = si::plan_disks(*layout, *disks, s_.disk_map);
        if (!plan) {
            return fail("disk layout", plan.error());
        }
        plan_ = std::move(*plan);
        return si::agent_exit::ok;
    }

    // Blank disks: the planned partitions, mkfs and the filesystems mounted under the root.
    int prepare_disks() {
        monitor_->send(report(si::monitor_status::initializing, "mkfs"));
        auto prepared = si::prepare_disks(*plan_, args_.root, log_);
        if (!prepared) {
            return fail("disks", prepared.error());
        }
        disks_ = std::make_unique<si::PreparedDisks>(std::move(*prepared));
        return si::agent_exit::ok;
    }

    // Blank disks, after the image and overrides: fstab, hostname, bootloader.
    int finish_disks() {
        if (auto st = si::write_fstab(args_.root, si::fstab_text(*plan_, disks_->uuids)); !st) {
            return fail("fstab", st.error());
        }
        log_.info("wrote " + args_.root + "/etc/fstab from the layout (" +
                  std::to_string(plan_->filesystems.size()) + " lines, by UUID)");
        if (!s_.hostname.empty()) {
            if (auto st = si::write_hostname(args_.root, s_.hostname); !st) {
                return fail("hostname", st.error());
            }
            log_.info("hostname: " + s_.hostname);
        }
        if (plan_->bootloader.empty()) {
            log_.warn(
                "the layout names no bootloader: the node boots its disk only if the "
                "image's own boot code does");
        } else {
            monitor_->send(report(99, "bootloader"));  // downloaded; not yet bootable
            if (auto st = si::install_bootloader(*plan_, args_.root, disks_->uuids, log_); !st) {
                return fail("bootloader", st.error());
            }
        }
        return si::agent_exit::ok;
    }

    si::AgentReport report(int status, std::string phase,
                           std::optional<si::InstallProof> proof = std::nullopt) const {
        si::AgentReport r;
        r.status = status;
        r.phase = std::move(phase);
        r.proof = std::move(proof);
        if (r.proof) {
            r.install = install_;
        }
        return r;
    }

    int fail(const std::string& step, const si::Error& e) {
        std::fprintf(stderr, "si_btagent: %s: %s\n", step.c_str(), e.message.c_str());
        if (swarm_) {
            swarm_->stop();
        }
        remove_staged();
        const int code = si::agent_exit::code_for(e.kind);
        if (monitor_) {
            auto r = report(-code, "failed");
            r.error = step + ": " + e.message;
            monitor_->send(r);
        }
        return code;
    }

    void remove_staged() {
        std::error_code ec;
        for (const auto& f : staged_) {
            std::filesystem::remove(f, ec);
        }
    }

    const Args& args_;
    si::AgentSettings s_;
    si::Logger& log_;
    std::string bind_;
    std::vector<si::PublicKey> trusted_;        // empty: unsigned images are accepted
    std::vector<si::FetchedTorrent> torrents_;  // the image's first, then the overrides'
    std::vector<std::string> names_;            // of torrents_, in the same order
    std::string layout_digest_;                 // sha256 hex of the layout's text (blank disks)
    std::string install_ = "full";              // how the root got the image: full or held
    std::int64_t total_bytes_ = 0;              // of all tarballs
    std::string staging_;
    std::vector<std::string> staged_;
    si::InstallProof proof_;
    std::optional<si::DiskPlan> plan_;
    // Declared before the swarm: destroyed after it, so nothing holds a file under the root
    // when its filesystems are unmounted.
    std::unique_ptr<si::PreparedDisks> disks_;
    std::unique_ptr<si::MonitorReporter> monitor_;
    std::unique_ptr<si::Swarm> swarm_;
};

// --seal-report: /init's own reports (rebooting, a failure of its own) get the HMAC the agent's
// carry (common/monitor_auth.hpp), so that si_btd takes them from a node that authenticates.
// Prints the first line of stdin, sealed when there is a monitor key, as it came when not.
int seal_report(const Args& args) {
    auto key = si::load_monitor_key(args.monitor_key, args.monitor_key_given);
    if (!key) {
        std::fprintf(stderr, "si_btagent: %s\n", key.error().message.c_str());
        return si::agent_exit::code_for(key.error().kind);
    }
    std::string line;
    for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar()) {
        line += static_cast<char>(c);
    }
    if (!key->empty()) {
        line = si::seal_report_line(line, *key);
    }
    std::printf("%s\n", line.c_str());
    return si::agent_exit::ok;
}

int run(int argc, char** argv) {
    Args args;
    if (int code = parse_args(argc, argv, args); code >= 0) {
        return code;
    }
    if (args.seal_report) {
        return seal_report(args);
    }
    auto text = si::read_text_file(args.cmdline);
    if (!text) {
        std::fprintf(stderr, "si_btagent: %s\n", text.error().message.c_str());
        return si::agent_exit::io;
    }
    auto settings = si::agent_settings_from(si::parse_kernel_cmdline(*text));
    if (!settings) {
        std::fprintf(stderr, "si_btagent: %s\n", settings.error().message.c_str());
        return si::agent_exit::code_for(settings.error().kind);
    }
    if (!settings->enabled) {
        std::fprintf(stderr,
                     "si_btagent: BITTORRENT=y is not on the kernel command line: not using "
                     "BitTorrent (fall back to another transport)\n");
        return si::agent_exit::disabled;
    }
    signal(SIGPIPE, SIG_IGN);
    si::Logger log;
    Agent agent(args, std::move(*settings), log);
    return agent.run();
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "si_btagent: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "si_btagent: internal error\n");
    }
    return si::agent_exit::failure;
}
