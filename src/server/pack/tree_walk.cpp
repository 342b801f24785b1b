#include "server/pack/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include <libtorrent/hasher.hpp>

#include "common/hex_string.hpp"
#include "common/reachable_path.hpp"

namespace si {
namespace {

// Per-entry header allowance for tar_size_bound: a pax extended header (512 + data) and the
// ustar header, with room for long names, xattrs and ACLs of ordinary images.
constexpr std::uint64_t header_allowance = 3 * 512;

Error sys_error(const char* what, const std::string& path, int err) {
    return Error{std::string(what) + " " + path + ": " + std::strerror(err)};
}

// Owns a DIR*, closing it on every path.
class DirHandle {
  public:
    explicit DirHandle(DIR* d) : d_(d) {}
    DirHandle(const DirHandle&) = delete;
    DirHandle& operator=(const DirHandle&) = delete;
    ~DirHandle() {
        if (d_ != nullptr) {
            closedir(d_);
        }
    }
    DIR* get() const { return d_; }

  private:
    DIR* d_;
};

class Walker {
  public:
    explicit Walker(Tree& tree) : tree_(tree) {}

    // Appends the children of the directory entry at index `dir_index`, recursively.
    Status walk_dir(std::size_t dir_index) {
        // Copies: entries may reallocate while we recurse.
        const std::string rel = tree_.entries[dir_index].path;
        const std::string abs = tree_.entries[dir_index].abs_path;
        // The root may be a symlink to where the image really lives (admins do that); below
        // it, nothing is followed.
        int nofollow = dir_index == 0 ? 0 : O_NOFOLLOW;
        auto reachable = ReachablePath::of(abs);  // a path over PATH_MAX is the image's right
        if (!reachable) {
            return Error{"opendir " + reachable.error().message};
        }
        int fd = open(reachable->c_str(), O_RDONLY | O_DIRECTORY | nofollow | O_CLOEXEC);
        if (fd < 0) {
            return sys_error("opendir", abs, errno);
        }
        DirHandle dir(fdopendir(fd));
        if (dir.get() == nullptr) {
            int err = errno;
            close(fd);
            return sys_error("opendir", abs, err);
        }
        std::vector<std::string> names;
        for (;;) {
            errno = 0;
            dirent* de = readdir(dir.get());
            if (de == nullptr) {
                if (errno != 0) {
                    return sys_error("readdir", abs, errno);
                }
                break;
            }
            std::string_view name(de->d_name);
            if (name == "." || name == "..") {
                continue;
            }
            names.emplace_back(name);
        }
        std::sort(names.begin(), names.end());  // std::string compares bytewise (char_traits)
        for (const std::string& name : names) {
            TreeEntry e;
            e.path = rel + "/" + name;
            e.abs_path = abs + "/" + name;
            if (fstatat(dirfd(dir.get()), name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0) {
                return sys_error("lstat", e.abs_path, errno);
            }
            bool is_dir = S_ISDIR(e.st.st_mode);
            count(e.st);
            tree_.entries.push_back(std::move(e));
            if (is_dir) {
                Status s = walk_dir(tree_.entries.size() - 1);
                if (!s) {
                    return s;
                }
            }
        }
        return Ok{};
    }

    void count(const struct stat& st) {
        if (!S_ISREG(st.st_mode)) {
            return;
        }
        if (st.st_nlink > 1 && !seen_.insert({st.st_dev, st.st_ino}).second) {
            return;
        }
        tree_.file_bytes += static_cast<std::uint64_t>(st.st_size);
    }

  private:
    Tree& tree_;
    std::set<std::pair<dev_t, ino_t>> seen_;
};

template <typename T>
void feed_number(lt::hasher& h, T value) {
    // Little-endian fixed width, so the fingerprint is the same on every server.
    auto v = static_cast<std::uint64_t>(value);
    char bytes[8];
    for (char& b : bytes) {
        b = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    h.update(bytes, sizeof bytes);
}

}  // namespace

std::string fingerprint_of(const std::vector<TreeEntry>& entries) {
    lt::hasher h;
    for (const TreeEntry& e : entries) {
        feed_number(h, e.path.size());
        h.update(e.path.data(), static_cast<int>(e.path.size()));
        const struct stat& st = e.st;
        feed_number(h, st.st_mode);  // type and permission bits
        feed_number(h, st.st_uid);
        feed_number(h, st.st_gid);
        feed_number(h, st.st_size);
        feed_number(h, st.st_mtim.tv_sec);
        feed_number(h, st.st_mtim.tv_nsec);
        feed_number(h, st.st_ctim.tv_sec);
        feed_number(h, st.st_ctim.tv_nsec);
        feed_number(h, st.st_ino);
        feed_number(h, st.st_rdev);
        feed_number(h, st.st_nlink);
    }
    return hex_string(h.final());
}

Result<Tree> walk_tree(const std::string& root) {
    Tree tree;
    tree.root = root;
    while (tree.root.size() > 1 && tree.root.back() == '/') {
        tree.root.pop_back();
    }
    TreeEntry top;
    top.path = ".";
    top.abs_path = tree.root;
    if (stat(top.abs_path.c_str(), &top.st) != 0) {
        return sys_error("stat", top.abs_path, errno);
    }
    if (!S_ISDIR(top.st.st_mode)) {
        return Error{"opendir " + top.abs_path + ": " + std::strerror(ENOTDIR)};
    }
    tree.entries.push_back(std::move(top));
    Walker walker(tree);
    Status s = walker.walk_dir(0);
    if (!s) {
        return s.error();
    }
    tree.fingerprint_hex = fingerprint_of(tree.entries);
    return tree;
}

std::uint64_t tar_size_bound(const Tree& tree) {
    std::uint64_t bound = 2 * 10240;  // end-of-archive records and block padding
    for (const TreeEntry& e : tree.entries) {
        bound += header_allowance + e.path.size();
        if (S_ISREG(e.st.st_mode)) {
            bound += (static_cast<std::uint64_t>(e.st.st_size) + 511) / 512 * 512;
        }
    }
    return bound;
}

}  // namespace si
