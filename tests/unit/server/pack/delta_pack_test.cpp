#include "server/pack/delta_pack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

#include "common/delta_trailer.hpp"
#include "pack_test_util.hpp"
#include "server/pack/owner_names.hpp"

namespace si {
namespace {

using test::mixed_bytes;
using test::TempDir;
using test::write_file;

// Small frames, so that a small tree has own frames and several shared ones.
DeltaLayout small_frames() {
    DeltaLayout l;
    l.own_frame_min_bytes = 64 << 10;
    l.shared_frame_bytes = 256 << 10;
    return l;
}

struct Packed {
    std::string stream;
    DeltaPackStats stats;
};

Packed pack(const std::string& root, unsigned threads) {
    auto tree = walk_tree(root);
    EXPECT_TRUE(tree) << tree.error().message;
    Logger log;
    log.set_quiet(true);
    OwnerNames names = OwnerNames::from_image(root);
    Packed p;
    auto stats = write_delta_tarball(
        *tree, names, small_frames(), threads,
        [&](std::span<const char> d) -> Status {
            p.stream.append(d.data(), d.size());
            return Ok{};
        },
        log);
    EXPECT_TRUE(stats) << stats.error().message;
    if (stats) {
        p.stats = std::move(*stats);
    }
    return p;
}

// The entry names libarchive reads from a (compressed) tar stream; "!error" on a failure.
std::vector<std::string> tar_names(const std::string& stream) {
    struct Free {
        void operator()(archive* a) const { archive_read_free(a); }
    };
    std::unique_ptr<archive, Free> a(archive_read_new());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_format_tar(a.get());
    std::vector<std::string> names;
    if (archive_read_open_memory(a.get(), stream.data(), stream.size()) != ARCHIVE_OK) {
        return {"!error"};
    }
    archive_entry* e = nullptr;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
        names.push_back(archive_entry_pathname(e));
        if (archive_read_data_skip(a.get()) != ARCHIVE_OK) {
            names.push_back("!error");
            return names;
        }
    }
    if (rc != ARCHIVE_EOF) {
        names.push_back("!error");
    }
    return names;
}

void make_tree(const TempDir& d) {
    ::mkdir((d / "img").c_str(), 0755);
    ::mkdir((d / "img/etc").c_str(), 0755);
    ::mkdir((d / "img/usr").c_str(), 0755);
    write_file(d / "img/etc/hostname", "node\n");
    write_file(d / "img/etc/empty", "");
    write_file(d / "img/usr/big1", mixed_bytes(300000, 1));
    write_file(d / "img/usr/big2", mixed_bytes(200000, 2));
    write_file(d / "img/usr/big3", mixed_bytes(70000, 3));  // two own frames in a row
    for (int i = 0; i < 40; ++i) {
        write_file(d / ("img/usr/small" + std::to_string(i)), mixed_bytes(9000, 10 + i));
    }
    ASSERT_EQ(::link((d / "img/usr/big1").c_str(), (d / "img/usr/big1.link").c_str()), 0);
    ASSERT_EQ(::symlink("hostname", (d / "img/etc/name").c_str()), 0);
}

TEST(DeltaPack, OneValidTarballWithFramesAndAManifest) {
    TempDir d;
    make_tree(d);
    const Packed p = pack(d / "img", 2);
    ASSERT_FALSE(p.stream.empty());
    EXPECT_EQ(p.stats.stream_bytes, static_cast<std::int64_t>(p.stream.size()));
    const auto names = tar_names(p.stream);
    ASSERT_FALSE(names.empty());
    EXPECT_EQ(std::count(names.begin(), names.end(), "!error"), 0);
    EXPECT_EQ(names.size(), p.stats.manifest.entries.size());
    EXPECT_EQ(p.stats.own_frames, 3);  // big1, big2, big3; big1.link is a link entry

    // The trailer points at the manifest, which parses and lists every entry in tar order.
    const std::string tail = p.stream.substr(p.stream.size() - delta_locator_bytes);
    auto loc = parse_delta_locator(std::span<const char>(tail.data(), tail.size()),
                                   static_cast<std::int64_t>(p.stream.size()));
    ASSERT_TRUE(loc) << loc.error().message;
    const std::string frame = p.stream.substr(static_cast<std::size_t>(loc->offset),
                                              static_cast<std::size_t>(loc->length));
    auto payload = delta_manifest_payload(std::span<const char>(frame.data(), frame.size()));
    ASSERT_TRUE(payload);
    std::string text(ZSTD_getFrameContentSize(payload->data(), payload->size()), '\0');
    ASSERT_EQ(ZSTD_decompress(text.data(), text.size(), payload->data(), payload->size()),
              text.size());
    auto m = parse_delta_manifest(text);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_EQ(m->entries.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::string want = names[i] == "." ? "/" : names[i].substr(1);
        if (want.size() > 1 && want.back() == '/') {
            want.pop_back();  // libarchive names a directory "./etc/"
        }
        EXPECT_EQ(m->entries[i].path, want);
    }
    const auto link = std::find_if(m->entries.begin(), m->entries.end(),
                                   [](const DeltaEntry& e) { return !e.link.empty(); });
    ASSERT_NE(link, m->entries.end());
    EXPECT_EQ(link->link, "/usr/big1");
    EXPECT_EQ(link->path, "/usr/big1.link");

    // Every frame is a whole zstd frame, and the frames tile the stream up to the trailer.
    std::int64_t at = 0;
    for (const DeltaFrame& f : m->frames) {
        EXPECT_EQ(f.offset, at);
        EXPECT_EQ(ZSTD_findFrameCompressedSize(p.stream.data() + f.offset,
                                               static_cast<std::size_t>(f.length)),
                  static_cast<std::size_t>(f.length));
        at = f.offset + f.length;
    }
    EXPECT_EQ(at, loc->offset);
}

TEST(DeltaPack, StreamWithoutAnOwnFrameIsStillAValidTarball) {
    TempDir d;
    make_tree(d);
    const Packed p = pack(d / "img", 1);
    const DeltaManifest& m = p.stats.manifest;
    const auto big = std::find_if(m.entries.begin(), m.entries.end(),
                                  [](const DeltaEntry& e) { return e.path == "/usr/big2"; });
    ASSERT_NE(big, m.entries.end());
    const DeltaFrame f = m.frames[static_cast<std::size_t>(big->frame)];
    const std::string cut = p.stream.substr(0, static_cast<std::size_t>(f.offset)) +
                            p.stream.substr(static_cast<std::size_t>(f.offset + f.length));
    auto names = tar_names(cut);
    EXPECT_EQ(std::count(names.begin(), names.end(), "!error"), 0);
    EXPECT_EQ(names.size(), m.entries.size() - 1);
    EXPECT_EQ(std::count(names.begin(), names.end(), "./usr/big2"), 0);
}

TEST(DeltaPack, LayoutFramesAreIndependentOfSmallPieces) {
    for (int piece : {64 << 10, 128 << 10, 256 << 10}) {
        const DeltaLayout l = delta_layout_for(piece);
        EXPECT_EQ(l.own_frame_min_bytes, std::max(128 << 10, piece)) << piece;
        EXPECT_EQ(l.shared_frame_bytes, std::max(512 << 10, 4 * piece)) << piece;
        EXPECT_EQ(l.level, delta_zstd_level);
    }
    // Large pieces: an own frame is at least a piece, a shared one at least four.
    const DeltaLayout big = delta_layout_for(4 << 20);
    EXPECT_EQ(big.own_frame_min_bytes, 4 << 20);
    EXPECT_EQ(big.shared_frame_bytes, 16 << 20);
}

TEST(DeltaPack, SameTreeSameBytesWhateverTheThreads) {
    TempDir d;
    make_tree(d);
    EXPECT_EQ(pack(d / "img", 1).stream, pack(d / "img", 3).stream);
}

}  // namespace
}  // namespace si
