#include "common/lt_profile.hpp"

#include <sys/resource.h>

#include <libtorrent/alert.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/session_handle.hpp>

#include "common/agent_peer_id.hpp"

namespace si {
namespace {

// Bytes of disk reads/writes queued before the peer connections are told to wait. Large enough
// to keep a 1 Gb/s link busy while the disk catches up.
constexpr int queued_disk_bytes = 32 * 1024 * 1024;
// A LAN swarm of a thousand nodes still needs only a few dozen connections per peer.
constexpr int connections_limit = 500;
// libtorrent raises any tracker interval below this; ours is short during a deployment.
constexpr int min_announce_interval_s = 5;

}  // namespace

lt::settings_pack lan_settings(const LanProfile& p) {
    lt::settings_pack s = lt::high_performance_seed();
    const std::string endpoint = p.address + ":" + std::to_string(p.port);
    s.set_str(lt::settings_pack::listen_interfaces, endpoint);
    s.set_str(lt::settings_pack::outgoing_interfaces, p.address);
    s.set_str(lt::settings_pack::user_agent,
              std::string(p.role == PeerRole::seeder ? "si_btd/" : "si_btagent/") + SI_VERSION);
    if (p.role == PeerRole::agent) {
        // The seeder super-seeds agents only and serves any other client normally
        // (server/seed/seeder_policy.hpp): it knows an agent by this peer id prefix.
        s.set_str(lt::settings_pack::peer_fingerprint, agent_peer_fingerprint(SI_VERSION));
    }
    s.set_int(lt::settings_pack::alert_mask,
              lt::alert_category::error | lt::alert_category::status | lt::alert_category::tracker |
                  lt::alert_category::storage);
    // Nothing leaves the cluster network: no DHT, LSD or port mapping, and we never start an
    // encrypted handshake. Our own peers talk TCP only (faster than uTP on a LAN, and no
    // congestion control to fight), but a uTP connection request is answered: the UDP port is
    // open anyway, and SystemImager 4.9's initrd (transmission-cli, uTP on) otherwise waited
    // ~20 s on every peer before it fell back to TCP (33.7-36 s instead of ~14 s).
    // An encrypted handshake (MSE) is answered too: transmission-cli's default ("encryption":
    // 1, preferred) opens with one, and after a refused one over uTP it sat idle until the
    // seeder itself connected to it: first data after 33-35 s instead of 12 s at 100 Mbit/s
    // (bench/interop_bench.py --pcap, issue 28). A client offering plaintext gets plaintext
    // (allowed_enc_level both, prefer_rc4 off).
    s.set_bool(lt::settings_pack::enable_dht, false);
    s.set_bool(lt::settings_pack::enable_lsd, false);
    s.set_bool(lt::settings_pack::enable_upnp, false);
    s.set_bool(lt::settings_pack::enable_natpmp, false);
    s.set_bool(lt::settings_pack::enable_outgoing_utp, false);
    s.set_bool(lt::settings_pack::enable_incoming_utp, true);
    s.set_bool(lt::settings_pack::enable_outgoing_tcp, true);
    s.set_bool(lt::settings_pack::enable_incoming_tcp, true);
    s.set_int(lt::settings_pack::out_enc_policy, lt::settings_pack::pe_disabled);
    s.set_int(lt::settings_pack::in_enc_policy, lt::settings_pack::pe_enabled);
    s.set_int(lt::settings_pack::allowed_enc_level, lt::settings_pack::pe_both);
    s.set_bool(lt::settings_pack::prefer_rc4, false);
    s.set_int(lt::settings_pack::max_queued_disk_bytes, queued_disk_bytes);
    s.set_int(lt::settings_pack::connections_limit, connections_limit);
    s.set_int(lt::settings_pack::min_announce_interval, min_announce_interval_s);
    // Every tracker of every tier: with several image servers each tracker knows only the
    // peers that announce to it (server/config/tracker_tiers.hpp), so a node announcing to one
    // would see only part of the swarm.
    s.set_bool(lt::settings_pack::announce_to_all_trackers, true);
    s.set_bool(lt::settings_pack::announce_to_all_tiers, true);
    s.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, p.multiple_connections_per_ip);
    // Our own tracker may sit on loopback or a private address; that is the point.
    s.set_bool(lt::settings_pack::ssrf_mitigation, false);
    s.set_bool(lt::settings_pack::allow_idna, false);
    return s;
}

void apply_lan_peer_classes(lt::session& session) {
    lt::ip_filter classes;
    const std::uint32_t global = 1u
                                 << static_cast<std::uint32_t>(lt::session::global_peer_class_id);
    classes.add_rule(lt::make_address_v4("0.0.0.0"), lt::make_address_v4("255.255.255.255"),
                     global);
    classes.add_rule(lt::make_address_v6("::"),
                     lt::make_address_v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), global);
    session.set_peer_class_filter(classes);
}

void raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

}  // namespace si
