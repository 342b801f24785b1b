#pragma once
// Packs one image or override tree into its tarball and .torrent in a single pass over the
// data (tar -> optional parallel compression -> file + SHA-1 piece hashes -> .torrent), or
// reuses the existing pair when BT_UPDATE=n and its record still matches the tree.
//
// Guarantees:
//  - deterministic: the same tree gives the same tarball bytes and the same info-hash,
//    whatever the core count or the server;
//  - atomic: the tarball, the .torrent and the record appear under their final names only
//    when complete (temp file + fsync + rename); on any failure no temp file is left behind;
//  - a stale or inconsistent pair is never reused: it is repacked;
//  - a matching pair whose .torrent announces another URL (the server's address changed) keeps
//    its tarball: only the .torrent is rewritten around the same info dictionary, so the
//    info-hash stays the same (PackResult::reused with a note saying so).
#include <atomic>
#include <cstdint>
#include <string>

#include "common/log.hpp"
#include "common/result.hpp"
#include "server/config/server_settings.hpp"

namespace si {

struct PackResult {
    std::string tarball;        // final path
    std::string torrent;        // final path
    std::string info_hash_hex;  // 40 lowercase hex digits (v1 info-hash)
    std::uint64_t tarball_bytes = 0;
    std::uint64_t tree_bytes = 0;  // sum of regular file sizes in the tree
    bool reused = false;   // the existing pair matched its record; nothing was read or hashed
    bool skipped = false;  // the source directory is missing or empty (a warning, as before)
    std::string note;      // why it was skipped, or why an existing pair was repacked
    double seconds = 0;
};

// Fails (ErrorKind::io; no_space for a full disk) with one line naming the file at fault, e.g.
// "pack image suse10: open /var/lib/systemimager/images/suse10/etc/shadow: Permission denied"
// or "pack image suse10: write /var/lib/.../image-suse10.tar.gz: No space left on device".
// `rebuild` says whether a pair that matches its tree is reused (BT_UPDATE=n, a re-check on
// SIGHUP) or packed again (BT_UPDATE=y, si_installbtimage --update).
// `cancel`, when given and set (si_btd stopping), stops a pack in progress within one block
// and fails it with "cancelled", leaving no temporary file.
enum class Rebuild { if_stale, always };
Result<PackResult> pack_or_reuse(const PackJob& job, const PackerSettings& settings,
                                 Rebuild rebuild, Logger& log,
                                 const std::atomic<bool>* cancel = nullptr);

}  // namespace si
