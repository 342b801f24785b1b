#pragma once
// The one place libtorrent settings are built: a LAN profile for imaging clusters, used by both
// the server's seeder and the agent. docs/performance.md says which of them matter and how to
// measure them.
#include <cstdint>
#include <string>

#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>

namespace si {

enum class PeerRole { seeder, agent };

struct LanProfile {
    std::string address;     // bind here, listen and connect out
    std::uint16_t port = 0;  // listen port; 0: any
    PeerRole role = PeerRole::agent;
    bool multiple_connections_per_ip = false;  // only when several peers share one address
};

lt::settings_pack lan_settings(const LanProfile& profile);

// Private-range peers are "local" in libtorrent: never choked, never rate-limited. On a LAN
// every peer is local, so that would make upload slots meaningless; put everyone in the global
// class instead, so the choker decides.
void apply_lan_peer_classes(lt::session& session);

// libtorrent caps connections_limit at RLIMIT_NOFILE when the session starts: raise it first.
void raise_fd_limit();

}  // namespace si
