#pragma once
// How the image server's seeder hands out the image: the choking and piece-offer policy, as a
// pure function of the administrator's choice (BT_SUPER_SEED). seeder.cpp applies it to the
// libtorrent session and torrents.
//
// Measured with bench/deploy/run --nodes 16 --rate 20mbit --size 256M (docs/performance.md,
// "Which knobs matter, and why?"), tarball S = 127 MiB, floor S/R = 53 s:
//   2 upload slots, normal seeding:            147 s, server sent 2.13 x S (the old policy)
//   every node unchoked, normal seeding:       246 s, 4.44 x S (all fetch the same rare pieces)
//   every node unchoked, super-seeding:         84 s, 1.10 x S
// Super-seeding (BEP 16) offers each node its own pieces, so every node can be served at once
// without two nodes taking the same piece from the server; the nodes trade the rest.
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
// nobody else was offered).
constexpr bool super_seeds(bool super_seed, int num_pieces) {
    return super_seed && num_pieces >= min_super_seed_pieces;
}

}  // namespace si
