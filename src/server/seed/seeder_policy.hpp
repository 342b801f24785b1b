#pragma once
// How the image server's seeder hands out the image: the choking and piece-offer policy, as
// pure functions of the administrator's choice (BT_SUPER_SEED), the torrent and what the seeder
// sees of its leechers. seeder.cpp applies them to the libtorrent session and torrents.
//
// Measured with bench/deploy/run --nodes 16 --rate 20mbit --size 256M (docs/performance.md,
// "Which knobs matter, and why?"), tarball S = 127 MiB, floor S/R = 53 s:
//   2 upload slots, normal seeding:            147 s, server sent 2.13 x S (the old policy)
//   every node unchoked, normal seeding:       246 s, 4.44 x S (all fetch the same rare pieces)
//   every node unchoked, super-seeding:         84 s, 1.10 x S
// Super-seeding (BEP 16) offers each node its own pieces, so every node can be served at once
// without two nodes taking the same piece from the server; the nodes trade the rest.
// A lone node or a small group has nobody (or few) to trade with: there the offer grows
// (super_seed_offer_pieces), and a client that the super-seeder cannot serve is served
// normally (serve_normally). Measured with bench/deploy/run --nodes 1,2,4 (docs/performance.md,
// "How fast is a deployment?").
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "common/agent_peer_id.hpp"

namespace si {

// A torrent of fewer pieces is seeded normally even with BT_SUPER_SEED=y: with few pieces
// every node is offered the same ones and super-seeding saves nothing, and libtorrent agents
// stalled on a super-seeded one-piece override (integration.agent_swarm; 16 pieces worked).
inline constexpr int min_super_seed_pieces = 32;

// The session-wide part: how many peers the seeder uploads to at once.
struct SeederChoking {
    int upload_slots = 0;  // libtorrent unchoke_slots_limit; -1: no limit
};

// BT_SUPER_SEED=y (the default): every peer unchoked (each super-seeded node only takes the
// pieces it was offered). n: 2 upload slots, the best measured for normal seeding (8 slots sent
// 3.1 x S at 8 nodes, 1 slot left nodes waiting).
constexpr SeederChoking seeder_choking(bool super_seed) {
    return SeederChoking{super_seed ? -1 : 2};
}

// Whether a torrent of `num_pieces` pieces is super-seeded (BEP 16: each peer is offered pieces
// nobody else was offered). A node that holds an earlier version of a delta-ready image
// (BT_DELTA=y, `delta_ready`) wants only the pieces of what changed, never most of those a
// super-seeder offers in file order. `told_wanted`: the seeder learns from each node which
// pieces it wants (the si_wanted message, common/wanted_pieces_message.hpp, with our patched
// libtorrent) and offers it only those; then a delta-ready image is super-seeded like any
// other. Without it a delta-ready image is seeded normally: the delta nodes all asked the
// server for the same pieces in the same order, and it sent each needed piece about 1.4 times
// at 4 nodes (docs/performance.md); super-seeded without it, three delta nodes still waited
// after 180 s (integration.delta_reimage).
constexpr bool super_seeds(bool super_seed, int num_pieces, bool delta_ready = false,
                           bool told_wanted = false) {
    return super_seed && num_pieces >= min_super_seed_pieces && (!delta_ready || told_wanted);
}

// ---- the offer --------------------------------------------------------------------------------
// libtorrent's super-seeder offers each peer two pieces and the next one when the peer's HAVE
// for one comes back: at most two pieces per round trip from the server, whatever the link. A
// lone node got 3-6 MB/s at 100 Mbit/s and at 1 Gbit/s. Our patch
// (cmake/libtorrent-patches/super-seeding-offer-budget.patch) gives the torrent a budget of
// pieces on offer, shared by the leechers connected to the server: each may have
// super_seed_offer_per_peer() of them. The budget is enough bytes to keep one 1 Gbit/s link
// busy over the round trip and the peer's hash check (2 MiB: 16 ms at 1 Gbit/s), and small
// enough that from 16 leechers on each gets two pieces of 64 KiB, as before (the large-swarm
// results in docs/performance.md were measured with two).
inline constexpr std::int64_t super_seed_offer_bytes = std::int64_t{2} << 20;

// The torrent's budget, in pieces of `piece_bytes` bytes: at least 2 (libtorrent's offer).
constexpr int super_seed_offer_pieces(std::int64_t piece_bytes) {
    if (piece_bytes <= 0) {
        return 2;
    }
    return static_cast<int>(std::max<std::int64_t>(2, super_seed_offer_bytes / piece_bytes));
}

// What the patched libtorrent offers each of `leechers` connected leechers (peers that are not
// seeds) of a torrent with an offer of `budget` pieces: budget / leechers, at least 2. For the
// log; the patch computes the same.
constexpr int super_seed_offer_per_peer(int budget, int leechers) {
    return std::max(2, budget / std::max(1, leechers));
}

// ---- who is super-seeded ----------------------------------------------------------------------
// A super-seeded torrent offers pieces one peer at a time to our agents only. Other clients fare
// worse with the offers than when seeded normally (bench/interop_bench.py, docs/performance.md):
// transmission-cli 3.00 gets nothing from a super-seeder, ctorrent drops and redials the
// connection for each of its last pieces, and a lone aria2c got 67 % of its link. They are
// seeded normally from their handshake on: the seeder's bitfield says it has every piece. The
// seeder knows an agent by its peer id (BEP 20 style, common/agent_peer_id.hpp).
constexpr bool super_seeds_peer(std::string_view peer_id) {
    return is_agent_peer_id(peer_id);
}

// ---- a client the super-seeder cannot serve ---------------------------------------------------
// transmission-cli 3.00 got 0 bytes in 300 s from the super-seeder (issue 28); other clients are
// now seeded normally from their handshake (super_seeds_peer), but a super-seeded node may still
// get stuck. Whatever the reason, the seeder notices it: a leecher that, for super_seed_stall_s,
// got no payload byte from the server and no new piece from anyone is seeded normally (told that
// the server has every piece; it may request any). A node that trades with others makes progress
// and is not affected; a node that stopped for its own reasons costs nothing when served normally
// (it requests nothing). 5 s: a node waiting on a super-seeded piece in a 64-node swarm at 5 Mbit/s
// gets a 64 KiB piece from someone well within it.
inline constexpr double super_seed_stall_s = 5.0;

// One look at a leecher connected to the seeder.
struct LeecherSample {
    std::int64_t from_us_bytes = 0;  // payload the seeder sent it on this connection
    int pieces = 0;                  // pieces it has, as its HAVE messages told us
    bool seed = false;               // it has every piece
};

// What the seeder remembers of a leecher between looks.
struct LeecherWatch {
    std::int64_t from_us_bytes = 0;
    int pieces = 0;
    double quiet_s = 0;            // seconds without a byte from us or a new piece
    bool served_normally = false;  // serve_normally() said so once: never again
};

// The watch after `now`, taken `elapsed_s` seconds after the last look (the first look: a
// default LeecherWatch). Quiet time grows only while the leecher lacks pieces and neither its
// bytes from us nor its pieces grew.
constexpr LeecherWatch watch_leecher(LeecherWatch before, const LeecherSample& now,
                                     double elapsed_s) {
    const bool moved = now.from_us_bytes > before.from_us_bytes || now.pieces > before.pieces;
    before.quiet_s = (moved || now.seed) ? 0.0 : before.quiet_s + std::max(0.0, elapsed_s);
    before.from_us_bytes = std::max(before.from_us_bytes, now.from_us_bytes);
    before.pieces = std::max(before.pieces, now.pieces);
    return before;
}

// Whether the seeder should now serve this leecher of a super-seeded torrent normally.
constexpr bool serve_normally(const LeecherWatch& w) {
    return !w.served_normally && w.quiet_s >= super_seed_stall_s;
}

}  // namespace si
