#pragma once
// si_wanted: the BEP 10 extension message by which a node tells the image server which pieces
// of a torrent it wants. A node that holds an older version of a delta-ready image (BT_DELTA=y)
// wants only the pieces of what changed; the server's super-seeder (BEP 16) then offers it
// only those, each piece to one node first, and the nodes trade them among themselves.
//
// The server names the message in its extension handshake (BEP 10: "m": {"si_wanted": id});
// a node that sees it sends, whenever what it wants changes, an extended message (BEP 10:
// message id 20, then `id`) whose payload is one bit per piece laid out as BEP 3's BITFIELD
// message lays out the pieces a peer has: piece 0 is the high bit of the first byte, the spare
// bits of the last byte are zero. Clients that do not name the message never get it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace si {

// The name in the extension handshake's "m" dictionary.
inline constexpr const char* wanted_pieces_extension = "si_wanted";
// The id the image server asks for it under (any of 1-255 that libtorrent does not use itself).
inline constexpr int wanted_pieces_extension_id = 61;

// The payload for `wanted` (one entry per piece of the torrent, true: wanted).
std::string encode_wanted_pieces(const std::vector<bool>& wanted);

// The pieces a payload says are wanted, for a torrent of `num_pieces` pieces; nullopt when the
// payload does not fit that torrent (another length, or a spare bit set).
std::optional<std::vector<bool>> decode_wanted_pieces(std::span<const char> payload,
                                                      int num_pieces);

// The whole extended message on the wire (BEP 10): a 4-byte big-endian length, 20, the id the
// receiver named, the payload.
std::string extended_message(int extension_id, const std::string& payload);

}  // namespace si
