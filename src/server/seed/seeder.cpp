#include "server/seed/seeder.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/peer_info.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include "common/delta_trailer.hpp"
#include "common/lt_profile.hpp"
#include "server/seed/foreign_client_plugin.hpp"
#include "server/seed/peer_server_filter.hpp"
#include "server/seed/seeder_policy.hpp"
#include "server/seed/seeder_profile.hpp"
#include "server/seed/wanted_pieces_plugin.hpp"

namespace si {
namespace {

// How long start() waits for libtorrent to report that the listen socket is open.
constexpr auto listen_deadline = std::chrono::seconds(10);

// "10.0.0.7:51413"
std::string endpoint_text(const lt::tcp::endpoint& ep) {
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// Whether the tarball ends with a delta locator (a BT_DELTA image, common/delta_trailer.hpp).
bool delta_ready(const std::string& tarball) {
    std::ifstream in(tarball, std::ios::binary);
    std::error_code ec;
    const auto size = std::filesystem::file_size(tarball, ec);
    if (!in || ec || size < delta_locator_bytes) {
        return false;
    }
    std::string tail(delta_locator_bytes, '\0');
    in.seekg(static_cast<std::streamoff>(size - delta_locator_bytes));
    if (!in.read(tail.data(), static_cast<std::streamsize>(tail.size()))) {
        return false;
    }
    return static_cast<bool>(parse_delta_locator(std::span<const char>(tail.data(), tail.size()),
                                                 static_cast<std::int64_t>(size)));
}

}  // namespace

Seeder::Seeder(boost::asio::io_context& io, SeederSettings settings, Logger& log)
    : settings_(std::move(settings)), log_(log), watch_timer_(io) {}

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
                    schedule_watch();
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
    const bool delta = delta_ready(tarball);
    const int num_pieces = ti->num_pieces();
    const bool super =
        super_seeds(settings_.super_seed, num_pieces, delta, wanted_pieces_plugin_available);
    [[maybe_unused]] const std::int64_t piece_bytes = ti->piece_length();
    lt::add_torrent_params p;
    p.ti = std::move(ti);
    p.save_path = std::filesystem::path(tarball).parent_path().string();
    p.flags = seeder_torrent_flags(settings_, p.ti->num_pieces(), delta);
    if (super) {
        // Clients other than our agents are seeded normally from their handshake on.
        p.extensions.push_back(
            foreign_client_plugin(std::filesystem::path(tarball).filename().string(), log_));
    }
    if (super && delta) {
        // Nodes that hold an earlier version say which pieces they want (si_wanted).
        p.extensions.push_back(wanted_pieces_plugin(
            std::filesystem::path(tarball).filename().string(), num_pieces, log_));
    }
    lt::torrent_handle h = session_->add_torrent(std::move(p), ec);
    if (ec) {
        return Error{"seeder: add " + torrent_file + ": " + ec.message(), ErrorKind::internal};
    }
    by_tarball_[tarball] = h;
    const std::string name = std::filesystem::path(tarball).filename().string();
    if (!super) {
        // A super-seeder's peers connect to it themselves (our agents do); with the
        // introduction on, a 64-node run left 2 nodes without their last piece.
        introducible_[std::string(v1.data(), v1.size())] = tarball;
        log_.info("seeder: seeding " + name +
                  (!settings_.super_seed ? " (BT_SUPER_SEED=n)"
                   : num_pieces >= min_super_seed_pieces
                       ? " (delta-ready: nodes that hold an earlier version ask for pieces a "
                         "super-seeder would not offer them)"
                       : " (fewer than " + std::to_string(min_super_seed_pieces) +
                             " pieces: super-seeding saves nothing)"));
        return Ok{};
    }
    watched_[tarball] = Watched{};
#ifdef SI_LT_SUPER_SEED_OFFER
    const int offer = super_seed_offer_pieces(piece_bytes);
    h.set_super_seed_offer(offer);
    log_.info("seeder: super-seeding " + name + " (" + std::to_string(offer) +
              " pieces on offer at once, shared by its leechers: a lone leecher has " +
              std::to_string(super_seed_offer_per_peer(offer, 1)) + ", 4 have " +
              std::to_string(super_seed_offer_per_peer(offer, 4)) + " each, from " +
              std::to_string(offer / 2) + " on 2 each; clients other than si_btagent are " +
              "seeded normally, and so is a leecher that gets nothing for " +
              std::to_string(static_cast<int>(super_seed_stall_s)) + " s" +
              (delta ? "; delta-ready: a node that holds an earlier version is offered only "
                       "the pieces it says it wants"
                     : "") +
              ")");
#else
    log_.info("seeder: super-seeding " + name +
              " (libtorrent without our patches: 2 pieces on offer per peer)");
#endif
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
    watched_.erase(tarball);
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

void Seeder::schedule_watch() {
#ifndef SI_LT_SUPER_SEED_OFFER
    // Debian's libtorrent cannot serve one peer of a super-seeded torrent normally: no watch.
    return;
#endif
    watch_timer_.expires_after(leecher_watch_interval);
    watch_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        {
            std::lock_guard lock(mu_);
            if (!session_) {
                return;  // stopped: no more looks
            }
        }
        watch_leechers();
        schedule_watch();
    });
}

void Seeder::watch_leechers() {
    std::lock_guard lock(mu_);
    if (!session_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    const double elapsed_s = watched_at_ == std::chrono::steady_clock::time_point{}
                                 ? 0.0
                                 : std::chrono::duration<double>(now - watched_at_).count();
    watched_at_ = now;
    std::vector<lt::peer_info> peers;
    for (auto& [tarball, watched] : watched_) {
        auto h = by_tarball_.find(tarball);
        if (h == by_tarball_.end()) {
            continue;
        }
        h->second.get_peer_info(peers);
        // By address: a client that reconnects (a new port each time) keeps its history.
        struct Look {
            LeecherSample sample{0, 0, true};
            std::vector<lt::tcp::endpoint> endpoints;
            std::string client;
        };
        std::map<std::string, Look> looks;
        for (const lt::peer_info& p : peers) {
            if (foreign_client_plugin_available &&
                !super_seeds_peer(std::string_view(p.pid.data(), p.pid.size()))) {
                continue;  // seeded normally since its handshake (foreign_client_plugin)
            }
            Look& look = looks[p.ip.address().to_string()];
            look.sample.from_us_bytes += p.total_upload;
            look.sample.pieces = std::max(look.sample.pieces, p.pieces.count());
            look.sample.seed = look.sample.seed && static_cast<bool>(p.flags & lt::peer_info::seed);
            look.endpoints.push_back(p.ip);
            look.client = p.client;
        }
        std::map<std::string, LeecherWatch> seen;
        for (const auto& [who, look] : looks) {
            auto before = watched.leechers.find(who);
            LeecherWatch w =
                watch_leecher(before == watched.leechers.end() ? LeecherWatch{} : before->second,
                              look.sample, before == watched.leechers.end() ? 0.0 : elapsed_s);
            if (serve_normally(w)) {
                w.served_normally = true;
                log_.info("seeder: " + std::filesystem::path(tarball).filename().string() + ": " +
                          endpoint_text(look.endpoints.front()) +
                          (look.client.empty() ? "" : " (" + look.client + ")") +
                          " got nothing from the super-seeder and no piece from anyone for " +
                          std::to_string(static_cast<int>(w.quiet_s)) + " s (it has " +
                          std::to_string(look.sample.pieces) +
                          " pieces): seeding it normally, every piece on offer");
            }
            if (w.served_normally) {
                // Also its connections made since (libtorrent's setting is per connection).
                for (const lt::tcp::endpoint& ep : look.endpoints) {
                    if (watched.served_normally.insert(endpoint_text(ep)).second) {
#ifdef SI_LT_SUPER_SEED_OFFER
                        h->second.serve_peer_normally(ep);
#endif
                    }
                }
            }
            seen[who] = w;
        }
        watched.leechers = std::move(seen);
    }
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
