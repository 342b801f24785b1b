#include "agent/stream_unpack.hpp"
#include "common/tree_manifest.hpp"
#include "temp_dir.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

namespace si {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::TempDir;

int run(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Delivers `tarball` into a feeder in random order within the window from a producer thread
// while stream_unpack reads it, the way the download loop will.
Result<UnpackStats> unpack_bytes(const std::string& tarball, const std::string& root,
                                 int piece_length, unsigned seed,
                                 std::chrono::milliseconds stall = 20s,
                                 KnownContents* known = nullptr) {
    PieceFeeder feeder(static_cast<std::int64_t>(tarball.size()), piece_length, 8);
    std::atomic<bool> stop{false};
    std::thread producer([&] {
        std::mt19937 order(seed);
        int next = 0;
        while (!stop && next < feeder.num_pieces()) {
            const int end = feeder.window_end();
            if (end <= next) {
                std::this_thread::sleep_for(50us);
                continue;
            }
            std::vector<int> batch;
            for (int piece = next; piece < end; ++piece) {
                batch.push_back(piece);
            }
            std::shuffle(batch.begin(), batch.end(), order);
            for (int piece : batch) {
                const auto start = static_cast<std::size_t>(piece) * piece_length;
                const auto size =
                    std::min(tarball.size() - start, static_cast<std::size_t>(piece_length));
                std::shared_ptr<char[]> data(new char[size]);
                std::memcpy(data.get(), tarball.data() + start, size);
                EXPECT_TRUE(feeder.deliver(piece, std::move(data), static_cast<int>(size)));
            }
            next = end;
        }
    });
    auto result = stream_unpack(feeder, UnpackOptions{root, stall, known});
    stop = true;
    producer.join();
    if (result) {
        EXPECT_EQ(result->bytes_in, feeder.consumed());
    }
    return result;
}

// The root's manifest read from disk, and made with the digests in `known`; expects the two
// equal line by line.
std::pair<TreeManifest, TreeManifest> manifests_of(const std::string& root,
                                                   const KnownContents& known) {
    auto read_back = build_tree_manifest(root, {});
    ManifestOptions with_known;
    with_known.known = &known;
    auto from_known = build_tree_manifest(root, with_known);
    EXPECT_TRUE(read_back && from_known);
    if (!read_back || !from_known) {
        return {};
    }
    EXPECT_EQ(first_manifest_difference(read_back->lines, from_known->lines), std::nullopt);
    EXPECT_EQ(from_known->lines, read_back->lines);
    return {*read_back, *from_known};
}

// A tarball written with libarchive, for entries no tar program would make.
struct Item {
    std::string name;
    char type;         // 'f' file, 'd' directory, 'l' symlink, 'h' hardlink
    std::string text;  // file data, or the link's target
};

enum class Filter { none, gzip, zstd };

std::string make_tar(const std::vector<Item>& items, Filter filter = Filter::none) {
    std::string out;
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (filter == Filter::gzip) {
        archive_write_add_filter_gzip(a);
    } else if (filter == Filter::zstd) {
        archive_write_add_filter_zstd(a);
    }
    archive_write_set_bytes_in_last_block(a, 1);  // no padding: every byte is read
    archive_write_open(
        a, &out, nullptr,
        [](archive*, void* client, const void* buf, std::size_t n) -> la_ssize_t {
            static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
            return static_cast<la_ssize_t>(n);
        },
        nullptr);
    for (const auto& item : items) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, item.name.c_str());
        archive_entry_set_mtime(e, 1600000000, 0);
        switch (item.type) {
            case 'd':
                archive_entry_set_filetype(e, AE_IFDIR);
                archive_entry_set_perm(e, 0755);
                break;
            case 'l':
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_perm(e, 0777);
                archive_entry_set_symlink(e, item.text.c_str());
                break;
            case 'h':
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_hardlink(e, item.text.c_str());
                break;
            default:
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, static_cast<la_int64_t>(item.text.size()));
        }
        EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
        if (item.type == 'f' && !item.text.empty()) {
            archive_write_data(a, item.text.data(), item.text.size());
        }
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::map<std::string, std::string> xattrs_of(const std::string& path) {
    std::map<std::string, std::string> out;
    std::string names(65536, '\0');
    const auto n = ::llistxattr(path.c_str(), names.data(), names.size());
    if (n <= 0) {
        return out;
    }
    names.resize(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < names.size(); i += std::strlen(names.c_str() + i) + 1) {
        const std::string name = names.c_str() + i;
        std::string value(65536, '\0');
        const auto m = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
        value.resize(m < 0 ? 0 : static_cast<std::size_t>(m));
        out[name] = value;
    }
    return out;
}

// Every item under `src` must be under `dst` the same: type, mode, owner, mtime, size,
// content, link target, device number, xattrs (ACLs included), and hardlinks sharing inodes.
void expect_same_tree(const std::string& src, const std::string& dst) {
    std::vector<std::string> rels{""};
    for (const auto& e : fs::recursive_directory_iterator(src)) {
        rels.push_back(fs::relative(e.path(), src).string());
    }
    std::map<ino_t, ino_t> inode_map;  // source inode -> extracted inode
    for (const auto& rel : rels) {
        SCOPED_TRACE("item ./" + rel);
        const std::string a = rel.empty() ? src : src + "/" + rel;
        const std::string b = rel.empty() ? dst : dst + "/" + rel;
        struct stat sa {
        }, sb{};
        ASSERT_EQ(::lstat(a.c_str(), &sa), 0);
        ASSERT_EQ(::lstat(b.c_str(), &sb), 0) << "missing";
        EXPECT_EQ(sa.st_mode, sb.st_mode);
        EXPECT_EQ(sa.st_uid, sb.st_uid);
        EXPECT_EQ(sa.st_gid, sb.st_gid);
        EXPECT_EQ(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
        EXPECT_EQ(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
        EXPECT_EQ(sa.st_nlink, sb.st_nlink);
        EXPECT_EQ(xattrs_of(a), xattrs_of(b));
        if (S_ISREG(sa.st_mode)) {
            EXPECT_EQ(sa.st_size, sb.st_size);
            EXPECT_TRUE(read_file(a) == read_file(b)) << "content differs";
            if (sa.st_nlink > 1) {
                auto [it, fresh] = inode_map.emplace(sa.st_ino, sb.st_ino);
                EXPECT_EQ(it->second, sb.st_ino) << "hardlink not shared";
            }
        } else if (S_ISLNK(sa.st_mode)) {
            EXPECT_EQ(fs::read_symlink(a), fs::read_symlink(b));
        } else if (S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode)) {
            EXPECT_EQ(sa.st_rdev, sb.st_rdev);
        }
    }
}

const char* const source_tree_script = R"(set -e
mkdir -p a deep/er/est empty_dir private
printf 'hello\n' > a/hello
chown 1234:5678 a/hello
ln a/hello hard1
ln a/hello deep/hard2
printf 'x' > suid
chown 1234:5678 suid
chmod 04755 suid
printf 'g' > sgid
chmod 02711 sgid
ln -s a/hello link
ln -s /nonexistent/target dangling
ln -s ../a deep/uplink
mknod chr c 1 3
mknod blk b 7 0
mkfifo fifo
truncate -s 64M sparse
printf 'head' | dd of=sparse conv=notrunc status=none
printf 'data' | dd of=sparse bs=1 seek=33554432 conv=notrunc status=none
printf 'user xattr' > xfile
setfattr -n user.x -v hello xfile
printf '#!/bin/true\n' > cap
chmod 0755 cap
setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= cap
printf 'acl' > aclfile
setfacl -m u:1234:rx aclfile
chown 1234:5678 private
chmod 0750 private
setfacl -m u:1234:rx private
setfacl -d -m u:1234:rx private
printf 'inside' > private/file
head -c 300000 /dev/urandom > deep/er/est/random
: > emptyfile
printf 'name' > 'caf\303\251 with space'
chmod 0700 deep/er
chown -h 1234:5678 link
find . -exec touch -h -d '2020-01-02 03:04:05.123456789' {} +
)";

class StreamUnpack : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "needs root (owners, device nodes, security.capability, mounts)";
        }
        ASSERT_FALSE(tmp_.path().empty());
        src_ = tmp_.path() + "/src";
        root_ = tmp_.path() + "/root";
        sentinel_ = tmp_.path() + "/sentinel";
        for (const auto& dir : {src_, root_, sentinel_}) {
            ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
        }
    }

    void TearDown() override {
        if (!mounted_.empty()) {
            ::umount2(mounted_.c_str(), MNT_DETACH);
        }
        if (!root_.empty()) {
            EXPECT_TRUE(fs::is_empty(sentinel_)) << "something was written outside the root";
        }
    }

    void make_source_tree() {
        const std::string script = tmp_.path() + "/make_tree.sh";
        std::ofstream(script) << source_tree_script;
        ASSERT_EQ(run("cd '" + src_ + "' && sh '" + script + "'"), 0);
    }

    TempDir tmp_;
    std::string src_, root_, sentinel_, mounted_;
};

// --- the full round trip: tar programs, every compression, random piece order ----------------

struct Packing {
    const char* name;
    const char* command;  // %s: tarball, source dir
};

// Test lists show the packer's name, not the struct's raw bytes.
void PrintTo(const Packing& p, std::ostream* os) {
    *os << p.name;
}

class StreamUnpackRoundTrip : public StreamUnpack, public ::testing::WithParamInterface<Packing> {};

TEST_P(StreamUnpackRoundTrip, RestoresEverySpecialFileExactly) {
    make_source_tree();
    const std::string tarball = tmp_.path() + "/image.tar";
    char command[1024];
    std::snprintf(command, sizeof command, GetParam().command, tarball.c_str(), src_.c_str());
    ASSERT_EQ(run(command), 0) << command;
    const std::string bytes = read_file(tarball);
    ASSERT_GT(bytes.size(), 0U);

    for (int piece_length : {4093, 65536}) {
        SCOPED_TRACE("piece length " + std::to_string(piece_length));
        fs::remove_all(root_);
        ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
        KnownContents known;
        auto stats = unpack_bytes(bytes, root_, piece_length, 1234, 20s, &known);
        ASSERT_TRUE(stats) << stats.error().message;
        // The reader stops at the end-of-archive blocks: the record padding may stay unread.
        EXPECT_GT(stats->bytes_in, 0);
        EXPECT_LE(stats->bytes_in, static_cast<std::int64_t>(bytes.size()));
        EXPECT_GT(stats->entries, 25);
        EXPECT_GE(stats->bytes_out, 300000 + 8);
        expect_same_tree(src_, root_);

        struct stat sparse {};
        ASSERT_EQ(::stat((root_ + "/sparse").c_str(), &sparse), 0);
        EXPECT_EQ(sparse.st_size, 64 << 20);
        EXPECT_LT(sparse.st_blocks * 512, 1 << 20) << "holes were filled";

        // The digests taken while writing are the ones a read of the files gives, and with
        // them the manifest reads no file (holes, hard links and the 64 MiB sparse file too).
        const auto [read_back, from_unpack] = manifests_of(root_, known);
        EXPECT_EQ(from_unpack.content_bytes, 0);
        EXPECT_EQ(from_unpack.known_files, read_back.files);
        EXPECT_EQ(read_back.files, 11);  // the hard-linked a/hello once
    }
}

INSTANTIATE_TEST_SUITE_P(
    Tools, StreamUnpackRoundTrip,
    ::testing::Values(
        Packing{"gnu_plain",
                "tar --create --file=%s --format=posix --xattrs --xattrs-include='*' --acls "
                "--sparse --numeric-owner -C %s ."},
        Packing{"gnu_gzip",
                "tar --create --gzip --file=%s --format=posix --xattrs --xattrs-include='*' "
                "--acls --sparse --numeric-owner -C %s ."},
        Packing{"gnu_zstd",
                "tar --create --zstd --file=%s --format=posix --xattrs --xattrs-include='*' "
                "--acls --sparse --numeric-owner -C %s ."},
        Packing{"bsd_plain", "bsdtar --create --file %s --format pax --xattrs --acls -C %s ."},
        Packing{"bsd_gzip", "bsdtar --create -z --file %s --format pax --xattrs --acls -C %s ."},
        Packing{"bsd_zstd",
                "bsdtar --create --zstd --file %s --format pax --xattrs --acls -C %s ."}),
    [](const auto& info) { return std::string(info.param.name); });

// libtorrent's every-chunk-size treatment for the parser: whatever the piece length (1..69) and
// the order pieces arrive in, the same tree comes out.
TEST_F(StreamUnpack, EveryPieceLengthGivesTheSameTree) {
    std::string big(5000, '\0');
    std::mt19937 rng(3);
    for (auto& c : big) {
        c = static_cast<char>(rng());
    }
    const std::vector<Item> items{{"./d", 'd', ""},      {"./d/a", 'f', "alpha"},
                                  {"./d/big", 'f', big}, {"./d/l", 'l', "a"},
                                  {"./d/h", 'h', "d/a"}, {"./e", 'f', ""}};
    for (auto filter : {Filter::none, Filter::gzip, Filter::zstd}) {
        const std::string tarball = make_tar(items, filter);
        for (int piece_length = 1; piece_length <= 69; ++piece_length) {
            SCOPED_TRACE("filter " + std::to_string(static_cast<int>(filter)) + ", piece length " +
                         std::to_string(piece_length));
            fs::remove_all(root_);
            ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
            auto result =
                unpack_bytes(tarball, root_, piece_length, static_cast<unsigned>(piece_length));
            ASSERT_TRUE(result) << result.error().message;
            EXPECT_EQ(result->entries, 6);
            EXPECT_EQ(result->bytes_out, 5005);
            EXPECT_EQ(result->bytes_in, static_cast<std::int64_t>(tarball.size()));
            EXPECT_EQ(read_file(root_ + "/d/a"), "alpha");
            EXPECT_TRUE(read_file(root_ + "/d/big") == big);
            EXPECT_EQ(fs::read_symlink(root_ + "/d/l"), "a");
            EXPECT_TRUE(fs::equivalent(root_ + "/d/h", root_ + "/d/a"));
            EXPECT_TRUE(fs::is_regular_file(root_ + "/e"));
        }
    }
}

// Zeros a file holds as data (no sparse map in the tarball) are written as data, as on the
// golden client: only the sparse map's holes become holes.
TEST_F(StreamUnpack, ZerosStoredAsDataStayData) {
    const std::string zeros(1 << 20, '\0');
    ASSERT_TRUE(unpack_bytes(make_tar({{"./zeros", 'f', zeros}}), root_, 65536, 1));
    struct stat st {};
    ASSERT_EQ(::stat((root_ + "/zeros").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 1 << 20);
    EXPECT_GE(st.st_blocks * 512, 1 << 20) << "zeros became a hole";
    EXPECT_TRUE(read_file(root_ + "/zeros") == zeros);
}

// The digests remembered while unpacking stay true after an override rewrites a file with the
// same size and mtime, and a file changed afterwards is read again, not taken from memory.
TEST_F(StreamUnpack, KnownDigestsFollowOverridesAndLaterChanges) {
    KnownContents known;
    const auto image = make_tar({{"./etc", 'd', ""},
                                 {"./etc/a", 'f', "alpha"},
                                 {"./etc/b", 'f', "bravo"},
                                 {"./etc/h", 'h', "etc/a"},
                                 {"./etc/c", 'f', "charlie"}});
    ASSERT_TRUE(unpack_bytes(image, root_, 512, 1, 20s, &known));
    EXPECT_EQ(known.files(), 3U);
    // An override, unpacked over the image as the agent does: same size, same mtime.
    ASSERT_TRUE(unpack_bytes(make_tar({{"./etc/a", 'f', "ALPHA"}}), root_, 512, 2, 20s, &known));

    // A change through the filesystem after the unpack, size and mtime put back; the ctime
    // moves only when the clock has ticked since the unpack, so wait for a tick first.
    std::this_thread::sleep_for(50ms);
    struct stat was {};
    ASSERT_EQ(::lstat((root_ + "/etc/b").c_str(), &was), 0);
    std::ofstream(root_ + "/etc/b", std::ios::binary | std::ios::trunc) << "BRAVO";
    const timespec times[2] = {was.st_atim, was.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, (root_ + "/etc/b").c_str(), times, 0), 0);
    struct stat now {};
    ASSERT_EQ(::lstat((root_ + "/etc/b").c_str(), &now), 0);
    ASSERT_NE(now.st_ctim.tv_nsec + now.st_ctim.tv_sec * 1'000'000'000L,
              was.st_ctim.tv_nsec + was.st_ctim.tv_sec * 1'000'000'000L);

    const auto [read_back, from_unpack] = manifests_of(root_, known);
    // /etc/b is read; /etc/c and the override's /etc/a are not.
    EXPECT_GE(from_unpack.content_bytes, 5);
    EXPECT_GE(from_unpack.known_files, 2);
    EXPECT_EQ(read_file(root_ + "/etc/a"), "ALPHA");
    EXPECT_EQ(read_file(root_ + "/etc/h"), "alpha");
}

// --- malicious tarballs ------------------------------------------------------------------------

void expect_refused(const Result<UnpackStats>& result, const std::string& name) {
    ASSERT_FALSE(result) << name << " was accepted";
    EXPECT_EQ(result.error().message, "unpack: " + name + ": refused: path escapes the root");
    EXPECT_EQ(result.error().kind, ErrorKind::unpack);
}

TEST_F(StreamUnpack, RefusesDotDot) {
    expect_refused(unpack_bytes(make_tar({{"../sentinel/evil", 'f', "x"}}), root_, 512, 1),
                   "../sentinel/evil");
    expect_refused(unpack_bytes(make_tar({{"./a/../../sentinel/x", 'f', "x"}}), root_, 512, 1),
                   "./a/../../sentinel/x");
}

TEST_F(StreamUnpack, RefusesAbsoluteAndEmptyNames) {
    const std::string abs = sentinel_ + "/abs";
    expect_refused(unpack_bytes(make_tar({{abs, 'f', "x"}}), root_, 512, 1), abs);
    EXPECT_FALSE(exists(abs));
}

TEST_F(StreamUnpack, SymlinkToSlashIsTheRoot) {
    // ./lnk -> / and then ./lnk/etc/x: a chroot puts it at <root>/etc/x, never in /etc.
    const std::string probe = "si_unpack_probe_" + std::to_string(::getpid());
    ASSERT_FALSE(exists("/etc/" + probe));
    auto result = unpack_bytes(
        make_tar({{"./lnk", 'l', "/"}, {"./lnk/etc/" + probe, 'f', "contained"}}), root_, 512, 2);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_FALSE(exists("/etc/" + probe));
    EXPECT_EQ(read_file(root_ + "/etc/" + probe), "contained");
    EXPECT_TRUE(fs::is_symlink(root_ + "/lnk"));
}

TEST_F(StreamUnpack, DotDotInALinkStopsAtTheRoot) {
    auto result = unpack_bytes(make_tar({{"./d", 'd', ""},
                                         {"./d/up", 'l', "../../../.."},
                                         {"./d/up/sentinel/x", 'f', "contained"},
                                         {"./rel", 'l', "../sentinel"},
                                         {"./rel/y", 'f', "contained too"}}),
                               root_, 512, 3);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(read_file(root_ + "/sentinel/x"), "contained");
    EXPECT_EQ(read_file(root_ + "/sentinel/y"), "contained too");
}

TEST_F(StreamUnpack, HardlinkTargetsStayInside) {
    expect_refused(unpack_bytes(make_tar({{"./h", 'h', "../sentinel/target"}}), root_, 512, 4),
                   "./h");
    expect_refused(unpack_bytes(make_tar({{"./h", 'h', "/etc/passwd"}}), root_, 512, 4), "./h");

    struct stat before {};
    ASSERT_EQ(::stat("/etc/passwd", &before), 0);
    // Through a link to "/", the target is <root>/etc/passwd, which is not there.
    auto result = unpack_bytes(make_tar({{"./lnk", 'l', "/"}, {"./h", 'h', "lnk/etc/passwd"}}),
                               root_, 512, 4);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message.rfind("unpack: ./h: ", 0), 0U) << result.error().message;
    struct stat after {};
    ASSERT_EQ(::stat("/etc/passwd", &after), 0);
    EXPECT_EQ(before.st_nlink, after.st_nlink);
    EXPECT_FALSE(exists(root_ + "/h"));
}

TEST_F(StreamUnpack, ExistingSymlinkAtTheLastComponentIsReplaced) {
    const std::string outside = sentinel_ + "/victim";
    auto result = unpack_bytes(make_tar({{"./f", 'l', outside},
                                         {"./f", 'f', "new"},
                                         {"./g", 'l', sentinel_},
                                         {"./g", 'd', ""},
                                         {"./g/inside", 'f', "in"}}),
                               root_, 512, 5);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_FALSE(fs::is_symlink(root_ + "/f"));
    EXPECT_EQ(read_file(root_ + "/f"), "new");
    // ./g -> <sentinel> means <root><sentinel>, not there: the link gives way to a directory.
    EXPECT_TRUE(fs::is_directory(fs::symlink_status(root_ + "/g")));
    EXPECT_EQ(read_file(root_ + "/g/inside"), "in");
}

TEST_F(StreamUnpack, SymlinkLoopIsAnError) {
    auto result = unpack_bytes(
        make_tar({{"./a", 'l', "b"}, {"./b", 'l', "a"}, {"./a/x", 'f', "x"}}), root_, 512, 6);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, "unpack: ./a/x: Too many levels of symbolic links");
    EXPECT_EQ(result.error().kind, ErrorKind::unpack);
}

// --- overlays ----------------------------------------------------------------------------------

TEST_F(StreamUnpack, MergedUsrOverrideLandsUnderUsr) {
    auto image = unpack_bytes(make_tar({{"./usr", 'd', ""},
                                        {"./usr/lib", 'd', ""},
                                        {"./usr/lib/libc.so", 'f', "libc"},
                                        {"./usr/lib/conf", 'f', "old"},
                                        {"./lib", 'l', "usr/lib"}}),
                              root_, 512, 7);
    ASSERT_TRUE(image) << image.error().message;
    auto override = unpack_bytes(make_tar({{"./lib", 'd', ""},
                                           {"./lib/modules", 'd', ""},
                                           {"./lib/modules/x", 'f', "module"},
                                           {"./lib/conf", 'f', "new"}}),
                                 root_, 512, 8);
    ASSERT_TRUE(override) << override.error().message;
    EXPECT_TRUE(fs::is_symlink(root_ + "/lib"));
    EXPECT_EQ(fs::read_symlink(root_ + "/lib"), "usr/lib");
    EXPECT_EQ(read_file(root_ + "/usr/lib/modules/x"), "module");
    EXPECT_EQ(read_file(root_ + "/usr/lib/conf"), "new");      // replaced
    EXPECT_EQ(read_file(root_ + "/usr/lib/libc.so"), "libc");  // nothing deleted
}

// --- failures ----------------------------------------------------------------------------------

TEST_F(StreamUnpack, DiskFullNamesTheEntryAndTheCause) {
    const std::string small = tmp_.path() + "/small";
    ASSERT_EQ(::mkdir(small.c_str(), 0755), 0);
    ASSERT_EQ(::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1M"), 0) << std::strerror(errno);
    mounted_ = small;
    std::string big(4 << 20, '\0');
    std::mt19937 rng(9);
    for (auto& c : big) {
        c = static_cast<char>(rng());
    }
    auto result =
        unpack_bytes(make_tar({{"./usr", 'd', ""}, {"./usr/big", 'f', big}}), small, 65536, 9);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, "unpack: ./usr/big: write: No space left on device");
    EXPECT_EQ(result.error().kind, ErrorKind::no_space);
    // Not left behind with its declared size and time, zeros where the data never came.
    EXPECT_FALSE(exists(small + "/usr/big"));
}

// This process's open file descriptors (/proc/self/fd, less the one that lists them).
int open_descriptors() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n - 1;
}

// The first pieces of a tarball whose second file is large arrive, then the download stops
// (`stop` is handed the feeder): the file being written must not be left looking finished.
void expect_no_finished_partial_file(const std::string& root,
                                     const std::function<void(PieceFeeder&)>& stop) {
    std::string big(300000, '\0');
    std::mt19937 rng(21);
    for (auto& c : big) {
        c = static_cast<char>(rng());
    }
    const std::string tarball = make_tar({{"./small", 'f', "done"}, {"./big", 'f', big}});
    constexpr int piece = 4096;
    PieceFeeder feeder(static_cast<std::int64_t>(tarball.size()), piece, 16);
    for (int i = 0; i < 10; ++i) {  // 40 KiB: "small" whole, "big" begun
        std::shared_ptr<char[]> data(new char[piece]);
        std::memcpy(data.get(), tarball.data() + static_cast<std::size_t>(i) * piece, piece);
        ASSERT_TRUE(feeder.deliver(i, std::move(data), piece));
    }
    stop(feeder);
    const int fds_before = open_descriptors();
    auto result = stream_unpack(feeder, UnpackOptions{root, 200ms});
    ASSERT_FALSE(result);
    EXPECT_EQ(read_file(root + "/small"), "done");  // complete files stay
    struct stat st {};
    if (::lstat((root + "/big").c_str(), &st) == 0) {
        ADD_FAILURE() << "big left behind: " << st.st_size << " bytes, mtime " << st.st_mtime;
    }
    // Nothing under the root is held open: the agent can unmount it, and a restarted install
    // format it again.
    EXPECT_EQ(open_descriptors(), fds_before);
}

TEST_F(StreamUnpack, DownloadFailureMidFileLeavesNoFinishedLookingFile) {
    expect_no_finished_partial_file(root_, [](PieceFeeder& f) {
        f.fail(Error{"download: staging full", ErrorKind::no_space});
    });
}

TEST_F(StreamUnpack, StallMidFileLeavesNoFinishedLookingFile) {
    expect_no_finished_partial_file(root_, [](PieceFeeder&) {});
}

TEST_F(StreamUnpack, DownloadFailureIsHandedUpUnchanged) {
    const std::string tarball = make_tar({{"./a", 'f', std::string(100000, 'a')}});
    PieceFeeder feeder(static_cast<std::int64_t>(tarball.size()), 4096, 4);
    std::shared_ptr<char[]> first(new char[4096]);
    std::memcpy(first.get(), tarball.data(), 4096);
    ASSERT_TRUE(feeder.deliver(0, std::move(first), 4096));
    feeder.fail(Error{"download: no peers for 60 s", ErrorKind::stalled});
    auto result = stream_unpack(feeder, UnpackOptions{root_, 10s});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, "download: no peers for 60 s");
    EXPECT_EQ(result.error().kind, ErrorKind::stalled);
}

TEST_F(StreamUnpack, StallTimesOut) {
    PieceFeeder feeder(100000, 4096, 4);
    auto result = stream_unpack(feeder, UnpackOptions{root_, 50ms});
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("no data for 0.05 s"), std::string::npos)
        << result.error().message;
}

TEST_F(StreamUnpack, TruncatedTarballIsAnError) {
    std::string tarball = make_tar({{"./a", 'f', std::string(100000, 'a')}});
    tarball.resize(50000);
    auto result = unpack_bytes(tarball, root_, 4096, 10);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message.rfind("unpack: ./a: read: ", 0), 0U) << result.error().message;
}

TEST_F(StreamUnpack, EmptyInputIsAnError) {
    auto result = unpack_bytes("", root_, 4096, 11);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, ErrorKind::unpack);
}

TEST_F(StreamUnpack, RootWithDotDotAndTrailingSlashWorks) {
    // write_disk refuses any ".." in a path: the root is made canonical first.
    const std::string root = src_ + "/../root/";
    auto result = unpack_bytes(make_tar({{"./d", 'd', ""}, {"./d/f", 'f', "x"}}), root, 512, 12);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(read_file(root_ + "/d/f"), "x");
    EXPECT_EQ(result->entries, 2);
}

TEST_F(StreamUnpack, MissingRootIsAnError) {
    PieceFeeder feeder(0, 4096, 4);
    auto result = stream_unpack(feeder, UnpackOptions{root_ + "/nope", 1s});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, "unpack: " + root_ + "/nope: No such file or directory");
}

}  // namespace
}  // namespace si
