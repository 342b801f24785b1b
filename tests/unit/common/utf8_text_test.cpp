#include "common/utf8_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace si {
namespace {

const std::string fffd(utf8_replacement);

TEST(Utf8Text, ValidTextIsKeptAsIs) {
    for (const std::string& s : {std::string(""), std::string("node21"),
                                 std::string("caf\xc3\xa9"),            // é
                                 std::string("\xe2\x82\xac 5"),         // €
                                 std::string("\xf0\x9f\x96\xa5 rack"),  // U+1F5A5
                                 std::string("\xf4\x8f\xbf\xbf"),       // U+10FFFF
                                 std::string("tab\there", 8)}) {
        bool replaced = true;
        EXPECT_EQ(valid_utf8(s, &replaced), s);
        EXPECT_FALSE(replaced) << s;
        EXPECT_TRUE(is_valid_utf8(s)) << s;
    }
}

TEST(Utf8Text, Latin1BytesBecomeReplacementCharacters) {
    bool replaced = false;
    EXPECT_EQ(valid_utf8("caf\xe9", &replaced), "caf" + fffd);
    EXPECT_TRUE(replaced);
    EXPECT_EQ(valid_utf8("donn\xe9"
                         "es"),
              "donn" + fffd + "es");
    EXPECT_FALSE(is_valid_utf8("caf\xe9"));
}

TEST(Utf8Text, EachMaximalSubpartIsOneReplacement) {
    // The Unicode Standard's examples (chapter 3, U+FFFD substitution of maximal subparts).
    EXPECT_EQ(valid_utf8("\xc0\xaf"), fffd + fffd);                        // overlong: 2 bytes bad
    EXPECT_EQ(valid_utf8("\xe0\x80\xaf"), fffd + fffd + fffd);             // overlong 3-byte
    EXPECT_EQ(valid_utf8("\xed\xa0\x80"), fffd + fffd + fffd);             // a surrogate
    EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
    EXPECT_EQ(valid_utf8("\xe2\x82"), fffd);         // a truncated sequence is one
    EXPECT_EQ(valid_utf8("\xe2\x82x"), fffd + "x");  // ... and the next byte is kept
    EXPECT_EQ(valid_utf8("\xf0\x9f\x96"), fffd);
    EXPECT_EQ(valid_utf8("\x80\xbf"), fffd + fffd);  // lone continuation bytes
    EXPECT_EQ(valid_utf8("\xff\xfe"), fffd + fffd);
    EXPECT_TRUE(is_valid_utf8(valid_utf8("\xf8\x88\x80\x80\x80\xc3")));
}

TEST(Utf8Text, EveryByteStringComesOutValid) {
    // All strings of up to two bytes, and a few longer runs.
    for (int a = 0; a < 256; ++a) {
        for (int b = -1; b < 256; ++b) {
            std::string s(1, static_cast<char>(a));
            if (b >= 0) {
                s += static_cast<char>(b);
            }
            const std::string out = valid_utf8(s);
            ASSERT_TRUE(is_valid_utf8(out)) << a << " " << b;
            ASSERT_EQ(out == s, is_valid_utf8(s));
        }
    }
}

TEST(Utf8Text, PrefixNeverCutsACharacter) {
    const std::string s = "ab\xc3\xa9\xe2\x82\xac";  // a b é €: 2 + 2 + 3 bytes
    EXPECT_EQ(utf8_prefix(s, 100), s);
    EXPECT_EQ(utf8_prefix(s, 7), s);
    EXPECT_EQ(utf8_prefix(s, 6), "ab\xc3\xa9");
    EXPECT_EQ(utf8_prefix(s, 5), "ab\xc3\xa9");
    EXPECT_EQ(utf8_prefix(s, 4), "ab\xc3\xa9");
    EXPECT_EQ(utf8_prefix(s, 3), "ab");
    EXPECT_EQ(utf8_prefix(s, 0), "");
}

}  // namespace
}  // namespace si
