#include "agent/stream_unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chroot_paths.hpp"
#include "common/sha256.hpp"

namespace si {
namespace {

// What write_disk restores. Owners are numeric on purpose: the agent is static and has no NSS.
// A sparse file's holes come back from the tarball's sparse map (the packer stores one, as GNU
// tar and bsdtar do): write_disk seeks over them. ARCHIVE_EXTRACT_SPARSE is left out on
// purpose: it makes holes of zeros that the file held as data, and to find them it writes
// every file in 4 KiB write()s (12 times the system calls for a tarball of /usr/lib).
constexpr int extract_flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                              ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |
                              ARCHIVE_EXTRACT_SECURE_NODOTDOT;

struct ReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ReadFree>;
using WriteArchive = std::unique_ptr<archive, WriteFree>;

// libarchive's read callback pulls the tarball from the feeder through this.
struct Source {
    PieceFeeder& feeder;
    std::chrono::milliseconds timeout;
    std::optional<Error> error;  // the feeder's own error, handed up unchanged
    std::int64_t bytes = 0;
};

la_ssize_t read_source(archive* a, void* client, const void** buffer) {
    auto& source = *static_cast<Source*>(client);
    auto bytes = source.feeder.next(source.timeout);
    if (!bytes) {
        source.error = bytes.error();
        archive_set_error(a, EIO, "%s", bytes.error().message.c_str());
        return ARCHIVE_FATAL;
    }
    *buffer = bytes->data();
    source.bytes += static_cast<std::int64_t>(bytes->size());
    return static_cast<la_ssize_t>(bytes->size());
}

Error unpack_error(std::string_view name, std::string_view cause,
                   ErrorKind kind = ErrorKind::unpack) {
    return Error{"unpack: " + std::string(name) + ": " + std::string(cause), kind};
}

Error refused(std::string_view name) {
    return unpack_error(name, "refused: path escapes the root");
}

// The cause of libarchive's last error: the system's words when it carries an errno.
std::string archive_cause(archive* a) {
    const int err = archive_errno(a);
    const char* text = archive_error_string(a);
    if (err > 0) {
        return std::strerror(err);
    }
    return text != nullptr ? text : "unknown error";
}

// A failed write to the root: "no room" when the filesystem is full, else an unpack error.
Error write_error(std::string_view name, std::string_view step, archive* out) {
    const int err = archive_errno(out);
    return unpack_error(
        name, std::string(step) + ": " + archive_cause(out),
        io_error_kind(err) == ErrorKind::no_space ? ErrorKind::no_space : ErrorKind::unpack);
}

class Extractor {
  public:
    Extractor(std::string root, archive* in, archive* out, Source& source, KnownContents* known)
        : paths_(std::move(root)), in_(in), out_(out), source_(source), known_(known) {}

    // Extracts every entry; the first failure ends it.
    Status run(UnpackStats& stats) {
        for (;;) {
            archive_entry* entry = nullptr;
            const int r = archive_read_next_header(in_, &entry);
            if (r == ARCHIVE_EOF) {
                stats.archive_end = true;
                return Ok{};
            }
            if (r < ARCHIVE_WARN) {
                return read_error(last_name_.empty() ? "tarball" : "after " + last_name_);
            }
            const char* name = archive_entry_pathname(entry);
            if (name == nullptr) {
                name = archive_entry_pathname_utf8(entry);
            }
            last_name_ = name != nullptr ? name : "";
            auto done = extract(entry, stats);
            if (!done) {
                return done;
            }
            ++stats.entries;
        }
    }

    // After archive_write_close(): the times of directories that were there before.
    Status restore_existing_dir_times() const {
        for (auto it = existing_dirs_.rbegin(); it != existing_dirs_.rend(); ++it) {
            // O_NOFOLLOW: a later entry may have put a symlink there.
            const int fd =
                ::open(it->path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) {
                    continue;  // replaced by a later entry: its times are that entry's
                }
                return unpack_error(it->name,
                                    std::string("restore times: ") + std::strerror(errno));
            }
            const timespec times[2] = {{0, UTIME_OMIT}, it->mtime};
            const int r = ::futimens(fd, times);
            const int err = errno;
            ::close(fd);
            if (r != 0) {
                return unpack_error(it->name, std::string("restore times: ") + std::strerror(err));
            }
        }
        return Ok{};
    }

    // After a failure: removes a regular file whose data stopped short, then has libarchive
    // finish its entry, which closes the file's descriptor (an open descriptor keeps the root's
    // filesystem from being unmounted, and a restarted install from formatting it again): the
    // declared size, mode and mtime, zeros where the data never came, go to a file no one sees.
    // A file that cannot be removed is not finished, so that no size-and-mtime check takes it
    // for complete. Then marks the write archive failed, so that freeing it finishes nothing
    // more. Returns the path removed, "" when none.
    std::string abandon_open_file() {
        std::string removed;
        if (!open_file_.empty() && ::unlink(open_file_.c_str()) == 0) {
            removed = std::move(open_file_);
            (void)archive_write_finish_entry(out_);
        }
        archive_write_fail(out_);
        open_file_.clear();
        return removed;
    }

  private:
    Status extract(archive_entry* entry, UnpackStats& stats) {
        const std::string& name = last_name_;
        const auto parts = safe_components(name);
        if (!parts) {
            return refused(name.empty() ? "\"\"" : name);
        }
        const bool is_dir = archive_entry_filetype(entry) == AE_IFDIR;
        std::string rel;
        if (parts->empty()) {
            if (!is_dir) {
                return refused(name);
            }
        } else {
            auto resolved = paths_.resolve_parent(*parts);
            if (resolved.second != 0) {
                return unpack_error(name, std::strerror(resolved.second));
            }
            rel = std::move(resolved.first);
        }
        const auto [path, usable_error] = paths_.usable(paths_.full(rel));
        if (usable_error != 0) {
            return unpack_error(name, std::strerror(usable_error));
        }
        struct stat st {};
        // The root may be given as a symlink; below it the last component is never followed.
        bool present = (rel.empty() ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) == 0;
        if (present && S_ISLNK(st.st_mode)) {
            // A symlink there is replaced, as tar does, except one to a directory met by a
            // directory entry (merged /usr: ./lib -> usr/lib stays, ./lib/x goes to usr/lib/x).
            auto skip = replace_symlink(name, rel, is_dir);
            if (!skip) {
                return Status(skip.error());
            }
            if (*skip) {
                return Ok{};
            }
            present = false;
        }
        if (is_dir && present && S_ISDIR(st.st_mode) && archive_entry_mtime_is_set(entry)) {
            // write_disk defers the times of the directories it makes, not of those already
            // there (the root, an override's /etc): files written into them later would leave
            // them with the time of extraction.
            existing_dirs_.push_back(
                {name, path, {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}});
        }
        archive_entry_set_pathname(entry, path.c_str());

        if (const char* link = archive_entry_hardlink(entry); link != nullptr) {
            const auto target = safe_components(link);
            if (!target || target->empty()) {
                return refused(name);
            }
            auto resolved = paths_.resolve_parent(*target);
            if (resolved.second != 0) {
                return unpack_error(name,
                                    std::string("link target: ") + std::strerror(resolved.second));
            }
            const auto [target_path, target_error] = paths_.usable(paths_.full(resolved.first));
            if (target_error != 0) {
                return unpack_error(name,
                                    std::string("link target: ") + std::strerror(target_error));
            }
            archive_entry_set_hardlink(entry, target_path.c_str());
            paths_.forget();  // the target may be a symlink
            // A link with data of its own rewrites the target: its digest is not carried over.
            linked_before_ = known_ != nullptr && archive_entry_size(entry) == 0 &&
                             ::lstat(target_path.c_str(), &link_target_) == 0;
        } else if (archive_entry_filetype(entry) == AE_IFLNK) {
            paths_.forget();
        }

        const bool hardlink = archive_entry_hardlink(entry) != nullptr;
        if (!hardlink) {
            linked_before_ = false;
        }
        if (archive_write_header(out_, entry) != ARCHIVE_OK) {
            return write_error(name, "create", out_);
        }
        // The digest of a regular file's bytes as they go to disk (options.known): holes
        // count as zeros, as a read of the file gives them.
        std::optional<Sha256> digest;
        std::int64_t digested = 0;
        if (known_ != nullptr && !hardlink && archive_entry_filetype(entry) == AE_IFREG) {
            digest.emplace();
        }
        // Until its last byte is written, the file must not be finished by anyone: see
        // abandon_open_file().
        if (archive_entry_filetype(entry) == AE_IFREG) {
            open_file_ = path;
        }
        if (archive_entry_size(entry) > 0) {
            for (;;) {
                const void* block = nullptr;
                std::size_t size = 0;
                la_int64_t offset = 0;
                const int r = archive_read_data_block(in_, &block, &size, &offset);
                if (r == ARCHIVE_EOF) {
                    break;
                }
                if (r < ARCHIVE_WARN) {
                    return read_error(name);
                }
                if (archive_write_data_block(out_, block, size, offset) != ARCHIVE_OK) {
                    return write_error(name, "write", out_);
                }
                stats.bytes_out += static_cast<std::int64_t>(size);
                if (digest && offset < digested) {
                    digest.reset();  // blocks out of order: the record reads the file back
                } else if (digest) {
                    digest->update_zeros(offset - digested);
                    digest->update(block, size);
                    digested = offset + static_cast<std::int64_t>(size);
                }
            }
        }
        if (digest && archive_entry_size(entry) > digested) {
            digest->update_zeros(archive_entry_size(entry) - digested);
        }
        open_file_.clear();  // every byte is there; a metadata failure below leaves it as it is
        if (archive_write_finish_entry(out_) != ARCHIVE_OK) {
            const char* what = archive_error_string(out_);
            return unpack_error(name, "restore metadata: " + archive_cause(out_) +
                                          (what != nullptr && archive_errno(out_) > 0
                                               ? std::string(" (") + what + ")"
                                               : std::string()));
        }
        remember_content(path, digest, hardlink);
        return Ok{};
    }

    // After an entry is finished: its digest goes to known_ under the file's identity as it is
    // now; for a hard link, the file it links to keeps its digest under its new ctime.
    void remember_content(const std::string& path, std::optional<Sha256>& digest, bool hardlink) {
        struct stat st {};
        if (known_ == nullptr || (!digest && !(hardlink && linked_before_)) ||
            ::lstat(path.c_str(), &st) != 0) {
            return;
        }
        if (digest) {
            known_->remember(st, digest->final_hex());
        } else {
            known_->relinked(link_target_, st);
        }
    }

    // `rel` is a symlink: true when the entry is to be skipped (a directory entry over a
    // link to a directory), else the link is removed. Fails when it cannot be removed.
    Result<bool> replace_symlink(const std::string& name, const std::string& rel, bool is_dir) {
        const auto [path, usable_error] = paths_.usable(paths_.full(rel));
        if (usable_error != 0) {
            return unpack_error(name, std::strerror(usable_error));
        }
        if (is_dir) {
            const auto parts = safe_components(rel);
            if (parts) {
                const auto target = paths_.resolve(*parts, true);
                struct stat target_st {};
                if (target.second == 0 &&
                    ::lstat(paths_.usable(paths_.full(target.first)).first.c_str(), &target_st) ==
                        0 &&
                    S_ISDIR(target_st.st_mode)) {
                    return true;
                }
            }
        }
        if (::unlink(path.c_str()) != 0) {
            return unpack_error(name, std::string("unlink: ") + std::strerror(errno));
        }
        paths_.forget();
        return false;
    }

    Status read_error(const std::string& name) const {
        if (source_.error) {
            return Status(*source_.error);
        }
        return unpack_error(name, "read: " + std::string(archive_error_string(in_) != nullptr
                                                             ? archive_error_string(in_)
                                                             : "unknown error"));
    }

    struct ExistingDir {
        std::string name;  // as in the tarball, for errors
        std::string path;
        timespec mtime;
    };

    ChrootPaths paths_;
    std::vector<ExistingDir> existing_dirs_;
    archive* in_;
    archive* out_;
    Source& source_;
    KnownContents* known_;
    std::string last_name_;
    std::string open_file_;       // the regular file being written, until its data is complete
    struct stat link_target_ {};  // a hard link's target just before the link was made
    bool linked_before_ = false;  // link_target_ holds it
};

// The root as an absolute path without symlinks or "..": write_disk refuses any ".." (and the
// root is where a chroot would be). "" stands for "/".
Result<std::string> canonical_root(const std::string& root) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(root.c_str(), nullptr), &std::free);
    if (!real) {
        return unpack_error(root, std::strerror(errno));
    }
    std::string path(real.get());
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return unpack_error(root, std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        return unpack_error(root, std::strerror(ENOTDIR));
    }
    if (path == "/") {
        path.clear();
    }
    return path;
}

}  // namespace

Result<UnpackStats> stream_unpack(PieceFeeder& feeder, const UnpackOptions& options) {
    auto root = canonical_root(options.root);
    if (!root) {
        return root.error();
    }

    ReadArchive in(archive_read_new());
    WriteArchive out(archive_write_disk_new());
    if (!in || !out) {
        return unpack_error(options.root, std::strerror(ENOMEM));
    }
    // Only what the packer makes: "none" is implicit. No *_all(): the static agent would pull
    // in every format's libraries.
    if (archive_read_support_filter_gzip(in.get()) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(in.get()) != ARCHIVE_OK ||
        archive_read_support_format_tar(in.get()) != ARCHIVE_OK) {
        return unpack_error("tarball", std::string("setup: ") + archive_error_string(in.get()));
    }
    // Never archive_write_disk_set_standard_lookup(): owners stay the tarball's numbers.
    if (archive_write_disk_set_options(out.get(), extract_flags) != ARCHIVE_OK) {
        return unpack_error("tarball", std::string("setup: ") + archive_error_string(out.get()));
    }

    Source source{feeder, options.stall_timeout, std::nullopt, 0};
    UnpackStats stats;
    Extractor extractor(std::move(*root), in.get(), out.get(), source, options.known);
    if (archive_read_open(in.get(), &source, nullptr, read_source, nullptr) != ARCHIVE_OK) {
        if (source.error) {
            return *source.error;
        }
        return unpack_error("tarball", std::string("read: ") + archive_error_string(in.get()));
    }
    auto done = extractor.run(stats);
    if (!done) {
        extractor.abandon_open_file();
        return done.error();
    }
    // Directory modes and times were deferred by write_disk until now.
    if (archive_write_close(out.get()) != ARCHIVE_OK) {
        return unpack_error("directories", "restore metadata: " + archive_cause(out.get()));
    }
    if (auto times = extractor.restore_existing_dir_times(); !times) {
        return times.error();
    }
    stats.bytes_in = source.bytes;
    return stats;
}

}  // namespace si
