#include "server/pack/tar_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/reachable_path.hpp"
#include "common/unique_fd.hpp"
#include "server/pack/pack_error.hpp"

namespace si {
namespace {

// libarchive hands the output over in blocks of this size (it copies into a block first).
constexpr int output_block_bytes = 64 << 10;

Error sys_error(const char* what, const std::string& path, int err) {
    return Error{std::string(what) + " " + path + ": " + std::strerror(err), io_error_kind(err)};
}

int open_for_reading(const char* path) {
    // O_NONBLOCK: if the file was replaced by a fifo since the walk, open must not hang (the
    // type check after fstat then reports the change); reads of regular files ignore it.
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    int fd = ::open(path, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM) {
        fd = ::open(path, flags);  // O_NOATIME needs ownership or CAP_FOWNER
    }
    return fd;
}

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           (a.st_mode & S_IFMT) == (b.st_mode & S_IFMT);
}

}  // namespace

TarWriter::TarWriter(Output out, const OwnerNames& names, Logger& log)
    : out_(std::move(out)), names_(names), log_(log) {}

TarWriter::~TarWriter() {
    // Abandoned (an error elsewhere): freeing the writer must not push its last blocks out.
    if (writer_ && !out_error_) {
        out_error_ = std::make_unique<Error>(pack_error("tar writer abandoned"));
    }
}

la_ssize_t TarWriter::write_cb(archive* /*a*/, void* self, const void* buf, size_t len) {
    auto* w = static_cast<TarWriter*>(self);
    if (w->out_error_) {
        return -1;
    }
    Status s = w->out_(std::span<const char>(static_cast<const char*>(buf), len));
    if (!s) {
        w->out_error_ = std::make_unique<Error>(s.error());
        return -1;
    }
    return static_cast<la_ssize_t>(len);
}

Error TarWriter::archive_failure(archive* a, const std::string& what) {
    if (out_error_) {
        return *out_error_;
    }
    const char* msg = archive_error_string(a);
    return pack_error(what + ": " + (msg != nullptr ? msg : "libarchive error"));
}

Status TarWriter::open() {
    buffer_.resize(tar_read_bytes);
    writer_.reset(archive_write_new());
    disk_.reset(archive_read_disk_new());
    resolver_.reset(archive_entry_linkresolver_new());
    if (!writer_ || !disk_ || !resolver_) {
        return pack_error("libarchive: out of memory");
    }
    archive* w = writer_.get();
    // Full pax (not restricted): every entry gets an extended header, which is what keeps the
    // nanoseconds of mtime.
    if (archive_write_set_format_pax(w) != ARCHIVE_OK ||
        archive_write_add_filter_none(w) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w, flush_each_entry_ ? 0 : output_block_bytes) !=
            ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w, 1) != ARCHIVE_OK) {
        return archive_failure(w, "tar writer");
    }
    // xattrs as SCHILY.xattr.* only: what GNU tar reads (it warns about LIBARCHIVE.xattr.*)
    // and what libarchive reads too.
    if (archive_write_set_format_option(w, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK) {
        return archive_failure(w, "tar writer");
    }
    archive_entry_linkresolver_set_strategy(resolver_.get(), archive_format(w));
    // xattrs, ACLs and sparse maps are read; file flags are left out, as GNU tar does (they
    // depend on the server's filesystem, not on the image).
    if (archive_read_disk_set_behavior(disk_.get(), ARCHIVE_READDISK_NO_FFLAGS) != ARCHIVE_OK) {
        return archive_failure(disk_.get(), "disk reader");
    }
    if (archive_write_open2(w, this, nullptr, &TarWriter::write_cb, nullptr, nullptr) !=
        ARCHIVE_OK) {
        return archive_failure(w, "tar writer");
    }
    return Ok{};
}

void TarWriter::make_deterministic(const TreeEntry& entry, archive_entry* e) {
    const struct stat& st = entry.st;
    archive_entry_set_uid(e, st.st_uid);
    archive_entry_set_gid(e, st.st_gid);
    const std::string* user = names_.user(st.st_uid);
    const std::string* group = names_.group(st.st_gid);
    archive_entry_copy_uname(e, user != nullptr ? user->c_str() : nullptr);
    archive_entry_copy_gname(e, group != nullptr ? group->c_str() : nullptr);
    archive_entry_unset_atime(e);
    archive_entry_unset_ctime(e);
    archive_entry_unset_birthtime(e);
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    // Extended attributes in name order: listxattr's order depends on the filesystem.
    std::vector<std::pair<std::string, std::string>> xattrs;
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
    }
    if (xattrs.size() > 1) {
        std::sort(xattrs.begin(), xattrs.end());
        archive_entry_xattr_clear(e);
        for (const auto& [n, v] : xattrs) {
            archive_entry_xattr_add_entry(e, n.c_str(), v.data(), v.size());
        }
    }
}

Status TarWriter::add(const TreeEntry& entry) {
    const struct stat& st = entry.st;
    if (S_ISSOCK(st.st_mode)) {
        log_.warn("socket " + entry.abs_path + " skipped (tar cannot store sockets)");
        ++sockets_skipped_;
        return Ok{};
    }
    // Paths over PATH_MAX are reached through their parent directory (reachable_path.hpp):
    // the file is opened, and libarchive reads links, xattrs and ACLs, by this name.
    auto source = ReachablePath::of(entry.abs_path);
    if (!source) {
        return pack_error("open " + source.error().message);
    }
    int raw_fd = -1;
    if (S_ISREG(st.st_mode)) {
        raw_fd = open_for_reading(source->c_str());
        if (raw_fd < 0) {
            return sys_error("open", entry.abs_path, errno);
        }
    }
    UniqueFd fd(raw_fd);
    if (fd.get() >= 0) {
        struct stat now {};
        if (fstat(fd.get(), &now) != 0) {
            return sys_error("fstat", entry.abs_path, errno);
        }
        if (!same_file(now, st)) {
            return pack_error(entry.abs_path + " changed while packing");
        }
        posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    }

    EntryPtr holder(archive_entry_new());
    if (!holder) {
        return pack_error("libarchive: out of memory");
    }
    archive_entry* e = holder.get();
    archive_entry_copy_pathname(e, entry.path.c_str());
    archive_entry_copy_sourcepath(e, source->c_str());
    struct stat st_copy = st;
    int rc = archive_read_disk_entry_from_file(disk_.get(), e, fd.get(), &st_copy);
    if (rc < ARCHIVE_WARN) {
        return archive_failure(disk_.get(), "read metadata " + entry.abs_path);
    }
    if (rc == ARCHIVE_WARN) {
        const char* msg = archive_error_string(disk_.get());
        log_.warn(entry.abs_path + ": " + (msg != nullptr ? msg : "metadata partly unreadable"));
    }
    make_deterministic(entry, e);

    archive_entry* spare = nullptr;
    archive_entry_linkify(resolver_.get(), &e, &spare);
    EntryPtr spare_holder(spare);  // the pax strategy never defers entries; free if it did
    // Device and inode numbers only matter to the link resolver; they are not the image's.
    archive_entry_set_dev(e, 0);
    archive_entry_set_ino(e, 0);

    if (archive_write_header(writer_.get(), e) < ARCHIVE_WARN) {
        return archive_failure(writer_.get(), "write header " + entry.path);
    }
    ++written_;
    bool has_data =
        S_ISREG(st.st_mode) && archive_entry_hardlink(e) == nullptr && archive_entry_size(e) > 0;
    if (!has_data) {
        return finish_entry(entry.path);
    }
    if (Status s = write_data(entry, fd.get(), e); !s) {
        return s;
    }
    return finish_entry(entry.path);
}

Status TarWriter::finish_entry(const std::string& path) {
    if (flush_each_entry_ && archive_write_finish_entry(writer_.get()) != ARCHIVE_OK) {
        return archive_failure(writer_.get(), "write data " + path);
    }
    return Ok{};
}

Status TarWriter::put(const void* data, std::size_t len, const std::string& path) {
    const char* p = static_cast<const char*>(data);
    while (len > 0) {
        la_ssize_t n = archive_write_data(writer_.get(), p, len);
        if (n <= 0) {
            return archive_failure(writer_.get(), "write data " + path);
        }
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return Ok{};
}

Status TarWriter::write_data(const TreeEntry& entry, int fd, archive_entry* e) {
    const auto size = static_cast<std::int64_t>(entry.st.st_size);
    // Data regions: the sparse map, or the whole file. Holes are handed over as zeros, which the
    // pax writer does not store.
    std::vector<std::pair<std::int64_t, std::int64_t>> regions;
    if (archive_entry_sparse_reset(e) > 0) {
        la_int64_t off = 0;
        la_int64_t len = 0;
        while (archive_entry_sparse_next(e, &off, &len) == ARCHIVE_OK) {
            regions.emplace_back(off, len);
        }
    } else {
        regions.emplace_back(0, size);
    }
    std::int64_t pos = 0;
    auto zeros_to = [&](std::int64_t end) -> Status {
        std::fill(buffer_.begin(), buffer_.end(), 0);
        while (pos < end) {
            auto n = static_cast<std::size_t>(
                std::min<std::int64_t>(end - pos, static_cast<std::int64_t>(buffer_.size())));
            Status s = put(buffer_.data(), n, entry.path);
            if (!s) {
                return s;
            }
            pos += static_cast<std::int64_t>(n);
        }
        return Ok{};
    };
    for (auto [off, len] : regions) {
        off = std::min(off, size);
        len = std::min(len, size - off);
        if (off > pos) {
            Status s = zeros_to(off);
            if (!s) {
                return s;
            }
        }
        std::int64_t end = off + len;
        while (pos < end) {
            auto want = static_cast<std::size_t>(
                std::min<std::int64_t>(end - pos, static_cast<std::int64_t>(buffer_.size())));
            ssize_t n = pread(fd, buffer_.data(), want, pos);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return sys_error("read", entry.abs_path, errno);
            }
            if (n == 0) {
                return pack_error(entry.abs_path + " changed while packing (it shrank)");
            }
            Status s = put(buffer_.data(), static_cast<std::size_t>(n), entry.path);
            if (!s) {
                return s;
            }
            pos += n;
        }
    }
    if (pos < size) {
        return zeros_to(size);
    }
    return Ok{};
}

Status TarWriter::close() {
    if (archive_write_close(writer_.get()) != ARCHIVE_OK) {
        return archive_failure(writer_.get(), "tar writer");
    }
    writer_.reset();
    return Ok{};
}

}  // namespace si
