#pragma once
// Which bytes of a file a GET asks for: the Range header of RFC 9110 section 14.2, as a web
// seed's client sends it (BEP 19: "Range: bytes=<first>-<last>" for each piece or run of
// pieces). Pure: the header's text and the file's size in, the answer out.
//
// Served: one range ("bytes=0-99", "bytes=100-", "bytes=-100"), with last-pos past the end
// cut to the last byte (section 14.1.1). Answered with the whole file (200), which section
// 14.2 allows a server to do with any Range it does not act on: no Range header, a unit other
// than bytes, a syntax error, several ranges, or an If-Range whose validator does not match.
// Unsatisfiable (416, section 15.5.17): a single range whose first byte is past the end, or a
// suffix of zero bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace si {

enum class RangeAnswer {
    whole,          // 200: the whole file
    partial,        // 206: `first` .. `first + length - 1`
    unsatisfiable,  // 416, with "Content-Range: bytes */<size>"
};

struct ByteRangeDecision {
    RangeAnswer answer = RangeAnswer::whole;
    std::uint64_t first = 0;   // first byte sent
    std::uint64_t length = 0;  // bytes sent (the file's size for `whole`)
};

// `range`: the Range header's value, nullopt when the request has none. `if_range_matches`:
// false when the request carries an If-Range whose validator is not the file's current one
// (then the Range is ignored: section 13.1.5). Never fails.
ByteRangeDecision decide_byte_range(std::optional<std::string_view> range, std::uint64_t size,
                                    bool if_range_matches = true);

// "bytes 0-99/1000" for a partial answer; "bytes */1000" for an unsatisfiable one; "" for whole.
std::string content_range(const ByteRangeDecision& d, std::uint64_t size);

}  // namespace si
