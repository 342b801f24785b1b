#include "server/pack/packer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>

#include <libtorrent/hasher.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/hex_string.hpp"
#include "pack_test_util.hpp"
#include "server/pack/pack_record.hpp"
#include "server/pack/torrent_maker.hpp"

namespace si {
namespace {

using test::TempDir;
using test::write_file;

const std::string capability(
    "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00",
    20);
constexpr std::int64_t fixed_mtime = 1500000000;
constexpr long fixed_nsec = 123456789;

void set_mtime(const std::string& path) {
    timespec t[2] = {{0, UTIME_OMIT}, {fixed_mtime, fixed_nsec}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// Every file type an image holds, as root.
void make_special_tree(const std::string& root) {
    write_file(root + "/etc/passwd",
               "root:x:0:0::/root:/bin/sh\nuser1234:x:1234:5678::/:/bin/sh\n");
    write_file(root + "/etc/group", "root:x:0:\ngroup5678:x:5678:\n");
    write_file(root + "/bin/tool", test::mixed_bytes(3 << 20, 11));
    std::string tool = root + "/bin/tool";
    ASSERT_EQ(chown(tool.c_str(), 1234, 5678), 0);
    ASSERT_EQ(chmod(tool.c_str(), 04755), 0);
    ASSERT_EQ(setxattr(tool.c_str(), "user.x", "hello", 5, 0), 0);
    ASSERT_EQ(
        setxattr(tool.c_str(), "security.capability", capability.data(), capability.size(), 0), 0);
    ASSERT_EQ(test::run("setfacl -m u:1234:rx " + tool), 0);
    ASSERT_EQ(link(tool.c_str(), (root + "/bin/tool-hardlink").c_str()), 0);
    ASSERT_EQ(symlink("bin/tool", (root + "/tool-symlink").c_str()), 0);
    ASSERT_EQ(mkdir((root + "/dev").c_str(), 0755), 0);
    ASSERT_EQ(mknod((root + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(mknod((root + "/dev/loop0").c_str(), S_IFBLK | 0660, makedev(7, 0)), 0);
    ASSERT_EQ(mkfifo((root + "/dev/fifo").c_str(), 0600), 0);
    ASSERT_EQ(test::run("truncate -s 100M " + root + "/sparse && echo end >> " + root + "/sparse"),
              0);
    write_file(root + "/empty", "");
    for (const char* p :
         {"/etc/passwd", "/etc/group", "/bin/tool", "/tool-symlink", "/dev/null", "/dev/loop0",
          "/dev/fifo", "/sparse", "/empty", "/dev", "/etc", "/bin", ""}) {
        set_mtime(root + p);
    }
}

struct EntryInfo {
    std::string type;  // "file", "dir", "link", "chr", "blk", "fifo", "hardlink"
    unsigned mode = 0;
    std::int64_t uid = -1, gid = -1;
    std::string uname, gname, symlink, hardlink, acl;
    std::int64_t mtime = 0;
    long mtime_nsec = 0;
    bool atime_set = false, ctime_set = false;
    dev_t rdev = 0;
    std::int64_t size = 0;
    std::map<std::string, std::string> xattrs;
    int sparse_regions = 0;
    std::string data;
};

std::map<std::string, EntryInfo> read_tarball(const std::string& path) {
    std::map<std::string, EntryInfo> out;
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                             &archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_all(a.get());
    EXPECT_EQ(archive_read_open_filename(a.get(), path.c_str(), 1 << 20), ARCHIVE_OK);
    archive_entry* e = nullptr;
    int rc = 0;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
        EntryInfo i;
        switch (archive_entry_filetype(e)) {
            case AE_IFREG:
                i.type = "file";
                break;
            case AE_IFDIR:
                i.type = "dir";
                break;
            case AE_IFLNK:
                i.type = "link";
                break;
            case AE_IFCHR:
                i.type = "chr";
                break;
            case AE_IFBLK:
                i.type = "blk";
                break;
            case AE_IFIFO:
                i.type = "fifo";
                break;
            default:
                i.type = "?";
        }
        if (archive_entry_hardlink(e) != nullptr) {
            i.hardlink = archive_entry_hardlink(e);
        }
        i.mode = archive_entry_perm(e);
        i.uid = archive_entry_uid(e);
        i.gid = archive_entry_gid(e);
        i.uname = archive_entry_uname(e) != nullptr ? archive_entry_uname(e) : "";
        i.gname = archive_entry_gname(e) != nullptr ? archive_entry_gname(e) : "";
        i.symlink = archive_entry_symlink(e) != nullptr ? archive_entry_symlink(e) : "";
        i.mtime = archive_entry_mtime(e);
        i.mtime_nsec = archive_entry_mtime_nsec(e);
        i.atime_set = archive_entry_atime_is_set(e) != 0;
        i.ctime_set = archive_entry_ctime_is_set(e) != 0;
        i.rdev = archive_entry_rdev(e);
        i.size = archive_entry_size(e);
        const char* acl = archive_entry_acl_to_text(e, nullptr, ARCHIVE_ENTRY_ACL_TYPE_ACCESS);
        i.acl = acl != nullptr ? acl : "";
        archive_entry_xattr_reset(e);
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
            i.xattrs[name] = std::string(static_cast<const char*>(value), size);
        }
        i.sparse_regions = archive_entry_sparse_count(e);
        if (i.type == "file" && i.size < (8 << 20)) {
            std::string data(static_cast<std::size_t>(i.size), '\0');
            EXPECT_EQ(archive_read_data(a.get(), data.data(), data.size()), i.size);
            i.data = data;
        }
        out[archive_entry_pathname(e)] = i;
    }
    EXPECT_EQ(rc, ARCHIVE_EOF) << archive_error_string(a.get());
    return out;
}

class PackerTest : public ::testing::Test {
  protected:
    PackJob job(const std::string& out_dir, Compression c, const std::string& name = "a") {
        PackJob j;
        j.name = name;
        j.compression = c;
        j.source_dir = src_ / name;
        std::string tarball = tarball_name(PackKind::image, name, c);
        j.tarball = out_dir + "/tarballs/" + tarball;
        j.torrent = out_dir + "/torrents/" + torrent_name(tarball);
        return j;
    }
    PackerSettings settings(unsigned threads = 2) {
        PackerSettings s;
        s.threads = threads;
        s.announce_url = "http://10.1.2.3:6969/announce";
        return s;
    }
    Result<PackResult> pack(const PackJob& j, const PackerSettings& s,
                            Rebuild rebuild = Rebuild::always) {
        auto r = pack_or_reuse(j, s, rebuild, log_);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r;
    }

    TempDir src_;
    TempDir out_;
    Logger log_;
};

TEST_F(PackerTest, EveryFileTypeKeepsItsMetadata) {
    make_special_tree(src_ / "a");
    auto r = pack(job(out_.path(), Compression::gzip), settings());
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->reused);
    EXPECT_EQ(r->info_hash_hex.size(), 40u);
    auto entries = read_tarball(r->tarball);
    ASSERT_TRUE(entries.count("./")) << "the root is stored as ./";
    EntryInfo tool = entries["./bin/tool"];
    EXPECT_EQ(tool.type, "file");
    EXPECT_EQ(tool.mode, 04755u);
    EXPECT_EQ(tool.uid, 1234);
    EXPECT_EQ(tool.gid, 5678);
    EXPECT_EQ(tool.uname, "user1234");  // from the image's etc/passwd
    EXPECT_EQ(tool.gname, "group5678");
    EXPECT_EQ(tool.mtime, fixed_mtime);
    EXPECT_EQ(tool.mtime_nsec, fixed_nsec);
    EXPECT_FALSE(tool.atime_set);
    EXPECT_FALSE(tool.ctime_set);
    EXPECT_EQ(tool.xattrs["user.x"], "hello");
    EXPECT_EQ(tool.xattrs["security.capability"], capability);
    EXPECT_NE(tool.acl.find("user:1234:r-x"), std::string::npos) << tool.acl;
    EXPECT_EQ(tool.data, test::read_file(src_ / "a/bin/tool"));
    EXPECT_EQ(entries["./bin/tool-hardlink"].hardlink, "./bin/tool");
    EXPECT_EQ(entries["./tool-symlink"].type, "link");
    EXPECT_EQ(entries["./tool-symlink"].symlink, "bin/tool");
    EXPECT_EQ(entries["./dev/null"].type, "chr");
    EXPECT_EQ(entries["./dev/null"].rdev, makedev(1, 3));
    EXPECT_EQ(entries["./dev/loop0"].type, "blk");
    EXPECT_EQ(entries["./dev/loop0"].rdev, makedev(7, 0));
    EXPECT_EQ(entries["./dev/fifo"].type, "fifo");
    EXPECT_EQ(entries["./dev/fifo"].mode, 0600u);
    EXPECT_EQ(entries["./sparse"].size, (100 << 20) + 4);
    EXPECT_GE(entries["./sparse"].sparse_regions, 1);
    EXPECT_EQ(entries["./empty"].size, 0);
    EXPECT_EQ(entries["./etc/"].type, "dir");
    // The 100 MiB sparse file costs almost nothing.
    EXPECT_LT(r->tarball_bytes, 4u << 20);
}

TEST_F(PackerTest, SocketsAreSkippedWithAWarning) {
    write_file(src_ / "a/f", "x");
    std::string sock = src_ / "a/sock";
    ASSERT_EQ(test::run("python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('" + sock +
                        "')\""),
              0);
    auto r = pack(job(out_.path(), Compression::none), settings());
    ASSERT_TRUE(r.ok());
    auto entries = read_tarball(r->tarball);
    EXPECT_TRUE(entries.count("./f"));
    EXPECT_FALSE(entries.count("./sock"));
}

TEST_F(PackerTest, DeterministicWhateverTheThreadsOrTheRun) {
    make_special_tree(src_ / "a");
    for (Compression c : {Compression::none, Compression::gzip, Compression::zstd}) {
        TempDir other;
        auto a = pack(job(out_.path(), c), settings(1));
        auto b = pack(job(other.path(), c), settings(2));
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(a->info_hash_hex, b->info_hash_hex);
        EXPECT_EQ(test::read_file(a->tarball), test::read_file(b->tarball));
        EXPECT_EQ(test::read_file(a->torrent), test::read_file(b->torrent));
        struct stat st {};
        ASSERT_EQ(stat(a->tarball.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0600u);
    }
}

TEST_F(PackerTest, TorrentPieceHashesMatchTheFile) {
    make_special_tree(src_ / "a");
    write_file(src_ / "a/big", test::mixed_bytes(5 << 20, 5));
    auto r = pack(job(out_.path(), Compression::zstd), settings());
    ASSERT_TRUE(r.ok());
    std::string bytes = test::read_file(r->torrent);
    lt::error_code ec;
    lt::torrent_info ti(bytes, ec, lt::from_span);
    ASSERT_FALSE(ec) << ec.message();
    std::string data = test::read_file(r->tarball);
    EXPECT_EQ(static_cast<std::size_t>(ti.total_size()), data.size());
    EXPECT_EQ(ti.files().file_name(lt::file_index_t(0)), "image-a.tar.zst");
    EXPECT_EQ(ti.trackers().at(0).url, "http://10.1.2.3:6969/announce");
    EXPECT_EQ(ti.creator(), "si_btd " SI_VERSION);
    EXPECT_EQ(ti.creation_date(), 0);
    EXPECT_TRUE(ti.info_hashes().has_v1());
    EXPECT_FALSE(ti.info_hashes().has_v2());
    EXPECT_EQ(hex_string(ti.info_hashes().v1), r->info_hash_hex);
    ASSERT_GT(ti.num_pieces(), 1);
    for (lt::piece_index_t p(0); p < ti.end_piece(); ++p) {
        auto off = static_cast<std::size_t>(static_cast<int>(p)) *
                   static_cast<std::size_t>(ti.piece_length());
        auto len = static_cast<int>(ti.piece_size(p));
        EXPECT_EQ(lt::hasher(data.data() + off, len).final(), ti.hash_for_piece(p));
    }
}

TEST_F(PackerTest, ReusesAMatchingPairWithoutReadingIt) {
    make_special_tree(src_ / "a");
    write_file(src_ / "a/big", test::mixed_bytes(20 << 20, 9));
    auto j = job(out_.path(), Compression::gzip);
    auto first = pack(j, settings());
    ASSERT_TRUE(first.ok());
    struct stat before {};
    ASSERT_EQ(stat(j.tarball.c_str(), &before), 0);

    auto again = pack(j, settings(), Rebuild::if_stale);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->reused);
    EXPECT_EQ(again->info_hash_hex, first->info_hash_hex);
    struct stat after {};
    ASSERT_EQ(stat(j.tarball.c_str(), &after), 0);
    EXPECT_EQ(after.st_ino, before.st_ino);
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);

    // A touched file makes the pair stale: repacked, never reused.
    timespec t[2] = {{0, UTIME_OMIT}, {fixed_mtime + 1, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, (src_ / "a/etc/passwd").c_str(), t, 0), 0);
    auto stale = pack(j, settings(), Rebuild::if_stale);
    ASSERT_TRUE(stale.ok());
    EXPECT_FALSE(stale->reused);
    EXPECT_NE(stale->note.find("the tree changed"), std::string::npos) << stale->note;
    EXPECT_NE(stale->info_hash_hex, first->info_hash_hex);
    // A different compression is a different file name, and another pack.
    EXPECT_FALSE(pack(job(out_.path(), Compression::zstd), settings(), Rebuild::if_stale)->reused);
}

TEST_F(PackerTest, NewAnnounceUrlRewritesTheTorrentKeepingTheInfoHash) {
    make_special_tree(src_ / "a");
    auto j = job(out_.path(), Compression::zstd);
    auto first = pack(j, settings());
    ASSERT_TRUE(first.ok());
    PackerSettings moved = settings();
    moved.announce_url = "http://10.9.9.9:7000/announce";
    auto r = pack(j, moved, Rebuild::if_stale);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->reused);
    EXPECT_EQ(r->info_hash_hex, first->info_hash_hex);
    // Byte for byte what a fresh pack with the new URL gives.
    TempDir other;
    auto fresh = pack(job(other.path(), Compression::zstd), moved, Rebuild::always);
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(test::read_file(j.torrent), test::read_file(fresh->torrent));
    // And the record now matches it.
    auto again = pack(j, settings(), Rebuild::if_stale);
    EXPECT_TRUE(again->reused);
}

TEST_F(PackerTest, MissingOrEmptySourceIsSkipped) {
    auto missing = pack(job(out_.path(), Compression::gzip), settings());
    ASSERT_TRUE(missing.ok());
    EXPECT_TRUE(missing->skipped);
    EXPECT_NE(missing->note.find("does not exist"), std::string::npos);
    ASSERT_EQ(mkdir((src_ / "a").c_str(), 0755), 0);
    auto empty = pack(job(out_.path(), Compression::gzip), settings());
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->skipped);
    EXPECT_NE(empty->note.find("is empty"), std::string::npos);
}

TEST_F(PackerTest, UnreadableFileFailsNamingItAndLeavesNoTempFile) {
    write_file(src_ / "a/ok", "fine");
    write_file(src_ / "a/etc/shadow", "secret");
    ASSERT_EQ(chmod((src_ / "a/etc/shadow").c_str(), 0), 0);
    ASSERT_EQ(chmod(src_.path().c_str(), 0755), 0);
    ASSERT_EQ(chmod(out_.path().c_str(), 0777), 0);
    auto j = job(out_.path(), Compression::gzip);
    ASSERT_EQ(test::run("mkdir -m 777 " + out_.path() + "/tarballs " + out_.path() + "/torrents"),
              0);
    std::string msg = test::run_as_nobody([&] {
        Logger quiet;
        quiet.set_stderr(false);
        auto r = pack_or_reuse(j, settings(), Rebuild::always, quiet);
        return r.ok() ? std::string("ok")
                      : r.error().message + (r.error().kind == ErrorKind::io ? "|io" : "|not io");
    });
    EXPECT_EQ(msg, "pack image a: open " + (src_ / "a/etc/shadow") + ": Permission denied|io");
    EXPECT_TRUE(std::filesystem::is_empty(out_.path() + "/tarballs"));
    EXPECT_TRUE(std::filesystem::is_empty(out_.path() + "/torrents"));
}

class DiskFullTest : public PackerTest {
  protected:
    void SetUp() override {
        mount_ = out_ / "small";
        ASSERT_EQ(mkdir(mount_.c_str(), 0755), 0);
        ASSERT_EQ(mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=1M"), 0)
            << "mount tmpfs: " << std::strerror(errno);
        mounted_ = true;
    }
    void TearDown() override {
        if (mounted_) {
            umount2(mount_.c_str(), MNT_DETACH);
        }
    }
    std::string mount_;
    bool mounted_ = false;
};

TEST_F(DiskFullTest, NoSpaceFailsCleanlyAndKeepsThePreviousPair) {
    write_file(src_ / "a/small", "small");
    auto j = job(mount_, Compression::none);
    auto good = pack(j, settings());
    ASSERT_TRUE(good.ok());
    std::string old_tarball = test::read_file(j.tarball);
    std::string old_torrent = test::read_file(j.torrent);

    write_file(src_ / "a/big", test::mixed_bytes(4 << 20, 2));
    auto r = pack_or_reuse(j, settings(), Rebuild::always, log_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::no_space);
    EXPECT_NE(r.error().message.find("No space left on device"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("write " + j.tarball), std::string::npos) << r.error().message;
    EXPECT_EQ(test::read_file(j.tarball), old_tarball);
    EXPECT_EQ(test::read_file(j.torrent), old_torrent);
    for (const auto& e : std::filesystem::recursive_directory_iterator(mount_)) {
        EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
    }
    // First pack ever on a full disk: nothing at all under the final names.
    std::filesystem::remove_all(mount_ + "/tarballs");
    std::filesystem::remove_all(mount_ + "/torrents");
    ASSERT_FALSE(pack_or_reuse(j, settings(), Rebuild::always, log_).ok());
    for (const auto& e : std::filesystem::recursive_directory_iterator(mount_)) {
        EXPECT_TRUE(e.is_directory()) << e.path();
    }
}

}  // namespace
}  // namespace si
