#include "common/utf8_text.hpp"

namespace si {
namespace {

// The length of the well-formed sequence at `in[i]`, or 0 with `*bad` set to the length of
// its maximal subpart (at least 1) when it is ill-formed. Table 3-7 of the Unicode Standard
// ("Well-Formed UTF-8 Byte Sequences") gives the allowed second bytes.
std::size_t sequence_length(std::string_view in, std::size_t i, std::size_t* bad) {
    const auto b0 = static_cast<unsigned char>(in[i]);
    if (b0 < 0x80) {
        return 1;
    }
    std::size_t need = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
    } else if (b0 == 0xE0) {
        need = 2;
        lo = 0xA0;  // no overlong forms
    } else if (b0 >= 0xE1 && b0 <= 0xEC) {
        need = 2;
    } else if (b0 == 0xED) {
        need = 2;
        hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xEE && b0 <= 0xEF) {
        need = 2;
    } else if (b0 == 0xF0) {
        need = 3;
        lo = 0x90;  // no overlong forms
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
        need = 3;
    } else if (b0 == 0xF4) {
        need = 3;
        hi = 0x8F;  // nothing above U+10FFFF
    } else {
        *bad = 1;  // 0x80..0xC1 and 0xF5..0xFF never start a character
        return 0;
    }
    std::size_t k = 1;
    for (; k <= need; ++k) {
        if (i + k >= in.size()) {
            break;
        }
        const auto b = static_cast<unsigned char>(in[i + k]);
        const unsigned char low = k == 1 ? lo : 0x80;
        const unsigned char high = k == 1 ? hi : 0xBF;
        if (b < low || b > high) {
            break;
        }
    }
    if (k == need + 1) {
        return need + 1;
    }
    *bad = k;  // the lead byte and the continuation bytes that were right so far
    return 0;
}

}  // namespace

std::string valid_utf8(std::string_view in, bool* replaced) {
    std::string out;
    out.reserve(in.size());
    bool any = false;
    for (std::size_t i = 0; i < in.size();) {
        std::size_t bad = 0;
        const std::size_t n = sequence_length(in, i, &bad);
        if (n > 0) {
            out.append(in.substr(i, n));
            i += n;
        } else {
            out.append(utf8_replacement);
            any = true;
            i += bad;
        }
    }
    if (replaced != nullptr) {
        *replaced = any;
    }
    return out;
}

bool is_valid_utf8(std::string_view in) {
    for (std::size_t i = 0; i < in.size();) {
        std::size_t bad = 0;
        const std::size_t n = sequence_length(in, i, &bad);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string_view utf8_prefix(std::string_view in, std::size_t max_bytes) {
    if (in.size() <= max_bytes) {
        return in;
    }
    std::size_t end = max_bytes;
    // Back up over continuation bytes (10xxxxxx) to the start of the character cut in two.
    while (end > 0 && (static_cast<unsigned char>(in[end]) & 0xC0) == 0x80) {
        --end;
    }
    return in.substr(0, end);
}

}  // namespace si
