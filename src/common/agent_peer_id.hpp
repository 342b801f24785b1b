#pragma once
// How si_btd tells its own agents from other BitTorrent clients: by the peer id each sends in
// its handshake (BEP 3; BEP 20's Azureus-style "-XXvvvv-" prefix). The agent sends "-SI" and
// its version; the seeder super-seeds only peers that do (server/seed/seeder_policy.hpp).
#include <string>
#include <string_view>

namespace si {

// The two letters after the dash of an agent's peer id (BEP 20 client code).
inline constexpr std::string_view agent_client_code = "SI";

// An agent's peer id prefix for `version` ("major.minor.patch"; each number is one digit, a
// larger one is written as 9, a missing one as 0): "-SI0100-" for "0.1.0". For libtorrent's
// settings_pack::peer_fingerprint.
std::string agent_peer_fingerprint(std::string_view version);

// Whether the 20-byte peer id `peer_id` (or any prefix of at least 3 bytes) is an agent's.
constexpr bool is_agent_peer_id(std::string_view peer_id) {
    return peer_id.size() >= 3 && peer_id[0] == '-' && peer_id.substr(1, 2) == agent_client_code;
}

}  // namespace si
