#include "server/pack/packer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/file_io.hpp"
#include "common/names.hpp"
#include "server/config/tracker_tiers.hpp"
#include "server/pack/block_compressor.hpp"
#include "server/pack/delta_pack.hpp"
#include "server/pack/owner_names.hpp"
#include "server/pack/pack_record.hpp"
#include "server/pack/piece_hasher.hpp"
#include "server/pack/read_ahead.hpp"
#include "server/pack/tar_writer.hpp"
#include "server/pack/torrent_maker.hpp"
#include "server/pack/tree_walk.hpp"

namespace si {
namespace {

// What the pack record keeps of the trackers: every tier's URL (tracker_tiers.hpp).
std::string announce_line(const PackerSettings& settings) {
    std::vector<std::string> tiers{settings.announce_url};
    tiers.insert(tiers.end(), settings.more_trackers.begin(), settings.more_trackers.end());
    return announce_record(tiers);
}

// What the pack record keeps of the web seeds: the url-list's URLs (web_seed_urls.hpp).
std::string web_seeds_line(const PackerSettings& settings) {
    return announce_record(settings.web_seeds);
}

constexpr mode_t tarball_mode = 0600;  // as the original's chmod 600: images hold secrets
constexpr mode_t torrent_mode = 0644;  // served to anyone by the tracker anyway
constexpr double mib = 1024.0 * 1024.0;

std::string base_name(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

std::string parent_dir(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

std::int64_t mtime_ns(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string human(std::uint64_t bytes) {
    char buf[32];
    if (bytes >= (1ULL << 30)) {
        std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (mib * 1024));
    } else if (bytes < (1ULL << 20)) {
        std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / mib);
    }
    return buf;
}

// BT_DELTA=y: delta-ready (server/pack/delta_pack.hpp); only for zstd, as bt_config checks.
bool delta_layout(const PackJob& job, const PackerSettings& settings) {
    return settings.delta && job.compression == Compression::zstd;
}

struct Packed {
    std::uint64_t tarball_bytes = 0;
    std::string info_hash_hex;
};

// The plain layout: tar -> parallel compression (blocks) -> `hasher`.
Status pack_stream(const Tree& tree, const OwnerNames& names, unsigned threads, PieceHasher& hasher,
                   Logger& log, const std::atomic<bool>* cancel, const PackJob& job) {
    // Threads: this one reads the tree and runs libarchive; the read-ahead helper; the
    // compressor's workers; its writer thread feeds `hasher` (file writes + SHA-1). All are
    // joined by their owners' destructors on every path.
    BlockCompressor compressor(job.compression, threads,
                               [&hasher](std::span<const char> d) { return hasher.write(d); });
    if (Status s = compressor.start(); !s) {
        return s;
    }
    {
        TarWriter tar([&compressor](std::span<const char> d) { return compressor.write(d); }, names,
                      log);
        if (Status s = tar.open(); !s) {
            return s;
        }
        ReadAhead read_ahead(tree.entries);
        for (std::size_t i = 0; i < tree.entries.size(); ++i) {
            // si_btd is stopping: give up between entries; the temp file goes with the error.
            if (cancel != nullptr && cancel->load()) {
                return Error{"pack " + std::string(kind_word(job.kind)) + " " + job.name +
                                 ": cancelled (shutting down)",
                             ErrorKind::internal};
            }
            read_ahead.advance(i);
            if (Status s = tar.add(tree.entries[i]); !s) {
                return s;
            }
        }
        if (Status s = tar.close(); !s) {
            return s;
        }
    }
    if (Status s = compressor.finish(); !s) {
        return s;
    }

    return Ok{};
}

// Tar -> compress -> file + piece hashes, then the .torrent and the record. On any error every
// temp file is removed and the previous pair is left as it was.
Result<Packed> pack_tree(const PackJob& job, const PackerSettings& settings, const Tree& tree,
                         Logger& log, const std::atomic<bool>* cancel) {
    OwnerNames names = OwnerNames::from_image(tree.root);
    const int piece_size = choose_piece_size(tar_size_bound(tree));
    unsigned threads = settings.threads != 0 ? settings.threads
                                             : std::max(1u, std::thread::hardware_concurrency());

    TempFile tar_tmp;
    if (Status s = tar_tmp.create(job.tarball, tarball_mode); !s) {
        return s.error();
    }
    PieceHasher hasher(tar_tmp.fd(), job.tarball, piece_size);
    if (delta_layout(job, settings)) {
        auto delta = write_delta_tarball(
            tree, names, delta_layout_for(piece_size), threads,
            [&hasher](std::span<const char> d) { return hasher.write(d); }, log, cancel);
        if (!delta) {
            return delta.error();
        }
        log.info("delta-ready " + base_name(job.tarball) + ": " + std::to_string(delta->frames) +
                 " frames (" + std::to_string(delta->own_frames) +
                 " files in frames of their own), " + "manifest " +
                 human(static_cast<std::uint64_t>(delta->manifest_bytes)));
    } else if (Status s = pack_stream(tree, names, threads, hasher, log, cancel, job); !s) {
        return s.error();
    }
    if (Status s = hasher.finish(); !s) {
        return s.error();
    }

    TorrentSpec spec;
    spec.file_name = base_name(job.tarball);
    spec.file_size = hasher.bytes();
    spec.piece_size = piece_size;
    spec.piece_hashes = hasher.piece_hashes();
    spec.announce_url = settings.announce_url;
    spec.more_trackers = settings.more_trackers;
    spec.web_seeds = settings.web_seeds;
    auto torrent = make_torrent(spec);
    if (!torrent) {
        return torrent.error();
    }
    TempFile torrent_tmp;
    if (Status s = torrent_tmp.create(job.torrent, torrent_mode); !s) {
        return s.error();
    }
    if (const int err = write_all(torrent_tmp.fd(), torrent->bytes); err != 0) {
        return Error{"write " + job.torrent + ": " + std::strerror(err), io_error_kind(err)};
    }
    if (Status s = tar_tmp.sync_and_close(); !s) {
        return s.error();
    }
    if (Status s = torrent_tmp.sync_and_close(); !s) {
        return s.error();
    }

    // The record is the commit mark: drop the old one before the pair changes, write the new
    // one after both renames. A crash in between leaves a pair without a record: repacked.
    std::string rpath = record_path(job.tarball);
    if (unlink(rpath.c_str()) != 0 && errno != ENOENT) {
        return Error{"unlink " + rpath + ": " + std::strerror(errno), io_error_kind(errno)};
    }
    if (Status s = tar_tmp.commit(); !s) {
        return s.error();
    }
    if (Status s = torrent_tmp.commit(); !s) {
        return s.error();
    }
    struct stat st {};
    if (stat(job.tarball.c_str(), &st) != 0) {
        return Error{"stat " + job.tarball + ": " + std::strerror(errno), io_error_kind(errno)};
    }
    PackRecord rec;
    rec.source = tree.root;
    rec.fingerprint = tree.fingerprint_hex;
    rec.compression = job.compression;
    rec.delta = delta_layout(job, settings);
    rec.piece_size = piece_size;
    rec.tree_bytes = tree.file_bytes;
    rec.tarball_size = static_cast<std::uint64_t>(st.st_size);
    rec.tarball_mtime_ns = mtime_ns(st);
    rec.info_hash = torrent->info_hash_hex;
    rec.torrent_sha1 = sha1_hex(torrent->bytes);
    rec.announce = announce_line(settings);
    rec.web_seeds = web_seeds_line(settings);
    if (Status s = write_pack_record(job.tarball, rec); !s) {
        return s.error();
    }
    return Packed{rec.tarball_size, rec.info_hash};
}

// The pair matches its tree but announces elsewhere: rewrite the .torrent (same info
// dictionary, same info-hash) and its record; the tarball is not touched.
Status reannounce(const PackJob& job, const PackerSettings& settings, const PairCheck& check) {
    auto torrent = reannounce_torrent(check.torrent_bytes, settings.announce_url,
                                      settings.more_trackers, settings.web_seeds);
    if (!torrent) {
        return torrent.error();
    }
    if (Status s = write_file_atomically(job.torrent, torrent->bytes, torrent_mode); !s) {
        return s;
    }
    PackRecord rec = check.record;
    rec.torrent_sha1 = sha1_hex(torrent->bytes);
    rec.announce = announce_line(settings);
    rec.web_seeds = web_seeds_line(settings);
    return write_pack_record(job.tarball, rec);
}

}  // namespace

Result<PackResult> pack_or_reuse(const PackJob& job, const PackerSettings& settings,
                                 Rebuild rebuild, Logger& log, const std::atomic<bool>* cancel) {
    const auto start = std::chrono::steady_clock::now();
    const std::string what = "pack " + std::string(kind_word(job.kind)) + " " + job.name + ": ";
    auto fail = [&](const Error& e) { return Error{what + e.message, e.kind}; };
    auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    PackResult res;
    res.tarball = job.tarball;
    res.torrent = job.torrent;

    struct stat st {};
    if (stat(job.source_dir.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            res.skipped = true;
            res.note = job.source_dir + " does not exist";
            return res;
        }
        return fail(Error{"stat " + job.source_dir + ": " + std::strerror(errno)});
    }
    if (!S_ISDIR(st.st_mode)) {
        res.skipped = true;
        res.note = job.source_dir + " is not a directory";
        return res;
    }
    auto tree = walk_tree(job.source_dir);
    if (!tree) {
        return fail(tree.error());
    }
    if (tree->entries.size() <= 1) {
        res.skipped = true;
        res.note = job.source_dir + " is empty";
        return res;
    }
    res.tree_bytes = tree->file_bytes;

    if (rebuild == Rebuild::if_stale) {
        PairState state{tree->root,      tree->fingerprint_hex,
                        job.compression, delta_layout(job, settings),
                        job.tarball,     job.torrent};
        PairCheck check = check_pair(state, announce_line(settings), web_seeds_line(settings));
        if (check.match != PairMatch::stale) {
            if (check.match == PairMatch::announce_differs) {
                if (Status s = reannounce(job, settings, check); !s) {
                    return fail(s.error());
                }
                res.note =
                    "announce URL changed to " + announce_line(settings) +
                    (settings.web_seeds.empty() ? "" : ", web seeds " + web_seeds_line(settings)) +
                    "; torrent rewritten, same info-hash";
            }
            res.reused = true;
            res.tarball_bytes = check.record.tarball_size;
            res.info_hash_hex = check.record.info_hash;
            res.seconds = elapsed();
            return res;
        }
        res.note = "repacked: " + check.reason;
    }

    for (const std::string& dir : {parent_dir(job.tarball), parent_dir(job.torrent)}) {
        if (Status s = make_directories(dir); !s) {
            return fail(s.error());
        }
    }
    auto packed = pack_tree(job, settings, *tree, log, cancel);
    if (!packed) {
        return fail(packed.error());
    }
    res.tarball_bytes = packed->tarball_bytes;
    res.info_hash_hex = packed->info_hash_hex;
    res.seconds = elapsed();

    char line[256];
    double ratio = res.tree_bytes > 0 ? 100.0 * static_cast<double>(res.tarball_bytes) /
                                            static_cast<double>(res.tree_bytes)
                                      : 0.0;
    double rate = res.seconds > 0 ? static_cast<double>(res.tree_bytes) / 1e6 / res.seconds : 0.0;
    std::snprintf(line, sizeof line, " (%s of files -> %s, %.1f%%) in %.2f s, %.1f MB/s",
                  human(res.tree_bytes).c_str(), human(res.tarball_bytes).c_str(), ratio,
                  res.seconds, rate);
    log.info("packed " + std::string(kind_word(job.kind)) + " " + job.name + ": " +
             base_name(job.tarball) + line);
    return res;
}

}  // namespace si
