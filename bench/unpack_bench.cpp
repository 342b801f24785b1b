// Streams a tarball file through a PieceFeeder into stream_unpack, the way si_btagent does while
// it downloads: a producer thread reads the file in pieces and delivers each one as soon as the
// window allows, the calling thread unpacks. Prints one line: entries, bytes, seconds, MiB/s.
//
//   unpack_bench TARBALL TARGET_DIR [PIECE_KIB (1024)] [WINDOW_PIECES (16)]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "agent/exit_codes.hpp"
#include "agent/piece_feeder.hpp"
#include "agent/stream_unpack.hpp"
#include "common/unique_fd.hpp"

namespace {

// Reads piece after piece and hands each to the feeder once it lies inside the window. Polls
// the window (the download loop would be woken by alerts instead); gives up when `stop` is set.
void produce(int fd, std::int64_t size, int piece_length, si::PieceFeeder& feeder,
             const std::atomic<bool>& stop) {
    for (int piece = 0; piece < feeder.num_pieces() && !stop; ++piece) {
        const std::int64_t offset = static_cast<std::int64_t>(piece) * piece_length;
        const auto length = static_cast<int>(std::min<std::int64_t>(piece_length, size - offset));
        std::shared_ptr<char[]> data(new char[static_cast<std::size_t>(length)]);
        int done = 0;
        while (done < length) {
            const auto n = ::pread(fd, data.get() + done, static_cast<std::size_t>(length - done),
                                   offset + done);
            if (n <= 0) {
                feeder.fail(
                    si::Error{std::string("read tarball: ") +
                                  (n == 0 ? "unexpected end of file" : std::strerror(errno)),
                              si::ErrorKind::io});
                return;
            }
            done += static_cast<int>(n);
        }
        while (piece >= feeder.window_end() && !stop) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        feeder.deliver(piece, std::move(data), length);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 5) {
        std::fprintf(stderr, "usage: %s TARBALL TARGET_DIR [PIECE_KIB] [WINDOW_PIECES]\n", argv[0]);
        return 2;
    }
    const int piece_length = (argc > 3 ? std::atoi(argv[3]) : 1024) * 1024;
    const int window = argc > 4 ? std::atoi(argv[4]) : 16;
    if (piece_length <= 0 || window <= 0) {
        std::fprintf(stderr, "unpack_bench: piece size and window must be positive\n");
        return 2;
    }
    const si::UniqueFd fd(::open(argv[1], O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) {
        std::fprintf(stderr, "unpack_bench: open %s: %s\n", argv[1], std::strerror(errno));
        return 1;
    }

    const auto start = std::chrono::steady_clock::now();
    si::PieceFeeder feeder(st.st_size, piece_length, window);
    std::atomic<bool> stop{false};
    std::thread producer(produce, fd.get(), static_cast<std::int64_t>(st.st_size), piece_length,
                         std::ref(feeder), std::cref(stop));
    auto result = si::stream_unpack(feeder, si::UnpackOptions{argv[2]});
    stop = true;
    producer.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (!result) {
        std::fprintf(stderr, "%s\n", result.error().message.c_str());
        return si::agent_exit::code_for(result.error().kind);
    }
    std::printf("entries %lld in %lld B out %lld B time %.3f s %.1f MiB/s (tarball)\n",
                static_cast<long long>(result->entries), static_cast<long long>(result->bytes_in),
                static_cast<long long>(result->bytes_out), seconds,
                static_cast<double>(result->bytes_in) / seconds / (1 << 20));
    return 0;
}
