#include "common/wanted_pieces_message.hpp"

namespace si {

std::string encode_wanted_pieces(const std::vector<bool>& wanted) {
    std::string out((wanted.size() + 7) / 8, '\0');
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (wanted[i]) {
            out[i / 8] =
                static_cast<char>(static_cast<unsigned char>(out[i / 8]) | (0x80u >> (i % 8)));
        }
    }
    return out;
}

std::optional<std::vector<bool>> decode_wanted_pieces(std::span<const char> payload,
                                                      int num_pieces) {
    if (num_pieces < 0 || payload.size() != (static_cast<std::size_t>(num_pieces) + 7) / 8) {
        return std::nullopt;
    }
    std::vector<bool> wanted(static_cast<std::size_t>(num_pieces));
    for (std::size_t i = 0; i < payload.size() * 8; ++i) {
        const bool bit = (static_cast<unsigned char>(payload[i / 8]) & (0x80u >> (i % 8))) != 0;
        if (i < wanted.size()) {
            wanted[i] = bit;
        } else if (bit) {
            return std::nullopt;
        }
    }
    return wanted;
}

std::string extended_message(int extension_id, const std::string& payload) {
    const std::uint32_t length = static_cast<std::uint32_t>(payload.size() + 2);
    std::string out;
    out.reserve(payload.size() + 6);
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((length >> shift) & 0xFF));
    }
    out.push_back(static_cast<char>(20));
    out.push_back(static_cast<char>(extension_id & 0xFF));
    out += payload;
    return out;
}

}  // namespace si
