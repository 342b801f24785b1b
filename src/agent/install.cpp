#include "agent/install.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/disk_plan.hpp"
#include "agent/disk_prepare.hpp"
#include "agent/exit_codes.hpp"
#include "agent/http_get.hpp"
#include "agent/incomplete_mark.hpp"
#include "agent/install_record.hpp"
#include "agent/layout_fetch.hpp"
#include "agent/monitor.hpp"
#include "agent/progress_line.hpp"
#include "agent/staging.hpp"
#include "agent/swarm.hpp"
#include "agent/torrent_fetch.hpp"
#include "agent/trust.hpp"
#include "common/hex_string.hpp"
#include "common/interface_address.hpp"
#include "common/known_contents.hpp"
#include "common/monitor_auth.hpp"

namespace si {

StepStatus run_install(InstallSteps& steps, bool prepare_disks) {
    StepStatus failed = steps.begin();
    const auto then = [&](bool wanted, auto step) {
        if (!failed && wanted) {
            failed = (steps.*step)();
        }
    };
    then(true, &InstallSteps::fetch_torrents);
    then(prepare_disks, &InstallSteps::plan_layout);
    bool held = false;
    if (!failed) {
        failed = steps.check_already_installed(held);
    }
    if (!failed && held) {
        return std::nullopt;
    }
    then(prepare_disks, &InstallSteps::prepare_disks);
    then(true, &InstallSteps::stage);
    then(true, &InstallSteps::download_and_unpack);
    then(prepare_disks, &InstallSteps::finish_disks);
    then(true, &InstallSteps::complete);
    if (failed) {
        steps.clean_up(*failed);
    }
    return failed;
}

namespace {

// The local address the kernel would use to reach the image server: our own in the swarm.
Result<std::string> route_source(const std::string& server, std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return Error{"socket: " + std::string(std::strerror(errno)), ErrorKind::io};
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
        return Error{"no route to image server " + server + ": " + std::strerror(err),
                     ErrorKind::unreachable};
    }
    char buf[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &me.sin_addr, buf, sizeof buf);
    return std::string(buf);
}

class Install final : public InstallSteps {
  public:
    Install(InstallOptions options, AgentSettings settings, Logger& log)
        : opt_(std::move(options)), s_(std::move(settings)), log_(log) {}

    // The address this node talks from, the first monitor report, and a root to install into.
    StepStatus begin() override {
        auto bind = opt_.bind.empty() ? route_source(s_.image_server, s_.tracker_port)
                                      : si::resolve_interface_address(opt_.bind);
        if (!bind) {
            return fail("address", bind.error());
        }
        bind_ = *bind;
        monitor_ = std::make_unique<si::MonitorReporter>(s_, bind_, log_);
        auto monitor_key = si::load_monitor_key(opt_.monitor_key, opt_.monitor_key_given);
        if (monitor_key) {
            monitor_->set_auth_key(*monitor_key);
        }
        monitor_->send(report(si::monitor_status::initializing, "start"));
        if (!monitor_key) {
            return fail("keys", monitor_key.error());
        }
        if (StepStatus failed = load_trust()) {
            return failed;
        }
        log_.info("si_btagent " SI_VERSION ": installing image " + s_.image_name + " from " +
                  si::format_server_list(s_.image_servers) + " into " + opt_.root +
                  " (this node: " + bind_ + ")");
        std::error_code ec;
        if (!std::filesystem::is_directory(opt_.root, ec)) {
            return fail("root", si::Error{opt_.root + " is not a directory (is the target "
                                                      "mounted?)",
                                          si::ErrorKind::io});
        }
        return std::nullopt;
    }

    // The public keys of the initrd (agent/trust.hpp); none: unsigned images are accepted,
    // loudly.
    StepStatus load_trust() {
        auto keys = si::load_trusted_keys(opt_.trusted_keys, opt_.trusted_keys_given);
        if (!keys) {
            return fail("keys", keys.error());
        }
        trusted_ = std::move(*keys);
        if (trusted_.empty()) {
            log_.warn("NO TRUSTED KEY in " + opt_.trusted_keys +
                      ": accepting unsigned .torrents and layouts from whoever answers at " +
                      s_.image_server +
                      " (anyone on this network can install on this node; build the initrd "
                      "with --trust-key)");
        } else {
            std::string ids;
            for (const auto& k : trusted_) {
                ids += (ids.empty() ? "" : ", ") + si::key_id_text(k.id);
            }
            log_.info("trusting only what key(s) " + ids + " signed (" + opt_.trusted_keys + ")");
        }
        return std::nullopt;
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
    StepStatus fetch_torrents() override {
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
        return std::nullopt;
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
    // proof with install=held, and `held` is set. Otherwise the install goes on in full (the
    // disks are then wiped as usual). Blank disks are looked at mounted read-only.
    StepStatus check_already_installed(bool& held) override {
        held = false;
        if (s_.reinstall) {
            log_.info("BITTORRENT_REINSTALL=y: installing in full without looking at the disk");
            return std::nullopt;
        }
        monitor_->send(report(si::monitor_status::initializing, "check"));
        std::optional<si::Mounts> read_only;
        if (plan_) {
            auto m = si::mount_planned_read_only(*plan_, opt_.root);
            if (!m) {
                log_.info("not already installed: " + m.error().message + " (installing in full)");
                return std::nullopt;
            }
            read_only.emplace(std::move(*m));
        }
        const si::HeldVerdict v = si::check_held(opt_.root, install_target(), &known_);
        if (auto st = read_only ? read_only->unmount_all() : si::Status(si::Ok{}); !st) {
            return fail("unmount", st.error());
        }
        if (!v.held) {
            if (plan_ && v.recorded && si::reimage_in_place(v.record, install_target()) &&
                zstd_image()) {
                in_place_ = true;
                log_.info("not already installed: " + v.reason + "; the disks hold " +
                          v.record.target.image.name +
                          " installed from this layout: reimaging them in place, downloading "
                          "only what changed (BITTORRENT_REINSTALL=y formats them instead)");
                return std::nullopt;
            }
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
        log_.info("already installed: " + opt_.root + " holds " + s_.image_name +
                  (torrents_.size() > 1
                       ? " + " + std::to_string(torrents_.size() - 1) + " override(s)"
                       : "") +
                  " exactly as recorded at its install (" + scan + "); nothing downloaded");
        monitor_->send(report(si::monitor_status::imaged, "done", proof_));
        std::printf("si_btagent: already installed: %s into %s; downloaded 0 bytes\n",
                    s_.image_name.c_str(), opt_.root.c_str());
        std::fflush(stdout);
        held = true;
        return std::nullopt;
    }

    // The install record, written as the last thing before the incomplete mark goes: what was
    // installed, the proof, and the manifest of the root as it is now (the staged tarballs, when
    // they are under the root, left out: they go before the node reboots). A record that cannot
    // be made costs only the next boot's shortcut: a warning, and that boot installs in full.
    void write_record() {
        si::ManifestOptions options;
        options.exclude = si::record_manifest_excludes();
        options.known = &known_;  // what the unpack wrote or a scan read is not read again
        const auto root = std::filesystem::path(opt_.root).lexically_normal().string();
        for (const std::string& f : staged_) {
            const auto staged = std::filesystem::path(f).lexically_normal().string();
            if (staged.size() > root.size() && staged.compare(0, root.size(), root) == 0) {
                options.exclude.push_back(
                    "/" + std::filesystem::path(staged).lexically_relative(root).string());
            }
        }
        const auto start = std::chrono::steady_clock::now();
        auto manifest = si::build_tree_manifest(opt_.root, options);
        si::Status written = manifest ? si::Status(si::Ok{}) : si::Status(manifest.error());
        if (manifest) {
            si::InstallRecord record;
            record.target = install_target();
            record.proof = proof_;
            record.installed_at = static_cast<std::int64_t>(std::time(nullptr));
            record.manifest = manifest->lines;
            written = si::write_install_record(opt_.root, record);
        }
        if (!written) {
            log_.warn("install record: " + written.error().message +
                      " (the next network boot installs in full)");
            return;
        }
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char line[400];
        std::snprintf(line, sizeof line,
                      "install record: %s/%s (%lld entries; digests of %.1f MB known from the "
                      "unpack or a scan, %.1f MB read; %.2f s)",
                      opt_.root.c_str(), si::install_record_name,
                      static_cast<long long>(manifest->entries),
                      static_cast<double>(manifest->known_bytes) / 1e6,
                      static_cast<double>(manifest->content_bytes) / 1e6, s);
        log_.info(line);
    }

    // Where the tarballs are staged while they download (room for all of them), and the
    // root's "incomplete" mark, so a node that stops half-way is not taken for installed.
    StepStatus stage() override {
        for (const auto& t : torrents_) {
            total_bytes_ += t.info->total_size();
        }
        auto staging = si::choose_staging(s_.staging.empty() ? opt_.staging : s_.staging, opt_.root,
                                          total_bytes_);
        if (!staging) {
            return fail("staging", staging.error());
        }
        staging_ = *staging;
        std::error_code ec;
        for (const auto& t : torrents_) {
            staged_.push_back(staging_ + "/" + t.tarball);
            std::filesystem::remove(staged_.back(), ec);  // a leftover of an earlier attempt
        }
        if (auto st = si::mark_incomplete(opt_.root, s_.image_name, s_.overrides); !st) {
            return fail("root", st.error());
        }
        return std::nullopt;
    }

    // The image, then the overrides in order, each unpacked over the root as it downloads.
    StepStatus download_and_unpack() override {
        swarm_ = std::make_unique<si::Swarm>(s_, bind_, log_);
        if (auto st = swarm_->start(); !st) {
            return fail("swarm", st.error());
        }
        swarm_->remember_contents(&known_);
        std::optional<si::DeltaRequest> delta = delta_request();
        if (in_place_ && !delta) {
            // Unpacking over unformatted disks without the scan would leave what the image
            // dropped: stop, and say how to format them instead.
            si::Error e = in_place_scan_error_.value_or(si::Error{"no install record"});
            e.message = "reimage in place: cannot scan the root (" + e.message +
                        "); BITTORRENT_REINSTALL=y formats the disks instead";
            return fail("delta", e);
        }
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
            auto r = swarm_->download_and_unpack(t, staging_, opt_.root, on_progress,
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
        return std::nullopt;
    }

    // A root that holds an earlier install of any image (its record is there), with no disks
    // to prepare or on disks reimaged in place: the image is installed as a delta
    // (agent/delta_start.hpp), which needs the root's scan taken now, before anything is
    // written. nullopt: a full install.
    std::optional<si::DeltaRequest> delta_request() {
        if ((plan_ && !in_place_) || s_.reinstall || !zstd_image()) {
            return std::nullopt;
        }
        std::error_code ec;
        if (!std::filesystem::exists(opt_.root + "/" + si::install_record_name, ec)) {
            return std::nullopt;
        }
        si::DeltaRequest d;
        d.in_place = in_place_;
        d.exclude = si::record_manifest_excludes();
        const auto root = std::filesystem::path(opt_.root).lexically_normal().string();
        const auto staging = std::filesystem::path(staging_).lexically_normal().string();
        if (staging.size() > root.size() && staging.compare(0, root.size(), root) == 0) {
            std::string rel =
                "/" + std::filesystem::path(staging).lexically_relative(root).string();
            while (rel.size() > 1 && rel.back() == '/') {
                rel.pop_back();
            }
            d.exclude.push_back(rel);
        }
        if (in_place_) {
            // The layout's other filesystems: emptied if the root must be cleared; one it
            // keeps (format="no", e.g. /home) is left out of the scan, the removal and the
            // check, as a blank-disk install leaves its contents.
            for (const si::PlannedFilesystem& f : plan_->filesystems) {
                if (!f.mounted_for_install || f.spec.mp == "/") {
                    continue;
                }
                d.mounts.push_back(f.spec.mp);
                if (f.mkfs.empty()) {
                    d.exclude.push_back(f.spec.mp);
                }
            }
        }
        auto scan = si::scan_root(opt_.root, d.exclude, &known_);
        if (!scan) {
            if (in_place_) {
                in_place_scan_error_ = scan.error();
                return std::nullopt;
            }
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
    StepStatus complete() override {
        write_record();
        if (auto st = si::clear_incomplete(opt_.root); !st) {
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
                    opt_.root.c_str(), static_cast<long long>(uploaded));
        std::fflush(stdout);
        return std::nullopt;
    }

    // Blank disks, before the download: the image's layout from the server, planned against
    // this node's disks (nothing is written unless all of it fits).
    StepStatus plan_layout() override {
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
        return std::nullopt;
    }

    // Only zstd images can be delta-ready (server/pack/delta_pack.hpp): others are not scanned.
    bool zstd_image() const {
        return !torrents_.empty() && torrents_.front().tarball.ends_with(".tar.zst");
    }

    // Blank disks: the planned partitions, mkfs and the filesystems mounted under the root.
    // Disks reimaged in place (check_already_installed): their filesystems mounted as they are.
    StepStatus prepare_disks() override {
        monitor_->send(report(si::monitor_status::initializing, in_place_ ? "mount" : "mkfs"));
        auto prepared = in_place_ ? si::reuse_disks(*plan_, opt_.root, log_)
                                  : si::prepare_disks(*plan_, opt_.root, log_);
        if (!prepared) {
            return fail("disks", prepared.error());
        }
        disks_ = std::make_unique<si::PreparedDisks>(std::move(*prepared));
        return std::nullopt;
    }

    // Blank disks, after the image and overrides: fstab, hostname, bootloader.
    StepStatus finish_disks() override {
        if (auto st = si::write_fstab(opt_.root, si::fstab_text(*plan_, disks_->uuids)); !st) {
            return fail("fstab", st.error());
        }
        log_.info("wrote " + opt_.root + "/etc/fstab from the layout (" +
                  std::to_string(plan_->filesystems.size()) + " lines, by UUID)");
        if (!s_.hostname.empty()) {
            if (auto st = si::write_hostname(opt_.root, s_.hostname); !st) {
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
            if (auto st = si::install_bootloader(*plan_, opt_.root, disks_->uuids, log_); !st) {
                return fail("bootloader", st.error());
            }
        }
        return std::nullopt;
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

    void clean_up(const StepFailure& f) override {
        if (swarm_) {
            swarm_->stop();
        }
        remove_staged();
        const bool restarts =
            f.error.kind == si::ErrorKind::superseded && opt_.restart_follows_superseded;
        if (monitor_ && !restarts) {
            auto r = report(-agent_exit::code_for(f.error.kind), "failed");
            r.error = f.step + ": " + f.error.message;
            if (s_.monitor_console) {
                r.console = log_.tail();  // MONITOR_CONSOLE=y: what led to the failure
            }
            monitor_->send(r);
        }
    }

    static si::StepFailure fail(std::string step, si::Error e) {
        return si::StepFailure{std::move(step), std::move(e)};
    }

    void remove_staged() {
        std::error_code ec;
        for (const auto& f : staged_) {
            std::filesystem::remove(f, ec);
        }
    }

    InstallOptions opt_;
    si::AgentSettings s_;
    si::Logger& log_;
    std::string bind_;
    std::vector<si::PublicKey> trusted_;        // empty: unsigned images are accepted
    std::vector<si::FetchedTorrent> torrents_;  // the image's first, then the overrides'
    std::vector<std::string> names_;            // of torrents_, in the same order
    std::string layout_digest_;                 // sha256 hex of the layout's text (blank disks)
    bool in_place_ = false;  // disks that hold an earlier install from this layout: kept
    std::optional<si::Error> in_place_scan_error_;  // the scan that failed on such disks
    std::string install_ = "full";                  // how the root got the image: full or held
    std::int64_t total_bytes_ = 0;                  // of all tarballs
    std::string staging_;
    std::vector<std::string> staged_;
    si::InstallProof proof_;
    std::optional<si::DiskPlan> plan_;
    // Declared before the swarm: destroyed after it, so nothing holds a file under the root
    // when its filesystems are unmounted.
    std::unique_ptr<si::PreparedDisks> disks_;
    std::unique_ptr<si::MonitorReporter> monitor_;
    std::unique_ptr<si::Swarm> swarm_;
    // Digests of the files the unpack wrote and the scans read, for the delta check and the
    // record (common/known_contents.hpp).
    si::KnownContents known_;
};

}  // namespace

std::unique_ptr<InstallSteps> make_install_steps(InstallOptions options, AgentSettings settings,
                                                 Logger& log) {
    return std::make_unique<Install>(std::move(options), std::move(settings), log);
}

}  // namespace si
