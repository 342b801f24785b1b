#pragma once
// si_btd's keys and what it signs with them (docs/server-howto.md, "Security"):
//   - each served .torrent gets <file>.torrent.minisig beside it in the torrent directory,
//     a minisign signature of the file's bytes whose trusted comment names its kind, name,
//     info-hash and pack time (common/signed_claim.hpp), served at /torrents/<file>.minisig;
//   - each image's disk layout gets the same, kept in memory and served at
//     /layouts/<image>.minisig;
//   - the cluster key checks the nodes' monitor reports (common/monitor_auth.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/minisign.hpp"
#include "common/names.hpp"
#include "common/result.hpp"
#include "server/config/server_settings.hpp"

namespace si {

struct ServerKeys {
    std::optional<SecretKey> signing;  // nullopt: nothing is signed
    std::string signing_file;
    std::string monitor_key;  // raw key bytes; "": reports are not checked
    std::string monitor_file;
    std::vector<std::string> warnings;  // a key file others can read, ...
};

// Reads BT_SIGNING_KEY and BT_MONITOR_KEY. A default path that does not exist means no key; a
// path named in bittorrent.conf must exist. Fails (ErrorKind::config) with "BT_SIGNING_KEY
// /etc/x.key: No such file or directory (make one with si_btkey, or set BT_SIGNING_KEY=none)"
// or the key file's own error.
Result<ServerKeys> load_server_keys(const KeySettings& bt);

// Signs `torrent_path` (read back from disk: the bytes the nodes get) into
// <torrent_path>.minisig, atomically. `time` is the pack time (the .torrent's mtime is used
// when 0). Fails with the I/O error ("write /x.torrent.minisig: No space left on device").
Status write_torrent_signature(const SecretKey& key, PackKind kind, const std::string& name,
                               const std::string& torrent_path, const std::string& info_hash_hex);

// Removes <torrent_path>.minisig (signing was turned off: an old signature must not outlive
// its key's use). Missing is fine.
void remove_torrent_signature(const std::string& torrent_path);

// The signature file of image `name`'s layout text, signed at `time` (Unix seconds).
Result<std::string> layout_signature(const SecretKey& key, const std::string& name,
                                     const std::string& layout_text, std::int64_t time);

}  // namespace si
