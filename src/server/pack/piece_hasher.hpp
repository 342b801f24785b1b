#pragma once
// The end of the packing pipeline: writes the (compressed) tarball bytes to an open file with
// large buffered writes, checking every write, and computes the torrent's SHA-1 piece hashes
// on the way, so the tarball is never read back.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <libtorrent/hasher.hpp>
#include <libtorrent/sha1_hash.hpp>

#include "common/result.hpp"

namespace si {

// Pieces are kept small because a swarm starts slowly in proportion to the piece: the
// super-seeding server sends each of N nodes its first piece at R/N, so nothing can be traded
// for N x piece / R seconds, N x piece / S of the floor S/R. Simulated (sim/run, 3 Mbit/s,
// S = 75.8 MiB; docs/performance.md, "Which knobs matter"), x S/R at N = 4 / 16 / 32 / 64:
//   256 KiB (303 pieces):  1.15 / 1.20 / 1.27 / 1.48
//   128 KiB (606 pieces):  1.17 / 1.16 / 1.21 / 1.34
//    64 KiB (1212 pieces): 1.22 / 1.17 / 1.18 / 1.28
// Below 64 KiB the per-piece messages (a HAVE to every peer) and alerts grow; above 16,384
// pieces the .torrent every node fetches passes 320 KiB of hashes.
inline constexpr int min_piece_size = 64 << 10;
inline constexpr int max_piece_size = 16 << 20;     // libtorrent's comfortable maximum
inline constexpr std::uint64_t max_pieces = 16384;  // 20 bytes of SHA-1 each in the .torrent
// Bytes per write(2): one compressor block (1 MiB of plain tar) goes straight through.
inline constexpr std::size_t write_buffer_bytes = 1 << 20;
// Writeback is started (sync_file_range) every this many bytes written.
inline constexpr std::uint64_t writeback_bytes = 8 << 20;

// The piece size for a tarball of at most `bound` bytes: the smallest power of two in
// [min_piece_size, max_piece_size] giving at most max_pieces pieces. Chosen before packing
// (from the tree's uncompressed size), so it is deterministic for a tree.
int choose_piece_size(std::uint64_t bound);

class PieceHasher {
  public:
    // `fd` is owned by the caller and must stay open until finish(); `path` names the file in
    // messages ("write /x/image-a.tar.gz: No space left on device").
    PieceHasher(int fd, std::string path, int piece_size);

    // Hashes and writes (buffered). Fails with "write <path>: <strerror>".
    Status write(std::span<const char> data);
    // Writes what is buffered and hashes the last, partial piece.
    Status finish();

    int piece_size() const { return piece_size_; }
    std::uint64_t bytes() const { return total_; }
    const std::vector<lt::sha1_hash>& piece_hashes() const { return hashes_; }

  private:
    Status flush();
    Status write_all(std::span<const char> data);

    int fd_;
    std::string path_;
    int piece_size_;
    lt::hasher hasher_;
    int in_piece_ = 0;           // bytes of the current piece hashed so far
    std::uint64_t total_ = 0;    // bytes hashed
    std::uint64_t written_ = 0;  // bytes written to fd_
    std::uint64_t synced_ = 0;   // bytes whose writeback was started
    std::vector<lt::sha1_hash> hashes_;
    std::vector<char> buffer_;
};

}  // namespace si
