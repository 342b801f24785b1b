#pragma once
// Exit codes of si_btagent, documented in si_btagent(8). This table is the one source:
// tests/tools/check_exit_codes.py checks si_btagent(8) and the initrd's /init against it, and
// the Python tests read it (tests/tools/exit_codes.py).
#include "common/result.hpp"

namespace si::agent_exit {

inline constexpr int ok = 0;
inline constexpr int failure = 1;        // unexpected internal error
inline constexpr int usage = 2;          // bad command-line options
inline constexpr int disabled = 3;       // BITTORRENT is not y: fall back to another transport
inline constexpr int cmdline = 4;        // a kernel command-line variable is missing or invalid
inline constexpr int unreachable = 5;    // the image server did not answer (after retries)
inline constexpr int unknown_image = 6;  // the server has no torrent for IMAGENAME
inline constexpr int bad_torrent = 7;    // the .torrent is not valid
inline constexpr int stalled = 8;        // no download progress within BITTORRENT_TIMEOUT
inline constexpr int no_space = 9;       // no room to stage or unpack
inline constexpr int unpack = 10;        // an entry could not be extracted or would escape the root
inline constexpr int io = 11;            // another I/O error
inline constexpr int disk = 12;          // blank disks: the layout does not fit, or partitioning,
                                         // mkfs, mounting or the bootloader failed
inline constexpr int image_changed = 13;  // the image changed on the server while installing
inline constexpr int untrusted = 14;      // a .torrent or layout is unsigned (with trusted keys in
                                          // the initrd), signed by another key, altered, or signed
                                          // for another name: refused before any write to a disk

// The exit code si_btagent returns for an error of this kind (a config error is the kernel
// command line's: the agent reads no other configuration).
int code_for(ErrorKind kind);

}  // namespace si::agent_exit
