#pragma once
// Lowercase hex of a byte string (SHA-1 digests in records and messages).
#include <string>
#include <string_view>

#include <libtorrent/sha1_hash.hpp>

namespace si {

inline std::string hex_string(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

inline std::string hex_string(const lt::sha1_hash& h) {
    return hex_string(std::string_view(h.data(), h.size()));
}

}  // namespace si
