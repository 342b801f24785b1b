#pragma once
// The seeder never connects to the other image servers' seeders (BT_PEER_SERVERS).
//
// Every server seeds the whole tarball, so two servers have nothing to trade; and two
// super-seeders deadlock: each hides its pieces behind an empty bitfield, so each sees the
// other as a peer that lacks everything and offers it a piece it will never request, then
// waits for that piece to show up at another peer before offering it again. Measured here: two
// super-seeding si_btd and three agents, no fault, every agent stopped at 96.9 % (the last
// piece offered only to the other server) until BITTORRENT_TIMEOUT in 2 of 3 runs.
#include <string>
#include <vector>

#include <libtorrent/ip_filter.hpp>

#include "common/server_list.hpp"

namespace si {

// An IP filter that blocks the peer servers' addresses, except `own_address` (a peer listed
// with this server's address but another port runs on this host: blocking it would block
// nothing of another server's and might block local agents). Addresses that do not parse are
// left out.
lt::ip_filter peer_server_filter(const std::vector<ServerAddress>& peers,
                                 const std::string& own_address);

}  // namespace si
