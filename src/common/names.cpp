#include "common/names.hpp"

namespace si {

std::string_view tarball_suffix(Compression c) {
    switch (c) {
        case Compression::gzip:
            return ".tar.gz";
        case Compression::zstd:
            return ".tar.zst";
        case Compression::none:
            break;
    }
    return ".tar";
}

std::string_view kind_word(PackKind kind) {
    return kind == PackKind::image ? "image" : "override";
}

std::string tarball_name(PackKind kind, std::string_view name, Compression c) {
    std::string out(kind_word(kind));
    out += '-';
    out += name;
    out += tarball_suffix(c);
    return out;
}

std::string torrent_name(std::string_view tarball) {
    return std::string(tarball) + ".torrent";
}

bool is_valid_image_name(std::string_view name) {
    if (name.empty() || name.size() > 200 || name.front() == '.' || name.front() == '-') {
        return false;
    }
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '+' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace si
