#pragma once
// Exit codes of the server's programs: si_btd, si_installbtimage, si_btstatus and si_btreimage,
// documented in their man pages. This table is the one source: tests/tools/check_exit_codes.py
// checks the man pages against it and the Python tests read it (tests/tools/exit_codes.py).
#include "common/result.hpp"

namespace si::exit_code {

inline constexpr int ok = 0;
inline constexpr int failure = 1;  // unexpected internal error
inline constexpr int usage = 2;    // bad command-line arguments
inline constexpr int config = 3;   // bittorrent.conf / systemimager.conf invalid or unreadable
inline constexpr int address = 4;  // BT_INTERFACE unknown or without an IPv4 address
inline constexpr int bind = 5;     // tracker or seeder port cannot be bound (in use)
inline constexpr int pack = 6;     // an image could not be packed (I/O error, disk full)
inline constexpr int already_running = 7;  // the pidfile or BT_TRACKER_STATE's lock: a live si_btd
inline constexpr int unreachable = 8;      // si_btstatus, si_btreimage: si_btd did not answer
inline constexpr int incomplete = 9;       // si_btreimage: a node failed, timed out, was skipped or
                                           // could not be powered
inline constexpr int interrupted = 10;     // si_btreimage: stopped (SIGINT, SIGTERM) before the end
inline constexpr int not_found = 11;       // si_btstatus --forget: si_btd knows no such node

// The exit code a server program returns for an error of this kind. Packing failures are
// not a kind: si_installbtimage returns `pack` for a job that failed, whatever its cause, and
// si_btd logs them and goes on; an I/O error elsewhere (the pidfile) is `failure`.
int code_for(ErrorKind kind);

}  // namespace si::exit_code
