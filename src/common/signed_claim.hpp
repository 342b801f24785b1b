#pragma once
// What si_btd says a signed file is, in the trusted comment of its signature
// (common/minisign.hpp): one line of space-separated key=value words, signed with the file.
//
//   systemimager-bittorrent kind=image name=rhel5 file=image-rhel5.tar.gz.torrent
//       info_hash=<40 hex> time=<Unix seconds>            (a .torrent of an image or override)
//   systemimager-bittorrent kind=layout name=rhel5 sha256=<64 hex> time=<Unix seconds>
//                                                         (the disk layout of image rhel5)
//
// time is when the .torrent was packed (its mtime) or the layout read. The agent checks the
// kind and name against what it asked for, so a .torrent signed for another image (replayed
// by a rogue server) is refused although its signature verifies. Pure.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

inline constexpr std::string_view claim_magic = "systemimager-bittorrent";

struct SignedClaim {
    std::string kind;    // "image", "override" or "layout"
    std::string name;    // the image's or override's name
    std::string file;    // the .torrent's file name; "" for a layout
    std::string digest;  // info_hash (40 hex) of a .torrent, sha256 (64 hex) of a layout
    std::int64_t time = 0;
};

// The trusted comment's text (one line).
std::string claim_text(const SignedClaim& c);

// Parses a trusted comment. Fails (ErrorKind::untrusted) on a comment of another program or a
// missing or malformed word: "the signed comment is not systemimager-bittorrent's: '...'".
Result<SignedClaim> parse_claim(std::string_view text);

// Checks that `got` is what the agent asked for: the same kind and name and, when
// `digest` is not empty, the same digest. Fails (ErrorKind::untrusted) with "signed for image
// 'other', not for image 'rhel5'" or "the signed info_hash 12ab... is not this .torrent's
// 34cd...".
Status check_claim(const SignedClaim& got, std::string_view kind, std::string_view name,
                   std::string_view digest);

}  // namespace si
