#include "common/wanted_pieces_message.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

std::span<const char> bytes(const std::string& s) {
    return {s.data(), s.size()};
}

TEST(WantedPiecesMessage, LaysPiecesOutAsABitfieldMessage) {
    // BEP 3: piece 0 is the high bit of the first byte
    const std::vector<bool> wanted{true,  false, false, false, false,
                                   false, false, true,  false, true};
    const std::string payload = encode_wanted_pieces(wanted);
    ASSERT_EQ(payload.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(payload[0]), 0x81);
    EXPECT_EQ(static_cast<unsigned char>(payload[1]), 0x40);
}

TEST(WantedPiecesMessage, RoundTripsEveryLength) {
    for (int n : {0, 1, 7, 8, 9, 4412}) {
        std::vector<bool> wanted(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            wanted[static_cast<std::size_t>(i)] = (i * 7) % 3 == 0;
        }
        const std::string payload = encode_wanted_pieces(wanted);
        auto back = decode_wanted_pieces(bytes(payload), n);
        ASSERT_TRUE(back.has_value()) << n;
        EXPECT_EQ(*back, wanted) << n;
    }
}

TEST(WantedPiecesMessage, RefusesAPayloadForAnotherTorrent) {
    const std::string payload = encode_wanted_pieces(std::vector<bool>(16, true));
    EXPECT_FALSE(decode_wanted_pieces(bytes(payload), 17).has_value());  // one byte short
    EXPECT_FALSE(decode_wanted_pieces(bytes(payload), 8).has_value());   // one byte too many
    EXPECT_FALSE(decode_wanted_pieces(bytes(payload), -1).has_value());
    EXPECT_TRUE(decode_wanted_pieces(bytes(payload), 16).has_value());
}

TEST(WantedPiecesMessage, RefusesASpareBitSet) {
    const std::string payload(1, static_cast<char>(0x01));  // bit 7 of 5 pieces
    EXPECT_FALSE(decode_wanted_pieces(bytes(payload), 5).has_value());
    EXPECT_TRUE(decode_wanted_pieces(bytes(payload), 8).has_value());
}

TEST(WantedPiecesMessage, FramesAnExtendedMessage) {
    const std::string m = extended_message(wanted_pieces_extension_id, "ab");
    ASSERT_EQ(m.size(), 8u);
    EXPECT_EQ(m.substr(0, 4), std::string("\0\0\0\4", 4));  // id, extension id, 2 bytes
    EXPECT_EQ(m[4], 20);                                    // BEP 10's message id
    EXPECT_EQ(m[5], static_cast<char>(wanted_pieces_extension_id));
    EXPECT_EQ(m.substr(6), "ab");
}

}  // namespace
}  // namespace si
