#pragma once
// Lowercase hex of a byte string (SHA-1 digests in records and messages, info-hashes in the
// tracker), and the value of one hex digit.
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

// 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other byte.
inline int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

inline std::string hex_string(const lt::sha1_hash& h) {
    return hex_string(std::string_view(h.data(), h.size()));
}

}  // namespace si
