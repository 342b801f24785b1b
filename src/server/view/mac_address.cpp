#include "server/view/mac_address.hpp"

#include "common/hex_string.hpp"

namespace si {

std::optional<std::string> normalize_mac(std::string_view text) {
    const bool bare = text.size() == 12;
    if (!bare && text.size() != 17) {
        return std::nullopt;
    }
    std::string out;
    int digits = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!bare && i % 3 == 2) {
            // One separator kind throughout: "00:16-3e..." is not a MAC anyone writes.
            if ((text[i] != ':' && text[i] != '.' && text[i] != '-') || text[i] != text[2]) {
                return std::nullopt;
            }
            continue;
        }
        const int d = hex_digit_value(text[i]);
        if (d < 0) {
            return std::nullopt;
        }
        if (digits > 0 && digits % 2 == 0) {
            out += ':';
        }
        out += "0123456789abcdef"[d];
        ++digits;
    }
    return out;
}

std::string pxelinux_mac_file_name(std::string_view mac) {
    std::string out = "01-";
    for (char c : mac) {
        out += c == ':' ? '-' : c;
    }
    return out;
}

}  // namespace si
