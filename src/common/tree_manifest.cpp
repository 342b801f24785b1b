#include "common/tree_manifest.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "common/known_contents.hpp"
#include "common/sha256.hpp"
#include "common/unique_fd.hpp"

namespace si {
namespace {

// Reads of 1 MiB: large enough that the per-call cost vanishes next to SHA-256.
constexpr std::size_t read_chunk = 1 << 20;
// Files opened by the walk and waiting for a hashing thread: bounds the open descriptors.
constexpr std::size_t max_queued_files = 64;
// Default hashing threads at most: beyond this the disk, not SHA-256, is the limit.
constexpr unsigned max_default_threads = 4;

// Mount points whose contents the install never wrote (the kernel's and the running system's).
const std::set<std::string> skipped_mount_points = {"/proc", "/sys", "/dev", "/run"};

// Filesystems that hold no installed file (statfs(2) f_type).
bool virtual_filesystem(long type) {
    switch (static_cast<unsigned long>(type)) {
        case PROC_SUPER_MAGIC:
        case SYSFS_MAGIC:
        case TMPFS_MAGIC:
        case DEVPTS_SUPER_MAGIC:
        case CGROUP_SUPER_MAGIC:
        case CGROUP2_SUPER_MAGIC:
        case DEBUGFS_MAGIC:
        case TRACEFS_MAGIC:
        case SECURITYFS_MAGIC:
        case PSTOREFS_MAGIC:
        case EFIVARFS_MAGIC:
        case BPF_FS_MAGIC:
        case HUGETLBFS_MAGIC:
        case 0x19800202:  // mqueue (not in linux/magic.h)
        case RAMFS_MAGIC:
            return true;
        default:
            return false;
    }
}

struct Entry {
    std::string path;  // raw bytes, "/" or "/etc/passwd"
    struct stat st {};
    std::string target;              // symbolic links
    std::string xattrs;              // digest, "" none
    std::string content;             // sha256 hex of a regular file
    const Entry* link_of = nullptr;  // an earlier hard link of the same file: its content
    bool steady = false;             // content read from a file that did not change meanwhile
};

// Whether the open file `fd` is still as `before` (its lstat() in the walk) after it was read:
// same inode, size, mtime and ctime, so the digest is of the bytes the walk saw.
bool unchanged_since(int fd, const struct stat& before) {
    struct stat now {};
    return ::fstat(fd, &now) == 0 && now.st_dev == before.st_dev && now.st_ino == before.st_ino &&
           now.st_size == before.st_size && now.st_mtim.tv_sec == before.st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
           now.st_ctim.tv_sec == before.st_ctim.tv_sec &&
           now.st_ctim.tv_nsec == before.st_ctim.tv_nsec;
}

Error manifest_error(const std::string& root, const std::string& path, const std::string& what,
                     int err) {
    return Error{
        "manifest " + root + (path == "/" ? "" : path) + ": " + what + ": " + std::strerror(err),
        ErrorKind::io};
}

// The SHA-256 of an open file's bytes from its start; errno on a failed read.
Result<std::string> hash_fd(int fd, std::vector<char>& buf, std::int64_t& bytes) {
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    Sha256 sha;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Error{std::strerror(errno), ErrorKind::io};
        }
        if (n == 0) {
            break;
        }
        sha.update(buf.data(), static_cast<std::size_t>(n));
        bytes += n;
    }
    return sha.final_hex();
}

// Hashes opened files on worker threads while the walk goes on.
class HashPool {
  public:
    explicit HashPool(unsigned threads) {
        for (unsigned i = 0; i < threads; ++i) {
            workers_.emplace_back([this] { run(); });
        }
    }
    ~HashPool() { finish(); }

    bool threaded() const { return !workers_.empty(); }

    // Takes the descriptor; waits while too many files are queued.
    void add(UniqueFd fd, Entry* e) {
        std::unique_lock lock(mu_);
        room_.wait(lock, [this] { return queue_.size() < max_queued_files; });
        queue_.emplace_back(std::move(fd), e);
        work_.notify_one();
    }

    // Waits for every queued file; returns the first failure.
    std::optional<std::pair<Entry*, std::string>> finish() {
        {
            std::lock_guard lock(mu_);
            closing_ = true;
        }
        work_.notify_all();
        for (auto& w : workers_) {
            if (w.joinable()) {
                w.join();
            }
        }
        workers_.clear();
        return failure_;
    }

    std::int64_t bytes() const { return bytes_; }

  private:
    void run() {
        std::vector<char> buf(read_chunk);
        std::int64_t bytes = 0;
        std::unique_lock lock(mu_);
        for (;;) {
            work_.wait(lock, [this] { return closing_ || !queue_.empty(); });
            if (queue_.empty()) {
                break;
            }
            auto [fd, e] = std::move(queue_.front());
            queue_.pop_front();
            room_.notify_one();
            lock.unlock();
            auto h = hash_fd(fd.get(), buf, bytes);
            const bool steady = h && unchanged_since(fd.get(), e->st);
            fd = UniqueFd();
            lock.lock();
            if (h) {
                e->content = *h;
                e->steady = steady;
            } else if (!failure_) {
                failure_ = std::make_pair(e, h.error().message);
            }
        }
        bytes_ += bytes;
    }

    std::mutex mu_;
    std::condition_variable work_;
    std::condition_variable room_;
    std::deque<std::pair<UniqueFd, Entry*>> queue_;
    bool closing_ = false;
    std::optional<std::pair<Entry*, std::string>> failure_;
    std::atomic<std::int64_t> bytes_{0};
    std::vector<std::thread> workers_;
};

// The names of the entries of the directory open as `fd`, sorted; errno on failure.
int list_directory(int fd, std::vector<std::string>& names) {
    const int copy = ::dup(fd);
    if (copy < 0) {
        return errno;
    }
    DIR* dir = ::fdopendir(copy);
    if (dir == nullptr) {
        const int err = errno;
        ::close(copy);
        return err;
    }
    errno = 0;
    while (const dirent* d = ::readdir(dir)) {
        if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) {
            names.emplace_back(d->d_name);
        }
        errno = 0;
    }
    const int err = errno;
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return err;
}

// The digest of an entry's extended attributes ("" when it has none), read without following
// a link. `at` names the entry through /proc/self/fd/<dir>/<name>, so that no path is longer
// than PATH_MAX whatever the depth.
Result<std::string> xattr_digest(const std::string& at) {
    std::string names;
    for (;;) {
        const ssize_t n = ::llistxattr(at.c_str(), nullptr, 0);
        if (n < 0) {
            if (errno == ENOTSUP) {
                return std::string();
            }
            return Error{std::string("list xattrs: ") + std::strerror(errno), ErrorKind::io};
        }
        if (n == 0) {
            return std::string();
        }
        names.resize(static_cast<std::size_t>(n));
        const ssize_t got = ::llistxattr(at.c_str(), names.data(), names.size());
        if (got >= 0) {
            names.resize(static_cast<std::size_t>(got));
            break;
        }
        if (errno != ERANGE) {
            return Error{std::string("list xattrs: ") + std::strerror(errno), ErrorKind::io};
        }
    }
    std::vector<std::string> sorted;
    for (std::size_t at0 = 0; at0 < names.size();) {
        const std::size_t end = names.find('\0', at0);
        const std::size_t stop = end == std::string::npos ? names.size() : end;
        if (stop > at0) {
            sorted.push_back(names.substr(at0, stop - at0));
        }
        at0 = stop + 1;
    }
    if (sorted.empty()) {
        return std::string();
    }
    std::sort(sorted.begin(), sorted.end());
    Sha256 sha;
    std::string value;
    for (const std::string& name : sorted) {
        for (;;) {
            const ssize_t n = ::lgetxattr(at.c_str(), name.c_str(), nullptr, 0);
            if (n < 0) {
                return Error{"read xattr " + name + ": " + std::strerror(errno), ErrorKind::io};
            }
            value.resize(static_cast<std::size_t>(n));
            const ssize_t got = ::lgetxattr(at.c_str(), name.c_str(), value.data(), value.size());
            if (got >= 0) {
                value.resize(static_cast<std::size_t>(got));
                break;
            }
            if (errno != ERANGE) {
                return Error{"read xattr " + name + ": " + std::strerror(errno), ErrorKind::io};
            }
        }
        const std::uint64_t len = value.size();
        sha.update(name.data(), name.size() + 1);  // with its NUL
        sha.update(&len, sizeof len);
        sha.update(value.data(), value.size());
    }
    return sha.final_hex().substr(0, 32);
}

class Walker {
  public:
    Walker(std::string root, const ManifestOptions& options, HashPool& pool)
        : root_(std::move(root)),
          exclude_(options.exclude.begin(), options.exclude.end()),
          pool_(pool),
          known_(options.known),
          proc_fd_(::access("/proc/self/fd", X_OK) == 0) {}

    std::deque<Entry>& entries() { return entries_; }
    std::int64_t inline_bytes() const { return inline_bytes_; }

    Status walk() {
        UniqueFd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) {
            return manifest_error(root_, "/", "open", errno);
        }
        Entry& e = entries_.emplace_back();
        e.path = "/";
        if (::fstat(fd.get(), &e.st) != 0) {
            return manifest_error(root_, "/", "stat", errno);
        }
        auto x = xattr_digest(root_);
        if (!x) {
            return Error{"manifest " + root_ + ": " + x.error().message, ErrorKind::io};
        }
        e.xattrs = *x;
        return walk_dir(fd.get(), "/", e.st.st_dev);
    }

  private:
    std::string at(int dirfd, const std::string& name, const std::string& path) const {
        return proc_fd_ ? "/proc/self/fd/" + std::to_string(dirfd) + "/" + name : root_ + path;
    }

    Status walk_dir(int dirfd, const std::string& dir_path, dev_t dir_dev) {
        std::vector<std::string> names;
        if (const int err = list_directory(dirfd, names); err != 0) {
            return manifest_error(root_, dir_path, "list", err);
        }
        for (const std::string& name : names) {
            const std::string path = (dir_path == "/" ? "" : dir_path) + "/" + name;
            if (exclude_.count(path) != 0) {
                continue;
            }
            Entry& e = entries_.emplace_back();
            e.path = path;
            if (::fstatat(dirfd, name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0) {
                return manifest_error(root_, path, "stat", errno);
            }
            auto x = xattr_digest(at(dirfd, name, path));
            if (!x) {
                return Error{"manifest " + root_ + path + ": " + x.error().message, ErrorKind::io};
            }
            e.xattrs = *x;
            if (S_ISLNK(e.st.st_mode)) {
                std::string target(static_cast<std::size_t>(e.st.st_size) + 1, '\0');
                const ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
                if (n < 0) {
                    return manifest_error(root_, path, "readlink", errno);
                }
                target.resize(static_cast<std::size_t>(n));
                e.target = std::move(target);
            } else if (S_ISREG(e.st.st_mode)) {
                if (auto st = add_file(dirfd, name, e); !st) {
                    return st;
                }
            } else if (S_ISDIR(e.st.st_mode)) {
                if (auto st = enter(dirfd, name, e, dir_dev); !st) {
                    return st;
                }
            }
        }
        return Ok{};
    }

    Status add_file(int dirfd, const std::string& name, Entry& e) {
        if (e.st.st_nlink > 1) {
            auto [it, first] = links_.emplace(std::make_pair(e.st.st_dev, e.st.st_ino), &e);
            if (!first) {
                e.link_of = it->second;
                return Ok{};
            }
        }
        if (known_ != nullptr) {
            if (const std::string* digest = known_->find(e.st); digest != nullptr) {
                e.content = *digest;
                ++files_;
                ++known_files_;
                known_bytes_ += static_cast<std::int64_t>(e.st.st_size);
                return Ok{};
            }
        }
        // O_NOATIME: reading leaves the files as they were (owner or CAP_FOWNER only).
        int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
        if (fd < 0 && errno == EPERM) {
            fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            return manifest_error(root_, e.path, "open", errno);
        }
        ++files_;
        if (pool_.threaded()) {
            pool_.add(UniqueFd(fd), &e);
            return Ok{};
        }
        UniqueFd owned(fd);
        buf_.resize(read_chunk);
        auto h = hash_fd(fd, buf_, inline_bytes_);
        if (!h) {
            return Error{"manifest " + root_ + e.path + ": read: " + h.error().message,
                         ErrorKind::io};
        }
        e.content = *h;
        e.steady = unchanged_since(fd, e.st);
        return Ok{};
    }

    Status enter(int dirfd, const std::string& name, const Entry& e, dev_t dir_dev) {
        UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            return manifest_error(root_, e.path, "open", errno);
        }
        if (e.st.st_dev != dir_dev) {  // a mount point
            struct statfs fs {};
            if (skipped_mount_points.count(e.path) != 0 ||
                (::fstatfs(fd.get(), &fs) == 0 && virtual_filesystem(fs.f_type))) {
                return Ok{};
            }
        }
        return walk_dir(fd.get(), e.path, e.st.st_dev);
    }

  public:
    std::int64_t files() const { return files_; }
    std::int64_t known_files() const { return known_files_; }
    std::int64_t known_bytes() const { return known_bytes_; }

  private:
    std::string root_;
    std::set<std::string> exclude_;
    HashPool& pool_;
    const KnownContents* known_;
    bool proc_fd_;
    std::deque<Entry> entries_;
    std::map<std::pair<dev_t, ino_t>, const Entry*> links_;
    std::vector<char> buf_;
    std::int64_t inline_bytes_ = 0;
    std::int64_t files_ = 0;
    std::int64_t known_files_ = 0;
    std::int64_t known_bytes_ = 0;
};

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

char type_letter(mode_t mode) {
    if (S_ISREG(mode)) {
        return 'f';
    }
    if (S_ISDIR(mode)) {
        return 'd';
    }
    if (S_ISLNK(mode)) {
        return 'l';
    }
    if (S_ISCHR(mode)) {
        return 'c';
    }
    if (S_ISBLK(mode)) {
        return 'b';
    }
    if (S_ISFIFO(mode)) {
        return 'p';
    }
    return 's';
}

// `nlink`: the entry's hard links inside the tree (not st_nlink, which also counts links
// outside it, e.g. an image directory made with cp -al beside another).
std::string line_of(const Entry& e, int nlink) {
    const struct stat& st = e.st;
    std::string line = manifest_escape(e.path);
    line += " type=";
    line += type_letter(st.st_mode);
    line += " mode=" + octal_mode(st.st_mode) + " uid=" + std::to_string(st.st_uid) +
            " gid=" + std::to_string(st.st_gid);
    if (!S_ISDIR(st.st_mode)) {
        const std::int64_t ns =
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        line += " size=" +
                std::to_string(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)
                                   ? static_cast<std::int64_t>(st.st_size)
                                   : 0) +
                " mtime=" + std::to_string(ns);
    }
    if (S_ISREG(st.st_mode)) {
        line += " nlink=" + std::to_string(nlink);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        line +=
            " rdev=" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
    }
    if (S_ISLNK(st.st_mode)) {
        line += " target=" + manifest_escape(e.target);
    }
    if (!e.xattrs.empty()) {
        line += " xattrs=" + e.xattrs;
    }
    if (S_ISREG(st.st_mode)) {
        line += " content=" + (e.link_of != nullptr ? e.link_of->content : e.content);
    }
    return line;
}

std::string_view path_of(std::string_view line) {
    return line.substr(0, line.find(' '));
}

// The key=value fields after the path, in order.
std::vector<std::pair<std::string_view, std::string_view>> fields_of(std::string_view line) {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    std::size_t at = line.find(' ');
    while (at != std::string_view::npos) {
        const std::size_t begin = at + 1;
        at = line.find(' ', begin);
        const std::string_view field =
            line.substr(begin, at == std::string_view::npos ? std::string_view::npos : at - begin);
        const std::size_t eq = field.find('=');
        out.emplace_back(field.substr(0, eq),
                         eq == std::string_view::npos ? std::string_view() : field.substr(eq + 1));
    }
    return out;
}

// The keys of a line in their order (tree_manifest.hpp).
constexpr std::array<std::string_view, 11> line_keys = {
    "type", "mode", "uid", "gid", "size", "mtime", "nlink", "rdev", "target", "xattrs", "content"};

// The first key, in line order, whose value differs between two lines of the same path (a key
// present on one side only differs).
std::string field_difference(std::string_view a, std::string_view b) {
    const auto fa = fields_of(a);
    const auto fb = fields_of(b);
    auto value = [](const auto& fields, std::string_view key) -> std::optional<std::string_view> {
        for (const auto& [k, v] : fields) {
            if (k == key) {
                return v;
            }
        }
        return std::nullopt;
    };
    for (const std::string_view key : line_keys) {
        if (value(fa, key) != value(fb, key)) {
            return std::string(key);
        }
    }
    return "line";
}

}  // namespace

std::string manifest_escape(std::string_view bytes) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size());
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '%') {
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

Result<TreeManifest> build_tree_manifest(const std::string& root, const ManifestOptions& options) {
    unsigned threads = options.hash_threads;
    if (threads == 0) {
        threads = std::clamp(std::thread::hardware_concurrency(), 1U, max_default_threads);
    }
    // One thread hashes inline: no pool, no hand-over.
    HashPool pool(threads > 1 ? threads : 0);
    Walker walker(root, options, pool);
    Status walked = walker.walk();
    const auto failed = pool.finish();
    if (!walked) {
        return walked.error();
    }
    if (failed) {
        return Error{"manifest " + root + failed->first->path + ": read: " + failed->second,
                     ErrorKind::io};
    }
    // The links of each hard-linked file found in the walk, by its first entry: what an
    // archive of the tree reproduces, whatever links the file has outside the tree.
    std::map<const Entry*, int> links_in_tree;
    for (const Entry& e : walker.entries()) {
        if (S_ISREG(e.st.st_mode) && e.st.st_nlink > 1) {
            ++links_in_tree[e.link_of != nullptr ? e.link_of : &e];
        }
    }
    if (options.learn != nullptr) {
        for (const Entry& e : walker.entries()) {
            if (e.steady && e.link_of == nullptr) {
                options.learn->remember(e.st, e.content);
            }
        }
    }
    TreeManifest m;
    m.lines.reserve(walker.entries().size());
    for (const Entry& e : walker.entries()) {
        const auto group = links_in_tree.find(e.link_of != nullptr ? e.link_of : &e);
        m.lines.push_back(line_of(e, group == links_in_tree.end() ? 1 : group->second));
    }
    std::sort(m.lines.begin(), m.lines.end(),
              [](const std::string& a, const std::string& b) { return path_of(a) < path_of(b); });
    m.entries = static_cast<std::int64_t>(m.lines.size());
    m.files = walker.files();
    m.content_bytes = pool.bytes() + walker.inline_bytes();
    m.known_files = walker.known_files();
    m.known_bytes = walker.known_bytes();
    return m;
}

std::string manifest_text(std::span<const std::string> lines) {
    std::size_t size = 0;
    for (const std::string& l : lines) {
        size += l.size() + 1;
    }
    std::string out;
    out.reserve(size);
    for (const std::string& l : lines) {
        out += l;
        out += '\n';
    }
    return out;
}

std::optional<std::string> first_manifest_difference(std::span<const std::string> recorded,
                                                     std::span<const std::string> fresh) {
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < recorded.size() || j < fresh.size()) {
        if (j >= fresh.size()) {
            return std::string(path_of(recorded[i])) + ": missing";
        }
        if (i >= recorded.size()) {
            return std::string(path_of(fresh[j])) + ": added";
        }
        const std::string_view a = path_of(recorded[i]);
        const std::string_view b = path_of(fresh[j]);
        if (a < b) {
            return std::string(a) + ": missing";
        }
        if (b < a) {
            return std::string(b) + ": added";
        }
        if (recorded[i] != fresh[j]) {
            return std::string(a) + ": " + field_difference(recorded[i], fresh[j]);
        }
        ++i;
        ++j;
    }
    return std::nullopt;
}

}  // namespace si
