#include "seeder.hpp"

#include <chrono>
#include <filesystem>
#include <thread>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include "common/lt_profile.hpp"
#include "seeder_policy.hpp"
#include "seeder_profile.hpp"
#include "server/peer_server_filter.hpp"

namespace si {
namespace {

// How long start() waits for libtorrent to report that the listen socket is open.
constexpr auto listen_deadline = std::chrono::seconds(10);

}  // namespace

Seeder::Seeder(SeederSettings settings, Logger& log) : settings_(std::move(settings)), log_(log) {}

Seeder::~Seeder() {
    stop();
}

Status Seeder::start(std::function<void()> notify) {
    raise_fd_limit();
    lt::session_params params(seeder_session_settings(settings_));
    session_ = std::make_unique<lt::session>(std::move(params));
    apply_lan_peer_classes(*session_);
    session_->set_ip_filter(peer_server_filter(settings_.peer_servers, settings_.address));

    const std::string where = settings_.address + ":" + std::to_string(settings_.port);
    auto deadline = std::chrono::steady_clock::now() + listen_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
        session_->wait_for_alert(std::chrono::milliseconds(200));
        std::vector<lt::alert*> alerts;
        session_->pop_alerts(&alerts);
        for (lt::alert* a : alerts) {
            if (auto* ok = lt::alert_cast<lt::listen_succeeded_alert>(a)) {
                if (ok->socket_type == lt::socket_type_t::tcp) {
                    log_.info("seeder: listening on " + ok->address.to_string() + ":" +
                              std::to_string(ok->port));
                    session_->set_alert_notify(std::move(notify));
                    return Ok{};
                }
            } else if (auto* bad = lt::alert_cast<lt::listen_failed_alert>(a)) {
                std::string msg = "seeder: listen " + where + ": " + bad->error.message();
                session_.reset();
                return Error{msg, ErrorKind::bind};
            }
        }
    }
    session_.reset();
    return Error{"seeder: listen " + where + ": no answer from libtorrent", ErrorKind::bind};
}

Status Seeder::add(const std::string& torrent_file, const std::string& tarball) {
    std::lock_guard lock(mu_);
    if (!session_) {
        return Error{"seeder: not started"};
    }
    lt::error_code ec;
    auto ti = std::make_shared<lt::torrent_info>(torrent_file, ec);
    if (ec) {
        return Error{"seeder: load " + torrent_file + ": " + ec.message(), ErrorKind::bad_data};
    }
    remove_locked(tarball);
    const lt::sha1_hash v1 = ti->info_hashes().v1;
    const bool super = super_seeds(settings_.super_seed, ti->num_pieces());
    lt::add_torrent_params p;
    p.ti = std::move(ti);
    p.save_path = std::filesystem::path(tarball).parent_path().string();
    p.flags = seeder_torrent_flags(settings_, p.ti->num_pieces());
    lt::torrent_handle h = session_->add_torrent(std::move(p), ec);
    if (ec) {
        return Error{"seeder: add " + torrent_file + ": " + ec.message(), ErrorKind::internal};
    }
    by_tarball_[tarball] = h;
    if (!super) {
        // A super-seeder's peers connect to it themselves (our agents do); with the
        // introduction on, a 64-node run left 2 nodes without their last piece.
        introducible_[std::string(v1.data(), v1.size())] = tarball;
    }
    log_.info(std::string("seeder: ") + (super ? "super-seeding " : "seeding ") +
              std::filesystem::path(tarball).filename().string());
    return Ok{};
}

void Seeder::introduce(const std::string& info_hash, const boost::asio::ip::address& ip,
                       std::uint16_t port) {
    boost::system::error_code ec;
    if (ip == boost::asio::ip::make_address(settings_.address, ec) && port == settings_.port) {
        return;
    }
    // An optimisation only: never wait for stop() or add(), which hold the lock for long.
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) {
        return;
    }
    auto it = introducible_.find(info_hash);
    if (it != introducible_.end()) {
        by_tarball_.at(it->second).connect_peer(lt::tcp::endpoint(ip, port));
    }
}

void Seeder::reconnect(const std::string& tarball, const std::vector<lt::tcp::endpoint>& peers) {
    boost::system::error_code ec;
    const auto self = boost::asio::ip::make_address(settings_.address, ec);
    std::lock_guard lock(mu_);
    auto it = by_tarball_.find(tarball);
    if (it == by_tarball_.end()) {
        return;
    }
    for (const lt::tcp::endpoint& peer : peers) {
        if (!(peer.address() == self && peer.port() == settings_.port)) {
            it->second.connect_peer(peer);
        }
    }
}

void Seeder::remove(const std::string& tarball) {
    std::lock_guard lock(mu_);
    remove_locked(tarball);
}

void Seeder::remove_locked(const std::string& tarball) {
    std::erase_if(introducible_, [&](const auto& entry) { return entry.second == tarball; });
    auto it = by_tarball_.find(tarball);
    if (it == by_tarball_.end()) {
        return;
    }
    if (session_) {
        session_->remove_torrent(it->second);
    }
    log_.info("seeder: no longer seeding " + std::filesystem::path(tarball).filename().string());
    by_tarball_.erase(it);
}

bool Seeder::seeding(const std::string& tarball) const {
    return by_tarball_.count(tarball) > 0;
}

void Seeder::handle_alerts() {
    if (!session_) {
        return;
    }
    std::vector<lt::alert*> alerts;
    session_->pop_alerts(&alerts);
    for (lt::alert* a : alerts) {
        if (auto* e = lt::alert_cast<lt::torrent_error_alert>(a)) {
            log_.error("seeder: " + e->message());
        } else if (auto* f = lt::alert_cast<lt::file_error_alert>(a)) {
            log_.error("seeder: " + f->message());
        } else if (auto* h = lt::alert_cast<lt::hash_failed_alert>(a)) {
            log_.error("seeder: " + h->message() + " (tarball modified after packing?)");
        } else if (auto* s = lt::alert_cast<lt::state_changed_alert>(a)) {
            // Seed mode checks a piece the first time it is sent; one that fails makes
            // libtorrent leave seed mode (seeding -> downloading) and re-check the file,
            // without any other alert: the tarball on disk is not what was packed.
            if (s->prev_state == lt::torrent_status::seeding &&
                s->state == lt::torrent_status::downloading) {
                std::string tarball;
                {
                    std::lock_guard lock(mu_);
                    for (const auto& [name, handle] : by_tarball_) {
                        if (handle == s->handle) {
                            tarball = name;
                        }
                    }
                }
                if (!tarball.empty() && bad_tarball_) {
                    bad_tarball_(tarball);
                }
            }
        } else if (auto* t = lt::alert_cast<lt::tracker_error_alert>(a)) {
            log_.warn("seeder: " + t->message());
        } else if (auto* l = lt::alert_cast<lt::listen_failed_alert>(a)) {
            log_.error("seeder: " + l->message());
        }
    }
}

SeederStats Seeder::stats() {
    std::lock_guard lock(mu_);
    SeederStats s;
    for (auto& [tarball, h] : by_tarball_) {
        lt::torrent_status st = h.status();
        ++s.torrents;
        s.peers += st.num_peers;
        s.uploaded_bytes += st.total_payload_upload;
        s.uploaded_by_tarball[tarball] = st.total_payload_upload;
    }
    return s;
}

void Seeder::stop() {
    std::unique_ptr<lt::session> session;
    {
        std::lock_guard lock(mu_);
        if (!session_) {
            return;
        }
        session_->set_alert_notify([] {});
        by_tarball_.clear();
        session = std::move(session_);
    }
    // Outside the lock: the destructor sends the stopped announces (bounded by
    // stop_tracker_timeout) to our own tracker, whose thread may meanwhile handle alerts.
    session.reset();
}

}  // namespace si
