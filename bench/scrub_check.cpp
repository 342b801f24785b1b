// scrub_check: what si_btd's background check (server/seed/tarball_scrub.hpp) costs per tarball,
// run flat out: reads and hashes every piece of TARBALL against TORRENT once with the same
// check_piece() and prints the wall time, the CPU seconds (user + system) and the MB/s.
//
//   scrub_check TORRENT TARBALL [--cold]
//
// --cold drops TARBALL's pages from the page cache first (posix_fadvise DONTNEED on that file
// only), so the bytes come from the disk; without it they come from the page cache, as while
// the seeder is sending them. Exits 1 when a piece does not match.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "server/seed/tarball_scrub.hpp"

namespace {

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: scrub_check TORRENT TARBALL [--cold]\n");
        return 2;
    }
    const bool cold = argc > 3 && std::string(argv[3]) == "--cold";
    lt::error_code ec;
    lt::torrent_info ti(std::string(argv[1]), ec);
    if (ec) {
        std::fprintf(stderr, "scrub_check: %s: %s\n", argv[1], ec.message().c_str());
        return 2;
    }
    int fd = ::open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::perror(argv[2]);
        return 2;
    }
    if (cold) {
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    std::vector<char> buffer;
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    int bad = 0;
    for (lt::piece_index_t i{0}; i < ti.end_piece(); ++i) {
        if (!si::check_piece(fd, ti, i, buffer).empty()) {
            ++bad;
        }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    const double mb = static_cast<double>(ti.total_size()) / 1e6;
    ::close(fd);
    std::printf(
        "%s: %.1f MB, %d pieces of %d KiB, %s cache: %.2f s wall, %.2f CPU s, "
        "%.0f MB/s, %.2f CPU s per GB, %d bad\n",
        argv[2], mb, ti.num_pieces(), ti.piece_length() >> 10, cold ? "cold" : "warm", wall, cpu,
        mb / wall, cpu / (mb / 1000), bad);
    std::printf("RESULT mb=%.1f wall_s=%.3f cpu_s=%.3f mb_per_s=%.0f cpu_s_per_gb=%.3f bad=%d\n",
                mb, wall, cpu, mb / wall, cpu / (mb / 1000), bad);
    return bad > 0 ? 1 : 0;
}
