#include "server/pack/owner_names.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <optional>

namespace si {
namespace {

// Largest passwd/group file we read; anything bigger is not a real image's.
constexpr off_t max_table_bytes = 64 << 20;

std::optional<std::string> read_plain_file(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    struct stat st {};
    std::string text;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= max_table_bytes;
    while (ok) {
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            ok = false;
        } else if (n == 0) {
            break;
        } else {
            text.append(buf, static_cast<std::size_t>(n));
        }
    }
    close(fd);
    if (!ok) {
        return std::nullopt;
    }
    return text;
}

// Fills `out` with id -> name from "name:passwd:id:..." lines.
template <typename Id>
void parse_table(std::string_view text, std::map<Id, std::string>& out) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            nl = text.size();
        }
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') {
            continue;  // comments and NIS compat entries name nobody
        }
        std::size_t c1 = line.find(':');
        std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string_view::npos || c1 == 0) {
            continue;
        }
        std::size_t c3 = line.find(':', c2 + 1);
        std::string_view id_text = line.substr(
            c2 + 1, c3 == std::string_view::npos ? std::string_view::npos : c3 - c2 - 1);
        unsigned long id = 0;
        auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
        if (ec != std::errc() || end != id_text.data() + id_text.size() || id_text.empty()) {
            continue;
        }
        out.emplace(static_cast<Id>(id), std::string(line.substr(0, c1)));  // first one wins
    }
}

}  // namespace

OwnerNames OwnerNames::from_text(std::string_view passwd, std::string_view group) {
    OwnerNames names;
    parse_table(passwd, names.users_);
    parse_table(group, names.groups_);
    return names;
}

OwnerNames OwnerNames::from_image(const std::string& image_root) {
    // etc itself must be a real directory of the image, not a symlink to the server's /etc.
    struct stat st {};
    std::string etc = image_root + "/etc";
    if (lstat(etc.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return OwnerNames{};
    }
    auto passwd = read_plain_file(etc + "/passwd");
    auto group = read_plain_file(etc + "/group");
    return from_text(passwd.value_or(""), group.value_or(""));
}

const std::string* OwnerNames::user(uid_t uid) const {
    auto it = users_.find(uid);
    return it == users_.end() ? nullptr : &it->second;
}

const std::string* OwnerNames::group(gid_t gid) const {
    auto it = groups_.find(gid);
    return it == groups_.end() ? nullptr : &it->second;
}

}  // namespace si
