#pragma once
// The trackers a .torrent names when several image servers serve the same images
// (BT_PEER_SERVERS; docs/server-howto.md, "Several image servers").
//
// One BEP 12 tier per server, this server's own tracker first. The trackers share nothing,
// so each one knows only the peers that announce to it; BEP 12 puts trackers that stand in
// for each other in one tier, and a client following it announces to one tracker per tier:
// with one tier per server such a client (and libtorrent with announce_to_all_tiers, as our
// agents and si_btd's seeder run) announces to every server and sees the whole swarm. Own
// tracker first: a client that uses one tracker only uses the server it took the .torrent
// from, and an agent tells that tracker's answers from the others' (agent/transfer_alerts).
//
// The list lives outside the info dictionary (BEP 12's announce-list is a key of the
// .torrent's top level), so the info-hash does not depend on it: every server that packed the
// same tree has the same info-hash whatever its list says.
#include <cstdint>
#include <string>
#include <vector>

#include "common/server_list.hpp"

namespace si {

// The announce URLs, one tier each: http://<own_address>:<own_port>/announce first, then each
// peer server's in the order listed (a peer without a port uses own_port). A peer equal to this
// server is skipped, so one BT_PEER_SERVERS listing every server may be copied to all of them;
// so is a URL listed twice. Never fails, never empty.
std::vector<std::string> tracker_tiers(const std::string& own_address, std::uint16_t own_port,
                                       const std::vector<ServerAddress>& peers);

// The tiers as one line, URLs separated by single spaces: the pack record's "announce" value
// (pack_record.hpp), so a changed list rewrites the .torrent (same info-hash) at the next start.
// One tier gives the URL alone, as records written before BT_PEER_SERVERS have it.
std::string announce_record(const std::vector<std::string>& tiers);

}  // namespace si
