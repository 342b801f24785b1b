#include "agent/delta_start.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "common/delta_trailer.hpp"

namespace si {
namespace {

int first_piece(std::int64_t offset, int piece_length) {
    return static_cast<int>(offset / piece_length);
}

int last_piece(std::int64_t offset, std::int64_t length, int piece_length) {
    return static_cast<int>((offset + length - 1) / piece_length);
}

}  // namespace

DeltaStart::DeltaStart(const lt::torrent_info& info, std::string root, LocalScan scan,
                       PieceFeeder& feeder, Logger& log)
    : info_(info),
      root_(std::move(root)),
      scan_(std::move(scan)),
      feeder_(feeder),
      log_(log),
      asked_(static_cast<std::size_t>(info.num_pieces()), 0) {
    feeder_.hold();
}

std::vector<lt::download_priority_t> DeltaStart::initial_priorities() const {
    std::vector<lt::download_priority_t> prio(static_cast<std::size_t>(info_.num_pieces()),
                                              lt::dont_download);
    const std::int64_t total = info_.total_size();
    const std::int64_t tail = std::min<std::int64_t>(total, delta_locator_bytes);
    for (int p = first_piece(total - tail, info_.piece_length());
         p <= last_piece(total - tail, tail, info_.piece_length()); ++p) {
        prio[static_cast<std::size_t>(p)] = lt::default_priority;
    }
    return prio;
}

void DeltaStart::publish_to(std::shared_ptr<WantedPieces> wanted) {
    wanted_pieces_ = std::move(wanted);
    if (wanted_pieces_) {
        wanted_pieces_->publish(initial_priorities());
    }
}

void DeltaStart::prioritize(lt::torrent_handle& h,
                            const std::vector<lt::download_priority_t>& prio) {
    h.prioritize_pieces(prio);
    if (wanted_pieces_) {
        wanted_pieces_->publish(prio);
    }
}

void DeltaStart::take_piece(int piece, std::shared_ptr<const char[]> data, int size) {
    if (!done_ && piece >= 0 && piece < info_.num_pieces() &&
        asked_[static_cast<std::size_t>(piece)]) {
        pieces_[piece] = std::make_pair(std::move(data), size);
    }
}

bool DeltaStart::have_range(const std::vector<char>& have, std::int64_t offset, std::int64_t length,
                            lt::torrent_handle& h) {
    bool all = true;
    for (int p = first_piece(offset, info_.piece_length());
         p <= last_piece(offset, length, info_.piece_length()); ++p) {
        if (!have[static_cast<std::size_t>(p)]) {
            all = false;
            continue;
        }
        if (!asked_[static_cast<std::size_t>(p)]) {
            asked_[static_cast<std::size_t>(p)] = 1;
            h.read_piece(lt::piece_index_t{p});
        }
        all = all && pieces_.contains(p);
    }
    return all;
}

std::string DeltaStart::bytes(std::int64_t offset, std::int64_t length) const {
    std::string out;
    out.reserve(static_cast<std::size_t>(length));
    const int pl = info_.piece_length();
    for (std::int64_t pos = offset; pos < offset + length;) {
        const int p = first_piece(pos, pl);
        const auto& [data, size] = pieces_.at(p);
        const std::int64_t in = pos - static_cast<std::int64_t>(p) * pl;
        const std::int64_t n = std::min<std::int64_t>(size - in, offset + length - pos);
        out.append(data.get() + in, static_cast<std::size_t>(n));
        pos += n;
    }
    return out;
}

Status DeltaStart::full_install(lt::torrent_handle& h, const std::string& why) {
    if (clear_root_) {
        log_.info("delta: " + why +
                  "; clearing the root (its disks were not formatted), then "
                  "installing the image in full");
        if (Status s = clear_root(root_, clear_keep_, clear_mounts_); !s) {
            return s;
        }
    } else {
        log_.info("delta: " + why + "; installing the image in full over the root");
    }
    prioritize(h, std::vector<lt::download_priority_t>(static_cast<std::size_t>(info_.num_pieces()),
                                                       lt::default_priority));
    wanted_ = info_.num_pieces();
    done_ = true;
    pieces_.clear();
    feeder_.release({});
    return Ok{};
}

const std::vector<char>& DeltaStart::held_or_had(const std::vector<char>& have) {
    held_or_had_.resize(have.size());
    for (std::size_t p = 0; p < have.size(); ++p) {
        const bool left_out = p < plan_.needed_pieces.size() && !plan_.needed_pieces[p];
        held_or_had_[p] = have[p] || left_out ? 1 : 0;
    }
    return held_or_had_;
}

Status DeltaStart::step(lt::torrent_handle& h, const std::vector<char>& have) {
    if (done_) {
        return Ok{};
    }
    const std::int64_t total = info_.total_size();
    if (!locator_) {
        const std::int64_t tail = std::min<std::int64_t>(total, delta_locator_bytes);
        if (!have_range(have, total - tail, tail, h)) {
            return Ok{};
        }
        const std::string t = bytes(total - tail, tail);
        auto loc = parse_delta_locator(std::span<const char>(t.data(), t.size()), total);
        if (!loc) {
            return full_install(h, loc.error().message);
        }
        locator_ = *loc;
        auto prio = initial_priorities();
        for (int p = first_piece(loc->offset, info_.piece_length());
             p <= last_piece(loc->offset, loc->length, info_.piece_length()); ++p) {
            prio[static_cast<std::size_t>(p)] = lt::default_priority;
        }
        prioritize(h, prio);
    }
    if (!have_range(have, locator_->offset, locator_->length, h)) {
        return Ok{};
    }
    const std::string frame = bytes(locator_->offset, locator_->length);
    auto payload = delta_manifest_payload(std::span<const char>(frame.data(), frame.size()));
    if (!payload) {
        return full_install(h, payload.error().message);
    }
    auto manifest = read_delta_manifest(*payload);
    if (!manifest) {
        return full_install(h, manifest.error().message);
    }
    if (!manifest->frames.empty() &&
        manifest->frames.back().offset + manifest->frames.back().length > locator_->offset) {
        return full_install(h, "delta manifest: a frame overlaps the trailer");
    }
    manifest_ = std::move(*manifest);
    plan_ = plan_delta(*manifest_, scan_.lines, scan_.inode, total, info_.piece_length());
    if (Status s = remove_planned(root_, plan_); !s) {
        return s;
    }
    std::vector<lt::download_priority_t> prio(static_cast<std::size_t>(info_.num_pieces()));
    wanted_ = 0;
    for (std::size_t p = 0; p < prio.size(); ++p) {
        prio[p] = plan_.needed_pieces[p] ? lt::default_priority : lt::dont_download;
        wanted_ += plan_.needed_pieces[p] ? 1 : 0;
    }
    prioritize(h, prio);
    std::vector<std::pair<std::int64_t, std::int64_t>> skipped;
    skipped.reserve(plan_.skipped.size());
    for (const ByteRange& r : plan_.skipped) {
        skipped.emplace_back(r.offset, r.length);
    }
    char line[400];
    std::snprintf(line, sizeof line,
                  "delta: %lld of %zu entries held (%.1f MB of file data kept), %zu removed; "
                  "%d of %d pieces needed (%.1f of %.1f MB); root scanned: %.1f MB in %.2f s",
                  static_cast<long long>(plan_.held_entries), manifest_->entries.size(),
                  static_cast<double>(plan_.held_bytes) / 1e6, plan_.remove.size(),
                  plan_.needed_piece_count, info_.num_pieces(),
                  static_cast<double>(plan_.needed_bytes) / 1e6, static_cast<double>(total) / 1e6,
                  static_cast<double>(scan_.content_bytes) / 1e6, scan_.seconds);
    log_.info(line);
    done_ = true;
    pieces_.clear();
    feeder_.release(std::move(skipped));
    return Ok{};
}

}  // namespace si
