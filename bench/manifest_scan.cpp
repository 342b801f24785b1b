// Builds the manifest of a tree (common/tree_manifest.hpp) and prints what it read and how fast:
// the scan si_btagent makes before it calls a node's disk "already installed"
// (bench/manifest_bench.sh compares it with cat and sha256sum of the same files).
//   manifest_scan ROOT [HASH_THREADS]     (0: the default, one per core up to 4)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/tree_manifest.hpp"

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: manifest_scan ROOT [HASH_THREADS]\n");
        return 2;
    }
    si::ManifestOptions options;
    options.hash_threads = argc == 3 ? static_cast<unsigned>(std::atoi(argv[2])) : 0;
    const auto start = std::chrono::steady_clock::now();
    auto m = si::build_tree_manifest(argv[1], options);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!m) {
        std::fprintf(stderr, "manifest_scan: %s\n", m.error().message.c_str());
        return 1;
    }
    const double mb = static_cast<double>(m->content_bytes) / 1e6;
    std::printf("entries %lld files %lld bytes %lld seconds %.3f MB/s %.0f\n",
                static_cast<long long>(m->entries), static_cast<long long>(m->files),
                static_cast<long long>(m->content_bytes), s, s > 0 ? mb / s : 0.0);
    return 0;
}
