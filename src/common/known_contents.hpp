#pragma once
// Content digests known without reading the files back. The unpacker hashes each regular
// file's bytes as it writes them (agent/stream_unpack.hpp) and remembers the digest under the
// file's identity, so the install record's manifest (common/tree_manifest.hpp) need not read
// every file of the root a second time.
//
// A digest is used only while the file's device, inode, size, mtime and ctime are the ones seen
// right after the unpacker finished it. Every later change through the filesystem (a write, a
// truncate, chmod, chown, a new link, a rename over it, setting its times) sets the ctime to
// the present, and no system call sets a ctime back, so a file changed since is read again.
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <ctime>
#include <map>
#include <string>
#include <utility>

namespace si {

class KnownContents {
  public:
    // The regular file whose lstat() gave `st` holds bytes whose SHA-256 is `sha256_hex`.
    void remember(const struct stat& st, std::string sha256_hex);

    // A hard link was made to a file, which moves its ctime: `before` is the file's lstat()
    // just before the link, `after` just after. When `before` was known and unchanged, `after`
    // is known with the same digest; else nothing happens.
    void relinked(const struct stat& before, const struct stat& after);

    // The SHA-256 hex of the file whose lstat() gave `st`, when it is known and unchanged since;
    // else nullptr.
    const std::string* find(const struct stat& st) const;

    std::size_t files() const { return known_.size(); }

  private:
    struct Known {
        off_t size = 0;
        timespec mtime{};
        timespec ctime{};
        std::string sha256_hex;
    };
    std::map<std::pair<dev_t, ino_t>, Known> known_;
};

}  // namespace si
