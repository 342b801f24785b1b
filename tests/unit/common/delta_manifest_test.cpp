#include "common/delta_manifest.hpp"

#include <gtest/gtest.h>

#include "common/delta_trailer.hpp"

namespace si {
namespace {

DeltaManifest sample() {
    DeltaManifest m;
    m.frames = {{0, 100}, {100, 4000}, {4100, 50}};
    DeltaEntry root;
    root.path = "/";
    root.line = "/ type=d mode=0755 uid=0 gid=0";
    root.dir_mtime_ns = 1700000000123456789;
    DeltaEntry big;
    big.path = "/usr/lib/big file";
    big.line =
        "/usr/lib/big%20file type=f mode=0644 uid=0 gid=0 size=9000 mtime=1 nlink=2 "
        "content=ab";
    big.frame = 1;
    DeltaEntry link;
    link.path = "/usr/lib/other";
    link.line = "/usr/lib/other type=f mode=0644 uid=0 gid=0 size=9000 mtime=1 nlink=2 content=ab";
    link.frame = 2;
    link.link = "/usr/lib/big file";
    m.entries = {root, big, link};
    return m;
}

TEST(DeltaManifest, TextRoundTrips) {
    const DeltaManifest m = sample();
    const std::string text = delta_manifest_text(m);
    EXPECT_EQ(text.substr(0, 11), "si-delta 1\n");
    auto back = parse_delta_manifest(text);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->frames.size(), 3u);
    EXPECT_EQ(back->frames[1].offset, 100);
    EXPECT_EQ(back->frames[1].length, 4000);
    ASSERT_EQ(back->entries.size(), 3u);
    EXPECT_EQ(back->entries[0].dir_mtime_ns, 1700000000123456789);
    EXPECT_EQ(back->entries[1].path, "/usr/lib/big file");
    EXPECT_EQ(back->entries[1].frame, 1);
    EXPECT_FALSE(back->entries[1].dir_mtime_ns);
    EXPECT_EQ(back->entries[2].link, "/usr/lib/big file");
    EXPECT_EQ(delta_manifest_text(*back), text);
}

TEST(DeltaManifest, BadInputNamesTheLine) {
    auto expect_bad = [](const std::string& text, const std::string& words) {
        auto m = parse_delta_manifest(text);
        ASSERT_FALSE(m) << text;
        EXPECT_EQ(m.error().kind, ErrorKind::bad_data);
        EXPECT_NE(m.error().message.find(words), std::string::npos) << m.error().message;
    };
    expect_bad("", "empty");
    expect_bad("si-delta 2\n", "line 1: not a delta manifest");
    expect_bad("si-delta 1\nF\t0\t10", "no newline");
    expect_bad("si-delta 1\nF\t0\t0\n", "line 2: bad frame");
    expect_bad("si-delta 1\nF\t0\t10\nF\t5\t10\n", "line 3: frame overlaps");
    expect_bad("si-delta 1\nF\t0\t10\nE\t1\t-\t-\t/ type=d\n", "line 3: frame 1 out of range");
    expect_bad("si-delta 1\nF\t0\t10\nE\t0\t/x\t-\t/y type=f\n", "which no earlier entry");
    expect_bad("si-delta 1\nF\t0\t10\nE\t0\t-\t-\t/y type=f\nE\t0\t-\t-\t/y type=f\n",
               "listed twice");
    expect_bad("si-delta 1\nF\t0\t10\nE\t0\t-\tx\t/ type=d\n", "bad directory mtime");
    expect_bad("si-delta 1\nF\t0\t10\nE\t0\t-\t-\tnoslash type=d\n", "bad manifest line");
    expect_bad("si-delta 1\nX\n", "unknown record");
    expect_bad("si-delta 1\nF\t0\t10\nE\t0\t-\t-\t/a type=f\nF\t10\t5\n", "frame after");
}

TEST(DeltaManifest, UnescapeAndFields) {
    EXPECT_EQ(manifest_unescape("/a%20b%25"), "/a b%");
    EXPECT_FALSE(manifest_unescape("/a%2"));
    EXPECT_FALSE(manifest_unescape("/a%zz"));
    const std::string line = "/etc/x type=f mode=0600 uid=0 gid=42 size=3 mtime=5 nlink=1";
    EXPECT_EQ(manifest_field(line, "gid"), "42");
    EXPECT_EQ(manifest_field(line, "mode"), "0600");
    EXPECT_FALSE(manifest_field(line, "content"));
    EXPECT_FALSE(manifest_field(line, "nlin"));
}

TEST(DeltaTrailer, LocatorRoundTripsAndIsChecked) {
    const std::string loc = delta_locator_frame(1000, 77);
    ASSERT_EQ(loc.size(), delta_locator_bytes);
    auto back = parse_delta_locator(std::span<const char>(loc.data(), loc.size()), 1109);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->offset, 1000);
    EXPECT_EQ(back->length, 77);
    // The manifest frame would reach into the locator.
    EXPECT_FALSE(parse_delta_locator(std::span<const char>(loc.data(), loc.size()), 1100));
    std::string other = loc;
    other[9] = 'X';
    EXPECT_FALSE(parse_delta_locator(std::span<const char>(other.data(), other.size()), 5000));
    EXPECT_FALSE(parse_delta_locator(std::span<const char>(loc.data(), 10), 5000));
}

TEST(DeltaTrailer, ManifestFramePayload) {
    const std::string frame = skippable_frame(delta_manifest_magic, "hello");
    ASSERT_EQ(frame.size(), 13u);
    EXPECT_EQ(static_cast<unsigned char>(frame[0]), 0x5E);
    EXPECT_EQ(static_cast<unsigned char>(frame[3]), 0x18);
    auto payload = delta_manifest_payload(std::span<const char>(frame.data(), frame.size()));
    ASSERT_TRUE(payload);
    EXPECT_EQ(*payload, "hello");
    EXPECT_FALSE(delta_manifest_payload(std::span<const char>(frame.data(), 12)));
    const std::string other = skippable_frame(delta_locator_magic, "hello");
    EXPECT_FALSE(delta_manifest_payload(std::span<const char>(other.data(), other.size())));
}

}  // namespace
}  // namespace si
