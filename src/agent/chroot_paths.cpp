#include "chroot_paths.hpp"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

namespace si {
namespace {

void split_into_front(std::string_view path, std::deque<std::string>& todo) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const auto part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (!part.empty()) {
            parts.emplace_back(part);
        }
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
}

void drop_last_component(std::string& rel) {
    const auto slash = rel.rfind('/');
    rel.erase(slash == std::string::npos ? 0 : slash);
}

}  // namespace

std::optional<std::vector<std::string>> safe_components(std::string_view name) {
    if (name.empty() || name.front() == '/') {
        return std::nullopt;
    }
    std::vector<std::string> parts;
    while (!name.empty()) {
        const auto slash = name.find('/');
        const auto part = name.substr(0, slash);
        name = slash == std::string_view::npos ? std::string_view() : name.substr(slash + 1);
        if (part == "..") {
            return std::nullopt;
        }
        if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
    }
    return parts;
}

std::string ChrootPaths::full(const std::string& rel) const {
    if (rel.empty()) {
        return root_.empty() ? "/" : root_;
    }
    return root_ + "/" + rel;
}

std::pair<std::string, int> ChrootPaths::resolve(const std::vector<std::string>& parts,
                                                 bool follow_last) const {
    std::deque<std::string> todo(parts.begin(), parts.end());
    std::string rel;
    int links = 0;
    bool missing = false;  // a component is missing: nothing below it can be a link
    while (!todo.empty()) {
        std::string part = std::move(todo.front());
        todo.pop_front();
        if (part == ".") {
            continue;
        }
        if (part == "..") {
            drop_last_component(rel);
            missing = false;
            continue;
        }
        const bool last = todo.empty();
        std::string next = rel.empty() ? part : rel + "/" + part;
        if (missing || (last && !follow_last)) {
            rel = std::move(next);
            continue;
        }
        const auto [path, usable_error] = usable(full(next));
        if (usable_error != 0) {
            return {{}, usable_error};
        }
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno != ENOENT) {
                return {{}, errno};
            }
            missing = true;
            rel = std::move(next);
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            if (++links > max_links_followed) {
                return {{}, ELOOP};
            }
            std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
            const auto n = ::readlink(path.c_str(), target.data(), target.size());
            if (n < 0) {
                return {{}, errno};
            }
            target.resize(static_cast<std::size_t>(n));
            if (!target.empty() && target.front() == '/') {
                rel.clear();
            }
            split_into_front(target, todo);
            continue;
        }
        if (!last && !S_ISDIR(st.st_mode)) {
            return {{}, ENOTDIR};
        }
        rel = std::move(next);
    }
    return {rel, 0};
}

std::pair<std::string, int> ChrootPaths::resolve_parent(const std::vector<std::string>& parts) {
    std::string key;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        key += parts[i];
        key += '/';
    }
    auto it = parents_.find(key);
    if (it == parents_.end()) {
        auto parent = resolve({parts.begin(), parts.end() - 1}, true);
        if (parent.second != 0) {
            return parent;
        }
        if (parents_.size() >= max_cached_dirs) {
            parents_.clear();
        }
        it = parents_.emplace(std::move(key), std::move(parent.first)).first;
    }
    if (it->second.empty()) {
        return {parts.back(), 0};
    }
    return {it->second + "/" + parts.back(), 0};
}

std::pair<std::string, int> ChrootPaths::usable(const std::string& path) const {
    if (path.size() < PATH_MAX) {
        return {path, 0};
    }
    const auto slash = path.rfind('/');
    const std::string parent = path.substr(0, slash);
    auto it = long_parents_.find(parent);
    if (it == long_parents_.end()) {
        if (long_parents_.size() >= max_long_parents) {
            return {{}, ENAMETOOLONG};
        }
        auto dir = ReachablePath::directory(parent);
        if (!dir) {
            return {{}, ENAMETOOLONG};
        }
        it = long_parents_.emplace(parent, std::move(*dir)).first;
    }
    return {"/proc/self/fd/" + std::to_string(it->second.dir_fd()) + path.substr(slash), 0};
}

}  // namespace si
