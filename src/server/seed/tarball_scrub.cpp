#include "server/seed/tarball_scrub.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include <libtorrent/hasher.hpp>

#include "common/unique_fd.hpp"

namespace si {
namespace {

using steady = std::chrono::steady_clock;

// When the thread falls behind its pace by more than this (a slow disk, a busy CPU, an empty
// list), it starts counting afresh instead of catching up at full speed.
constexpr auto max_pace_debt = std::chrono::seconds(1);

bool same_pair(const ScrubTarget& a, const ScrubTarget& b) {
    return a.tarball == b.tarball && a.torrent == b.torrent && a.info_hash_hex == b.info_hash_hex;
}

}  // namespace

std::string check_piece(int fd, const lt::torrent_info& ti, lt::piece_index_t piece,
                        std::vector<char>& buffer) {
    const std::string name = "piece " + std::to_string(static_cast<int>(piece));
    const auto size = static_cast<std::size_t>(ti.piece_size(piece));
    const std::int64_t offset = static_cast<std::int64_t>(ti.piece_length()) *
                                static_cast<std::int64_t>(static_cast<int>(piece));
    buffer.resize(size);
    std::size_t got = 0;
    while (got < size) {
        ssize_t n = ::pread(fd, buffer.data() + got, size - got,
                            static_cast<off_t>(offset + static_cast<std::int64_t>(got)));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return name + ": read: " + std::strerror(errno);
        }
        if (n == 0) {
            return name + ": the file ends at byte " +
                   std::to_string(offset + static_cast<std::int64_t>(got)) + ", before the piece";
        }
        got += static_cast<std::size_t>(n);
    }
    lt::hasher h(buffer.data(), static_cast<int>(size));
    if (h.final() != ti.hash_for_piece(piece)) {
        return name + " of " + std::to_string(ti.num_pieces()) + " does not match its hash";
    }
    return {};
}

// One target as the thread sees it: its torrent (loaded once), the tarball (opened at the
// start of each round, so a file replaced by a repack is read anew), the next piece.
struct TarballScrubber::Slot {
    ScrubTarget target;
    std::shared_ptr<const lt::torrent_info> ti;
    UniqueFd fd;
    int next_piece = 0;
    bool unusable = false;  // could not be loaded or opened: logged once, skipped
};

TarballScrubber::TarballScrubber(std::uint64_t bytes_per_s, Logger& log)
    : bytes_per_s_(bytes_per_s), log_(log) {}

TarballScrubber::~TarballScrubber() {
    stop();
}

void TarballScrubber::start(BadHook on_bad) {
    if (bytes_per_s_ == 0 || thread_.joinable()) {
        return;
    }
    on_bad_ = std::move(on_bad);
    thread_ = std::thread([this] { run(); });
}

void TarballScrubber::set_targets(std::vector<ScrubTarget> targets) {
    {
        std::lock_guard lock(mu_);
        targets_ = std::move(targets);
        ++generation_;
    }
    cv_.notify_all();
}

void TarballScrubber::stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::uint64_t TarballScrubber::pieces_checked() const {
    std::lock_guard lock(mu_);
    return pieces_;
}

std::uint64_t TarballScrubber::bytes_checked() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

void TarballScrubber::run() {
    std::vector<Slot> slots;
    std::uint64_t seen = 0;
    std::size_t turn = 0;
    std::vector<char> buffer;
    auto paced_from = steady::now();
    std::uint64_t paced_bytes = 0;

    std::unique_lock lock(mu_);
    while (!stop_) {
        if (seen != generation_) {
            std::vector<Slot> next;
            for (const ScrubTarget& t : targets_) {
                auto kept = std::find_if(slots.begin(), slots.end(),
                                         [&](const Slot& s) { return same_pair(s.target, t); });
                if (kept != slots.end()) {
                    next.push_back(std::move(*kept));
                } else {
                    next.push_back(Slot{t, nullptr, UniqueFd{}, 0, false});
                }
            }
            slots = std::move(next);
            seen = generation_;
        }
        const bool idle =
            std::all_of(slots.begin(), slots.end(), [](const Slot& s) { return s.unusable; });
        if (idle) {
            cv_.wait(lock, [&] { return stop_ || seen != generation_; });
            paced_from = steady::now();
            paced_bytes = 0;
            continue;
        }
        // Each piece is read when the bytes read so far fit the rate.
        const auto due =
            paced_from +
            std::chrono::nanoseconds(static_cast<std::int64_t>(
                static_cast<double>(paced_bytes) * 1e9 / static_cast<double>(bytes_per_s_)));
        if (const auto now = steady::now(); now < due) {
            cv_.wait_until(lock, due, [&] { return stop_ || seen != generation_; });
            continue;
        } else if (now - due > max_pace_debt) {
            paced_from = now;
            paced_bytes = 0;
        }
        Slot* slot = nullptr;
        for (std::size_t i = 0; i < slots.size(); ++i) {
            Slot& s = slots[(turn + i) % slots.size()];
            if (!s.unusable) {
                slot = &s;
                turn = (turn + i + 1) % slots.size();  // the tarballs take turns, piece by piece
                break;
            }
        }
        const ScrubTarget target = slot->target;
        lock.unlock();

        std::string problem;  // what to log once and skip the target for
        std::string bad;      // a mismatch: hand it over for a repack
        std::uint64_t read = 0;
        if (!slot->ti) {
            lt::error_code ec;
            auto ti = std::make_shared<lt::torrent_info>(target.torrent, ec);
            if (ec) {
                problem = "load " + target.torrent + ": " + ec.message();
            } else if (ti->num_files() != 1) {
                problem = target.torrent + ": not a single-file torrent";
            } else {
                slot->ti = std::move(ti);
            }
        }
        if (problem.empty() && !slot->fd) {
            // O_NONBLOCK: a tarball swapped for a FIFO must not hang the thread.
            slot->fd.reset(::open(target.tarball.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
            struct stat st {};
            if (!slot->fd) {
                problem = "open " + target.tarball + ": " + std::strerror(errno);
            } else if (::fstat(slot->fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
                problem = target.tarball + ": not a regular file";
                slot->fd.reset();
            }
        }
        if (problem.empty()) {
            const lt::piece_index_t piece{slot->next_piece};
            bad = check_piece(slot->fd.get(), *slot->ti, piece, buffer);
            read = static_cast<std::uint64_t>(slot->ti->piece_size(piece));
            if (++slot->next_piece >= slot->ti->num_pieces()) {
                slot->next_piece = 0;
                slot->fd.reset();  // the next round reads the file that is there then
            }
        }

        lock.lock();
        paced_bytes += read;
        bytes_ += read;
        pieces_ += read > 0 ? 1 : 0;
        if (!problem.empty()) {
            slot->unusable = true;
            log_.warn("scrub: " + problem + "; not checking it");
        }
        if (!bad.empty()) {
            // Dropped until it is set again, i.e. after its repack.
            std::erase_if(targets_, [&](const ScrubTarget& t) { return same_pair(t, target); });
            std::erase_if(slots, [&](const Slot& s) { return same_pair(s.target, target); });
            lock.unlock();
            on_bad_(target, bad);
            lock.lock();
        }
    }
}

}  // namespace si
