// What the delta-ready layout costs and saves (bench/delta_bench.sh): packs a tree both ways
// (the plain zstd tarball and the delta-ready one, server/pack/delta_pack.hpp), then, given the
// root of a node holding an older version, plans the delta (agent/delta_plan.hpp) and prints the
// pieces that node would download.
//
//   delta_bench NEW_TREE [OLD_ROOT [CHANGED_LIST]]
// CHANGED_LIST: written with the tar paths ("./usr/bin/x") of every entry of NEW_TREE the old
// root does not hold, one a line, so that a script can measure the compressed size of Δ.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "agent/delta_install.hpp"
#include "agent/delta_plan.hpp"
#include "common/delta_trailer.hpp"
#include "common/file_io.hpp"
#include "server/pack/delta_pack.hpp"
#include "server/pack/owner_names.hpp"
#include "server/pack/packer.hpp"
#include "server/pack/piece_hasher.hpp"
#include "server/pack/tree_walk.hpp"

namespace {

int fail(const std::string& what) {
    std::fprintf(stderr, "delta_bench: %s\n", what.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4) {
        std::fprintf(stderr, "usage: delta_bench NEW_TREE [OLD_ROOT [CHANGED_LIST]]\n");
        return 2;
    }
    const std::string tree = argv[1];
    char templ[] = "/tmp/delta_bench.XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
        return fail("mkdtemp failed");
    }
    const std::string dir = templ;
    struct Cleanup {
        std::string d;
        ~Cleanup() {
            if (std::getenv("DELTA_BENCH_KEEP") != nullptr) {
                std::fprintf(stderr, "delta_bench: kept %s\n", d.c_str());
                return;
            }
            std::error_code ec;
            std::filesystem::remove_all(d, ec);
        }
    } cleanup{dir};

    si::Logger log;
    log.set_quiet(true);
    std::int64_t sizes[2] = {0, 0};
    for (int delta = 0; delta < 2; ++delta) {
        si::PackJob job;
        job.name = delta ? "delta" : "plain";
        job.source_dir = tree;
        job.tarball = dir + "/" + job.name + ".tar.zst";
        job.torrent = dir + "/" + job.name + ".torrent";
        job.compression = si::Compression::zstd;
        si::PackerSettings s;
        s.delta = delta == 1;
        s.announce_url = "http://127.0.0.1:6969/announce";
        auto r = si::pack_or_reuse(job, s, si::Rebuild::always, log);
        if (!r) {
            return fail(r.error().message);
        }
        sizes[delta] = static_cast<std::int64_t>(r->tarball_bytes);
        std::printf("%-6s %12lld bytes  (tree %lld bytes, packed in %.2f s)\n", job.name.c_str(),
                    static_cast<long long>(r->tarball_bytes), static_cast<long long>(r->tree_bytes),
                    r->seconds);
    }
    const std::string delta_tar = dir + "/delta.tar.zst";
    auto bytes = si::read_text_file(delta_tar);
    if (!bytes) {
        return fail(bytes.error().message);
    }
    const std::string& t = *bytes;
    const std::string tail = t.substr(t.size() - si::delta_locator_bytes);
    auto loc = si::parse_delta_locator(std::span<const char>(tail.data(), tail.size()),
                                       static_cast<std::int64_t>(t.size()));
    if (!loc) {
        return fail(loc.error().message);
    }
    const std::string frame =
        t.substr(static_cast<std::size_t>(loc->offset), static_cast<std::size_t>(loc->length));
    auto payload = si::delta_manifest_payload(std::span<const char>(frame.data(), frame.size()));
    if (!payload) {
        return fail(payload.error().message);
    }
    auto manifest = si::read_delta_manifest(*payload);
    if (!manifest) {
        return fail(manifest.error().message);
    }
    std::printf(
        "overhead %+.2f %% (delta-ready against plain), manifest frame %lld bytes "
        "(%.2f %%), %zu frames for %zu entries\n",
        100.0 * static_cast<double>(sizes[1] - sizes[0]) / static_cast<double>(sizes[0]),
        static_cast<long long>(loc->length),
        100.0 * static_cast<double>(loc->length) / static_cast<double>(sizes[0]),
        manifest->frames.size(), manifest->entries.size());
    std::optional<si::LocalScan> scan;
    if (argc >= 3) {
        auto scanned = si::scan_root(argv[2], {"/.systemimager-install.record"});
        if (!scanned) {
            return fail(scanned.error().message);
        }
        scan = std::move(*scanned);
        std::printf("scan   %s: %zu entries, %.1f MB hashed in %.2f s (%.0f MB/s)\n", argv[2],
                    scan->lines.size(), static_cast<double>(scan->content_bytes) / 1e6,
                    scan->seconds,
                    static_cast<double>(scan->content_bytes) / 1e6 / std::max(scan->seconds, 1e-9));
    }
    // DELTA_LAYOUTS="SHARED:OWN[:LEVEL] ..." (KiB of tar, zstd level): the delta-ready size with
    // other frame sizes and levels, and with an old root what its node downloads at the piece
    // size the packer chooses for this tree.
    if (const char* layouts = std::getenv("DELTA_LAYOUTS"); layouts != nullptr) {
        auto walked = si::walk_tree(tree);
        if (!walked) {
            return fail(walked.error().message);
        }
        const int piece = si::choose_piece_size(si::tar_size_bound(*walked));
        const si::OwnerNames names = si::OwnerNames::from_image(tree);
        std::istringstream in(layouts);
        std::string item;
        while (in >> item) {
            std::istringstream fields(item);
            std::string shared;
            std::string own;
            std::string level;
            std::getline(fields, shared, ':');
            std::getline(fields, own, ':');
            std::getline(fields, level, ':');
            si::DeltaLayout l;
            l.shared_frame_bytes = std::stoll(shared) << 10;
            l.own_frame_min_bytes = std::stoll(own) << 10;
            if (!level.empty()) {
                l.level = std::stoi(level);
            }
            std::int64_t n = 0;
            const auto t0 = std::chrono::steady_clock::now();
            auto r = si::write_delta_tarball(
                *walked, names, l, 0,
                [&n](std::span<const char> d) -> si::Status {
                    n += static_cast<std::int64_t>(d.size());
                    return si::Ok{};
                },
                log);
            if (!r) {
                return fail(r.error().message);
            }
            const double secs =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::printf(
                "layout shared %lld KiB, own from %lld KiB, level %d: %lld bytes (%+.2f %%), "
                "%lld frames, %lld own (%lld bytes), manifest %lld bytes, %.1f s",
                static_cast<long long>(l.shared_frame_bytes >> 10),
                static_cast<long long>(l.own_frame_min_bytes >> 10), l.level,
                static_cast<long long>(n),
                100.0 * static_cast<double>(n - sizes[0]) / static_cast<double>(sizes[0]),
                static_cast<long long>(r->frames), static_cast<long long>(r->own_frames),
                static_cast<long long>(r->own_frame_bytes),
                static_cast<long long>(r->manifest_bytes), secs);
            if (scan) {
                const si::DeltaPlan plan =
                    si::plan_delta(r->manifest, scan->lines, scan->inode, n, piece);
                std::printf(
                    "; plan at %d KiB: %lld bytes (%.2f %%)", piece >> 10,
                    static_cast<long long>(plan.needed_bytes),
                    100.0 * static_cast<double>(plan.needed_bytes) / static_cast<double>(n));
            }
            std::printf("\n");
            std::fflush(stdout);
        }
    }
    if (!scan) {
        return 0;
    }
    for (int pl : {64 << 10, 256 << 10, 1 << 20}) {
        const si::DeltaPlan plan = si::plan_delta(*manifest, scan->lines, scan->inode,
                                                  static_cast<std::int64_t>(t.size()), pl);
        std::printf(
            "plan   pieces of %4d KiB: %d of %lld pieces, %lld bytes (%.2f %% of the "
            "image); %lld entries held (%lld bytes of data), %zu removed\n",
            pl >> 10, plan.needed_piece_count,
            static_cast<long long>((static_cast<std::int64_t>(t.size()) + pl - 1) / pl),
            static_cast<long long>(plan.needed_bytes),
            100.0 * static_cast<double>(plan.needed_bytes) / static_cast<double>(t.size()),
            static_cast<long long>(plan.held_entries), static_cast<long long>(plan.held_bytes),
            plan.remove.size());
    }
    if (argc == 4) {
        const si::DeltaPlan plan = si::plan_delta(*manifest, scan->lines, scan->inode,
                                                  static_cast<std::int64_t>(t.size()), 1 << 16);
        std::unordered_map<std::string_view, std::string_view> local;
        for (const std::string& l : scan->lines) {
            local.emplace(std::string_view(l).substr(0, l.find(' ')), l);
        }
        std::ofstream out(argv[3]);
        for (const si::DeltaEntry& e : manifest->entries) {
            auto it = local.find(std::string_view(e.line).substr(0, e.line.find(' ')));
            if (e.path != "/" && (it == local.end() || !si::same_but_stamp(e.line, it->second))) {
                out << "." << e.path << '\n';
            }
        }
    }
    return 0;
}
