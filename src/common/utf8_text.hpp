#pragma once
// Text received as raw bytes (a node's host name, an error line naming a Latin-1 file) made
// valid UTF-8, so that JSON, the status page and Prometheus labels can carry it. Pure.
#include <cstddef>
#include <string>
#include <string_view>

namespace si {

// U+FFFD REPLACEMENT CHARACTER, in UTF-8.
inline constexpr std::string_view utf8_replacement = "\xEF\xBF\xBD";

// `in` with each ill-formed sequence replaced by one U+FFFD: each "maximal subpart" of an
// ill-formed sequence, as the Unicode Standard recommends (chapter 3, "U+FFFD Substitution of
// Maximal Subparts"), so "caf\xe9" -> "caf\uFFFD". Overlong forms, surrogates (U+D800..DFFF)
// and code points above U+10FFFF are ill-formed (RFC 3629, section 3). Sets `*replaced` (when
// given) to whether anything was replaced.
std::string valid_utf8(std::string_view in, bool* replaced = nullptr);

// True when `in` is well-formed UTF-8.
bool is_valid_utf8(std::string_view in);

// The longest prefix of valid UTF-8 `in` of at most `max_bytes` bytes that does not cut a
// character in two: cutting a text to a byte limit keeps it valid.
std::string_view utf8_prefix(std::string_view in, std::size_t max_bytes);

}  // namespace si
