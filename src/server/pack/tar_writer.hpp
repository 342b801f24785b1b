#pragma once
// Writes walked tree entries as a pax tar stream (libarchive) to an output callback, with every
// piece of metadata an image needs and nothing that depends on when or where it was packed:
// numeric uid/gid plus the image's own user/group names, mtime with nanoseconds (no atime, ctime
// or birthtime), hardlinks, symlinks, device nodes, fifos, sparse files (holes not stored),
// extended attributes (security.capability included, sorted by name) and POSIX ACLs.
// Sockets cannot be archived and are skipped with a warning, as tar does.
#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "common/result.hpp"
#include "server/pack/owner_names.hpp"
#include "server/pack/tree_walk.hpp"

namespace si {

inline constexpr std::size_t tar_read_bytes = 1 << 20;  // one read(2) of file data

class TarWriter {
  public:
    using Output = std::function<Status(std::span<const char>)>;

    TarWriter(Output out, const OwnerNames& names, Logger& log);
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;
    ~TarWriter();

    // Before open(): hand every entry's bytes (padding included) to the output before add()
    // returns, so that the caller sees where each entry ends (a delta-ready pack cuts its
    // compression frames there). The tar bytes are the same either way.
    void flush_each_entry() { flush_each_entry_ = true; }

    Status open();
    // Adds one entry (and its data). Fails naming the file: "open <path>: Permission denied",
    // "read <path>: Input/output error", "<path> changed while packing", or with the output's
    // own error (disk full) when the sink failed.
    Status add(const TreeEntry& entry);
    // Writes the end-of-archive records.
    Status close();

    std::uint64_t entries_written() const { return written_; }
    std::uint64_t sockets_skipped() const { return sockets_skipped_; }

  private:
    struct WriteDeleter {
        void operator()(archive* a) const { archive_write_free(a); }
    };
    struct ReadDeleter {
        void operator()(archive* a) const { archive_read_free(a); }
    };
    struct ResolverDeleter {
        void operator()(archive_entry_linkresolver* r) const { archive_entry_linkresolver_free(r); }
    };
    struct EntryDeleter {
        void operator()(archive_entry* e) const { archive_entry_free(e); }
    };
    using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

    static la_ssize_t write_cb(archive* a, void* self, const void* buf, size_t len);
    Error archive_failure(archive* a, const std::string& what);
    Status write_data(const TreeEntry& entry, int fd, archive_entry* e);
    Status put(const void* data, std::size_t len, const std::string& path);
    Status finish_entry(const std::string& path);
    void make_deterministic(const TreeEntry& entry, archive_entry* e);

    Output out_;
    const OwnerNames& names_;
    Logger& log_;
    std::unique_ptr<archive, WriteDeleter> writer_;
    std::unique_ptr<archive, ReadDeleter> disk_;
    std::unique_ptr<archive_entry_linkresolver, ResolverDeleter> resolver_;
    std::unique_ptr<Error> out_error_;  // the output's own failure, reported as is
    std::vector<char> buffer_;
    std::uint64_t written_ = 0;
    std::uint64_t sockets_skipped_ = 0;
    bool flush_each_entry_ = false;
};

}  // namespace si
