#include "agent/delta_install.hpp"

#include <archive.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/tree_manifest.hpp"

namespace si {
namespace {

// A manifest larger than this is refused (a Debian root's is a few MB).
constexpr std::size_t max_manifest_text = std::size_t{1} << 30;

Error io_failure(const std::string& what, const std::string& path, int err) {
    return Error{what + " " + path + ": " + std::strerror(err), io_error_kind(err)};
}

std::optional<std::int64_t> field_int(std::string_view line, std::string_view key, int base) {
    const auto v = manifest_field(line, key);
    if (!v) {
        return std::nullopt;
    }
    try {
        return std::stoll(std::string(*v), nullptr, base);
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace

Result<LocalScan> scan_root(const std::string& root, const std::vector<std::string>& exclude,
                            KnownContents* learn) {
    const auto start = std::chrono::steady_clock::now();
    ManifestOptions options;
    options.exclude = exclude;
    options.learn = learn;
    auto m = build_tree_manifest(root, options);
    if (!m) {
        return m.error();
    }
    LocalScan scan;
    scan.content_bytes = m->content_bytes;
    for (const std::string& line : m->lines) {
        const auto nlink = manifest_field(line, "nlink");
        if (!nlink || *nlink == "1") {
            continue;
        }
        auto path = manifest_unescape(line.substr(0, line.find(' ')));
        struct stat st {};
        if (path && ::lstat((root + *path).c_str(), &st) == 0) {
            scan.inode.emplace(*path, (static_cast<std::uint64_t>(st.st_dev) << 40) ^
                                          static_cast<std::uint64_t>(st.st_ino));
        }
    }
    scan.lines = std::move(m->lines);
    scan.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return scan;
}

Result<DeltaManifest> read_delta_manifest(std::string_view payload) {
    struct Free {
        void operator()(archive* a) const { archive_read_free(a); }
    };
    std::unique_ptr<archive, Free> a(archive_read_new());
    if (!a || archive_read_support_filter_zstd(a.get()) != ARCHIVE_OK ||
        archive_read_support_format_raw(a.get()) != ARCHIVE_OK ||
        archive_read_open_memory(a.get(), payload.data(), payload.size()) != ARCHIVE_OK) {
        return Error{"delta manifest: cannot open it (not zstd?)", ErrorKind::bad_data};
    }
    archive_entry* e = nullptr;
    if (archive_read_next_header(a.get(), &e) != ARCHIVE_OK) {
        return Error{"delta manifest: not zstd", ErrorKind::bad_data};
    }
    std::string text;
    char buf[1 << 16];
    for (;;) {
        const la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
        if (n < 0) {
            const char* msg = archive_error_string(a.get());
            return Error{std::string("delta manifest: ") + (msg != nullptr ? msg : "bad zstd"),
                         ErrorKind::bad_data};
        }
        if (n == 0) {
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > max_manifest_text) {
            return Error{"delta manifest: larger than 1 GiB", ErrorKind::bad_data};
        }
    }
    return parse_delta_manifest(text);
}

namespace {

// "/var/stage/" -> "/var/stage"
std::vector<std::string> without_trailing_slash(std::vector<std::string> paths) {
    for (std::string& p : paths) {
        while (p.size() > 1 && p.back() == '/') {
            p.pop_back();
        }
    }
    return paths;
}

bool listed(const std::vector<std::string>& paths, const std::string& path) {
    return std::find(paths.begin(), paths.end(), path) != paths.end();
}

// Empties the directory at `rel` (a raw root path, "" for the root) on device `dev`; removes
// each entry below it that is not kept, depth first, and never crosses into a mount point that
// `mounts` does not list. Entries that must stay (kept, mount points) keep their parents.
Status clear_under(const std::string& root, const std::string& rel, dev_t dev, bool fs_top,
                   const std::vector<std::string>& keep, const std::vector<std::string>& mounts) {
    std::error_code ec;
    std::vector<std::string> names;
    for (std::filesystem::directory_iterator it(root + (rel.empty() ? "/" : rel), ec), end;
         !ec && it != end; it.increment(ec)) {
        names.push_back(it->path().filename().string());
    }
    if (ec) {
        return io_failure("read directory", root + rel, ec.value());
    }
    for (const std::string& name : names) {
        const std::string path = rel + "/" + name;
        if (listed(keep, path) || (fs_top && name == "lost+found")) {
            continue;
        }
        struct stat st {};
        if (::lstat((root + path).c_str(), &st) != 0) {
            return io_failure("stat", root + path, errno);
        }
        if (!S_ISDIR(st.st_mode)) {
            if (::unlink((root + path).c_str()) != 0) {
                return io_failure("remove", root + path, errno);
            }
            continue;
        }
        const bool mount_point = st.st_dev != dev;
        if (mount_point && !listed(mounts, path)) {
            continue;  // not the layout's: never entered (/proc, a bind mount)
        }
        if (Status s = clear_under(root, path, st.st_dev, mount_point, keep, mounts); !s) {
            return s;
        }
        if (mount_point) {
            continue;
        }
        // Not empty when something below had to stay (a kept path, a mount point).
        if (::rmdir((root + path).c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST &&
            errno != EBUSY) {
            return io_failure("remove", root + path, errno);
        }
    }
    return Ok{};
}

}  // namespace

Status clear_root(const std::string& root, const std::vector<std::string>& keep,
                  const std::vector<std::string>& mounts) {
    struct stat st {};
    if (::lstat(root.c_str(), &st) != 0) {
        return io_failure("stat", root, errno);
    }
    return clear_under(root, "", st.st_dev, true, without_trailing_slash(keep),
                       without_trailing_slash(mounts));
}

Status remove_planned(const std::string& root, const DeltaPlan& plan) {
    for (const std::string& p : plan.remove) {
        std::error_code ec;
        // remove_all never follows a symbolic link; the path's parents are directories of the
        // scan (it never goes through a link either).
        std::filesystem::remove_all(root + p, ec);
        if (ec) {
            return io_failure("remove", root + p, ec.value());
        }
    }
    return Ok{};
}

Status restamp_planned(const std::string& root, const DeltaManifest& image, const DeltaPlan& plan) {
    std::vector<std::size_t> order = plan.restamp;
    // Directories last, deepest first, so no later change touches a time already set.
    std::stable_partition(order.begin(), order.end(), [&](std::size_t i) {
        return !image.entries[i].dir_mtime_ns.has_value();
    });
    auto dirs = std::find_if(order.begin(), order.end(), [&](std::size_t i) {
        return image.entries[i].dir_mtime_ns.has_value();
    });
    std::sort(dirs, order.end(), [&](std::size_t a, std::size_t b) {
        return image.entries[a].path > image.entries[b].path;
    });
    for (std::size_t i : order) {
        const DeltaEntry& e = image.entries[i];
        const std::string path = e.path == "/" ? root : root + e.path;
        const auto uid = field_int(e.line, "uid", 10);
        const auto gid = field_int(e.line, "gid", 10);
        const auto mode = field_int(e.line, "mode", 8);
        const auto mtime = e.dir_mtime_ns ? e.dir_mtime_ns : field_int(e.line, "mtime", 10);
        const bool symlink = manifest_field(e.line, "type") == "l";
        if (uid && gid &&
            ::fchownat(AT_FDCWD, path.c_str(), static_cast<uid_t>(*uid), static_cast<gid_t>(*gid),
                       AT_SYMLINK_NOFOLLOW) != 0) {
            return io_failure("chown", path, errno);
        }
        if (mode && !symlink && ::chmod(path.c_str(), static_cast<mode_t>(*mode)) != 0) {
            return io_failure("chmod", path, errno);
        }
        if (mtime) {
            struct timespec times[2];
            times[0].tv_sec = 0;
            times[0].tv_nsec = UTIME_OMIT;
            times[1].tv_sec = static_cast<time_t>(*mtime / 1'000'000'000);
            times[1].tv_nsec = static_cast<long>(*mtime % 1'000'000'000);
            if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
                return io_failure("set times of", path, errno);
            }
        }
    }
    return Ok{};
}

Result<std::optional<std::string>> root_difference(const std::string& root,
                                                   const DeltaManifest& image,
                                                   const std::vector<std::string>& exclude,
                                                   const KnownContents* known) {
    ManifestOptions options;
    options.exclude = exclude;
    options.known = known;
    auto fresh = build_tree_manifest(root, options);
    if (!fresh) {
        return fresh.error();
    }
    std::vector<std::string> want;
    want.reserve(image.entries.size());
    auto excluded = [&](const std::string& path) {
        return std::any_of(exclude.begin(), exclude.end(), [&](const std::string& ex) {
            return path == ex || (path.size() > ex.size() && path.compare(0, ex.size(), ex) == 0 &&
                                  path[ex.size()] == '/');
        });
    };
    for (const DeltaEntry& e : image.entries) {
        if (!excluded(e.path)) {
            want.push_back(e.line);
        }
    }
    auto key = [](const std::string& l) { return std::string_view(l).substr(0, l.find(' ')); };
    std::sort(want.begin(), want.end(),
              [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
    return first_manifest_difference(want, fresh->lines);
}

}  // namespace si
