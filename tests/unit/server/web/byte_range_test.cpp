#include "server/web/byte_range.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

constexpr std::uint64_t size = 1000;

void expect_partial(std::string_view header, std::uint64_t first, std::uint64_t length) {
    const ByteRangeDecision d = decide_byte_range(header, size);
    EXPECT_EQ(d.answer, RangeAnswer::partial) << header;
    EXPECT_EQ(d.first, first) << header;
    EXPECT_EQ(d.length, length) << header;
}

void expect_whole(std::optional<std::string_view> header) {
    const ByteRangeDecision d = decide_byte_range(header, size);
    EXPECT_EQ(d.answer, RangeAnswer::whole) << header.value_or("(none)");
    EXPECT_EQ(d.first, 0u);
    EXPECT_EQ(d.length, size);
}

void expect_unsatisfiable(std::string_view header, std::uint64_t file_size = size) {
    EXPECT_EQ(decide_byte_range(header, file_size).answer, RangeAnswer::unsatisfiable) << header;
}

// RFC 9110 section 14.1.2's examples, on a file of 1000 bytes... and 10000 for the last ones.
TEST(ByteRange, SingleRangesOfEachForm) {
    expect_partial("bytes=0-499", 0, 500);
    expect_partial("bytes=500-999", 500, 500);
    expect_partial("bytes=-500", 500, 500);
    expect_partial("bytes=900-", 900, 100);
    expect_partial("bytes=0-0", 0, 1);
    expect_partial("bytes=-1", 999, 1);
    // A web seed's request for one piece in the middle.
    expect_partial("bytes=16-31", 16, 16);
}

TEST(ByteRange, LastPastTheEndIsCutAndAHugeSuffixIsTheWholeFile) {
    expect_partial("bytes=900-5000", 900, 100);
    expect_partial("bytes=0-18446744073709551615", 0, 1000);
    expect_partial("bytes=-5000", 0, 1000);
}

TEST(ByteRange, UnitAndSpacesAsTheGrammarAllows) {
    expect_partial("Bytes=1-2", 1, 2);
    expect_partial(" bytes = 1-2 ", 1, 2);
}

TEST(ByteRange, PastTheEndIsUnsatisfiable) {
    expect_unsatisfiable("bytes=1000-");
    expect_unsatisfiable("bytes=1000-2000");
    expect_unsatisfiable("bytes=-0");
    expect_unsatisfiable("bytes=0-", 0);
    expect_unsatisfiable("bytes=-5", 0);
}

TEST(ByteRange, WhatIsNotActedOnGetsTheWholeFile) {
    expect_whole(std::nullopt);
    expect_whole("items=0-1");      // another unit
    expect_whole("bytes=5-1");      // last before first: invalid, ignored
    expect_whole("bytes=0-1,5-9");  // several ranges: the whole file (section 14.2 allows it)
    expect_whole("bytes=");         // empty set
    expect_whole("bytes=a-b");      // not digits
    expect_whole("bytes=1-2-3");    // not a range
    expect_whole("bytes=+1-2");     // a sign is not a digit
    expect_whole("bytes");          // no '='
    expect_whole("bytes=99999999999999999999-");  // overflow
    // If-Range that does not match: the whole (new) file, never a range of it.
    EXPECT_EQ(decide_byte_range("bytes=0-9", size, false).answer, RangeAnswer::whole);
}

TEST(ByteRange, ContentRangeOfEachAnswer) {
    EXPECT_EQ(content_range(decide_byte_range("bytes=0-499", size), size), "bytes 0-499/1000");
    EXPECT_EQ(content_range(decide_byte_range("bytes=-1", size), size), "bytes 999-999/1000");
    EXPECT_EQ(content_range(decide_byte_range("bytes=2000-", size), size), "bytes */1000");
    EXPECT_EQ(content_range(decide_byte_range(std::nullopt, size), size), "");
}

}  // namespace
}  // namespace si
