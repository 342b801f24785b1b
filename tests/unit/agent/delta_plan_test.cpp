#include "agent/delta_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace si {
namespace {

// Lines as common/tree_manifest writes them.
std::string dir(const std::string& path, const std::string& mode = "0755") {
    return path + " type=d mode=" + mode + " uid=0 gid=0";
}
std::string file(const std::string& path, const std::string& content, int size = 10, int nlink = 1,
                 const std::string& mtime = "5") {
    return path + " type=f mode=0644 uid=0 gid=0 size=" + std::to_string(size) + " mtime=" + mtime +
           " nlink=" + std::to_string(nlink) + " content=" + content;
}

struct Builder {
    DeltaManifest m;
    int frame(std::int64_t offset, std::int64_t length) {
        m.frames.push_back({offset, length});
        return static_cast<int>(m.frames.size()) - 1;
    }
    void entry(int frame, const std::string& line, const std::string& link = "") {
        DeltaEntry e;
        e.frame = frame;
        e.line = line;
        e.path = line.substr(0, line.find(' '));
        e.link = link;
        if (line.find(" type=d") != std::string::npos) {
            e.dir_mtime_ns = 7;
        }
        m.entries.push_back(e);
    }
};

std::vector<int> needed(const DeltaPlan& p) {
    std::vector<int> out;
    for (std::size_t i = 0; i < p.needed_pieces.size(); ++i) {
        if (p.needed_pieces[i]) {
            out.push_back(static_cast<int>(i));
        }
    }
    return out;
}

// Stream of 1000 bytes in pieces of 100: frame 0 [0, 150) small entries, frame 1 [150, 620)
// a big file split across pieces 1-6, frame 2 [620, 700) small entries and the end-of-archive
// records (the last frame: always unpacked), trailer [700, 1000).
Builder three_frames() {
    Builder b;
    const int f0 = b.frame(0, 150);
    const int f1 = b.frame(150, 470);
    const int f2 = b.frame(620, 80);
    b.entry(f0, dir("/"));
    b.entry(f0, dir("/etc"));
    b.entry(f0, file("/etc/a", "aa"));
    b.entry(f1, file("/big", "bb", 5000));
    b.entry(f2, file("/etc/empty", "e3", 0));
    return b;
}

std::vector<std::string> lines_of(const Builder& b) {
    std::vector<std::string> out;
    for (const auto& e : b.m.entries) {
        out.push_back(e.line);
    }
    return out;
}

TEST(DeltaPlan, BlankRootNeedsEveryPiece) {
    const Builder b = three_frames();
    const DeltaPlan p = plan_delta(b.m, {}, {}, 1000, 100);
    EXPECT_EQ(p.needed_piece_count, 10);
    EXPECT_EQ(p.needed_bytes, 1000);
    EXPECT_TRUE(p.skipped.empty());
    EXPECT_EQ(p.held_entries, 0);
    EXPECT_TRUE(p.remove.empty());
}

TEST(DeltaPlan, SameRootNeedsOnlyTheLastFrameAndTheTrailer) {
    const Builder b = three_frames();
    const DeltaPlan p = plan_delta(b.m, lines_of(b), {}, 1000, 100);
    EXPECT_EQ(needed(p), (std::vector<int>{6, 7, 8, 9}));
    ASSERT_EQ(p.skipped.size(), 1u);  // the first two frames merged
    EXPECT_EQ(p.skipped[0].offset, 0);
    EXPECT_EQ(p.skipped[0].length, 620);
    EXPECT_EQ(p.held_entries, 4);
    EXPECT_EQ(p.held_bytes, 5010);  // /etc/a, /big
    // Only directories are restamped: their times move as entries come and go.
    EXPECT_EQ(p.restamp.size(), 2u);
}

TEST(DeltaPlan, ChangedBigFileNeedsItsPiecesOnly) {
    const Builder b = three_frames();
    auto local = lines_of(b);
    local[3] = file("/big", "OLD", 5000);  // same size, other content (an edit, mtime kept)
    const DeltaPlan p = plan_delta(b.m, local, {}, 1000, 100);
    // Frame 1 is [150, 620): pieces 1-6, the ends shared with frames 0 and 2.
    EXPECT_EQ(needed(p), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(p.skip_frame, (std::vector<char>{1, 0, 0}));
    ASSERT_EQ(p.skipped.size(), 1u);
    EXPECT_EQ(p.skipped[0].length, 150);
}

TEST(DeltaPlan, ChangedSmallFileNeedsItsSharedFrame) {
    const Builder b = three_frames();
    auto local = lines_of(b);
    local.erase(local.begin() + 4);  // /etc/empty deleted locally
    const DeltaPlan p = plan_delta(b.m, local, {}, 1000, 100);
    EXPECT_EQ(p.skip_frame, (std::vector<char>{1, 1, 0}));
    EXPECT_EQ(needed(p), (std::vector<int>{6, 7, 8, 9}));
}

TEST(DeltaPlan, StampOnlyDifferencesAreKeptAndRestamped) {
    const Builder b = three_frames();
    auto local = lines_of(b);
    local[2] = file("/etc/a", "aa", 10, 1, "999");  // mtime differs
    local[1] = dir("/etc", "0700");                 // mode differs
    const DeltaPlan p = plan_delta(b.m, local, {}, 1000, 100);
    EXPECT_EQ(p.skip_frame, (std::vector<char>{1, 1, 0}));
    std::vector<std::string> stamped;
    for (std::size_t i : p.restamp) {
        stamped.push_back(b.m.entries[i].path);
    }
    std::sort(stamped.begin(), stamped.end());
    EXPECT_EQ(stamped, (std::vector<std::string>{"/", "/etc", "/etc/a"}));
}

TEST(DeltaPlan, OtherAttributesAreNotStamps) {
    EXPECT_TRUE(same_but_stamp(file("/a", "x"), file("/a", "x", 10, 1, "77")));
    EXPECT_FALSE(same_but_stamp(file("/a", "x"), file("/a", "y")));
    EXPECT_FALSE(same_but_stamp(file("/a", "x"), file("/a", "x", 11)));
    EXPECT_FALSE(same_but_stamp(file("/a", "x"), file("/a", "x", 10, 2)));
    EXPECT_FALSE(same_but_stamp(file("/a", "x"), file("/a", "x") + " xattrs=00"));
    EXPECT_FALSE(same_but_stamp(dir("/a"), file("/a", "x")));
    EXPECT_TRUE(same_but_stamp(dir("/a", "0700"), dir("/a")));
}

TEST(DeltaPlan, RemovesWhatTheImageLacksAndTypeChangesTopmostOnly) {
    const Builder b = three_frames();
    auto local = lines_of(b);
    local.push_back(dir("/old"));
    local.push_back(file("/old/x", "x"));
    local.push_back(dir("/old/sub"));
    local.push_back(file("/old/sub/y", "y"));
    local.push_back(file("/etc/added", "z"));
    local[3] = dir("/big");  // a directory where the image has a file
    local.push_back(file("/big/inner", "i"));
    const DeltaPlan p = plan_delta(b.m, local, {}, 1000, 100);
    EXPECT_EQ(p.remove, (std::vector<std::string>{"/big", "/etc/added", "/old"}));
    EXPECT_EQ(p.skip_frame, (std::vector<char>{1, 0, 0}));
}

TEST(DeltaPlan, EscapedPathsAreRemovedByTheirRawName) {
    const Builder b = three_frames();
    auto local = lines_of(b);
    local.push_back(file("/etc/with%20blank", "q"));
    const DeltaPlan p = plan_delta(b.m, local, {}, 1000, 100);
    EXPECT_EQ(p.remove, (std::vector<std::string>{"/etc/with blank"}));
}

// Hard links: /big (data, frame 1) and /etc/link (a link entry, frame 2); frame 3 is last.
Builder linked() {
    Builder b;
    const int f0 = b.frame(0, 150);
    const int f1 = b.frame(150, 470);
    const int f2 = b.frame(620, 80);
    const int f3 = b.frame(700, 50);
    b.entry(f0, dir("/"));
    b.entry(f0, dir("/etc"));
    b.entry(f1, file("/big", "bb", 5000, 2));
    b.entry(f2, file("/etc/link", "bb", 5000, 2), "/big");
    b.entry(f2, file("/etc/small", "s"));
    b.entry(f3, file("/zz", "z"));
    return b;
}

TEST(DeltaPlan, HardLinksHeldAsOneInodeAreSkipped) {
    const Builder b = linked();
    const std::map<std::string, std::uint64_t> inode = {{"/big", 9}, {"/etc/link", 9}};
    const DeltaPlan p = plan_delta(b.m, lines_of(b), inode, 1000, 100);
    EXPECT_EQ(p.skip_frame, (std::vector<char>{1, 1, 1, 0}));
}

TEST(DeltaPlan, HardLinksThatAreTwoInodesAreUnpacked) {
    const Builder b = linked();
    const std::map<std::string, std::uint64_t> inode = {{"/big", 9}, {"/etc/link", 10}};
    const DeltaPlan p = plan_delta(b.m, lines_of(b), inode, 1000, 100);
    EXPECT_EQ(p.skip_frame, (std::vector<char>{1, 0, 0, 0}));
}

TEST(DeltaPlan, AnUnpackedLinkMemberUnpacksTheWholeGroup) {
    const Builder b = linked();
    auto local = lines_of(b);
    local[4] = file("/etc/small", "changed");  // frame 2 must be unpacked: so must /big's
    const std::map<std::string, std::uint64_t> inode = {{"/big", 9}, {"/etc/link", 9}};
    const DeltaPlan p = plan_delta(b.m, local, inode, 1000, 100);
    EXPECT_EQ(p.skip_frame, (std::vector<char>{1, 0, 0, 0}));
}

TEST(DeltaPlan, SparseAndEmptyFilesAreComparedByTheirLines) {
    // A sparse file's line is that of its bytes (holes read as zeros): nothing special.
    Builder b;
    const int f0 = b.frame(0, 64);
    b.frame(64, 6);  // the end-of-archive records
    b.entry(f0, dir("/"));
    b.entry(f0, file("/sparse", "z0", 1 << 30));
    b.entry(f0, file("/empty", "e3", 0));
    const DeltaPlan held = plan_delta(b.m, lines_of(b), {}, 100, 64);
    EXPECT_EQ(needed(held), (std::vector<int>{1}));  // the trailer's piece
    auto local = lines_of(b);
    local[2] = file("/empty", "e3", 0, 1, "6");
    const DeltaPlan stamped = plan_delta(b.m, local, {}, 100, 64);
    EXPECT_EQ(needed(stamped), (std::vector<int>{1}));
    EXPECT_EQ(stamped.restamp.size(), 2u);  // "/" and /empty
}

TEST(DeltaPlan, LastShortPieceAndUncoveredBytes) {
    Builder b;
    const int f0 = b.frame(10, 50);  // bytes [0, 10) belong to no frame: always needed
    b.frame(60, 5);                  // the end-of-archive records
    b.entry(f0, dir("/"));
    const DeltaPlan p = plan_delta(b.m, lines_of(b), {}, 75, 30);
    // Pieces [0,30) [30,60) [60,75): the first has uncovered bytes, the last is the trailer.
    EXPECT_EQ(needed(p), (std::vector<int>{0, 2}));
    EXPECT_EQ(p.needed_bytes, 45);
}

}  // namespace
}  // namespace si
