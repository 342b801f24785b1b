#include "server/web/byte_range.hpp"

#include <algorithm>
#include <charconv>

namespace si {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

// 1*DIGIT, nothing else; nullopt on anything else or on overflow.
std::optional<std::uint64_t> digits(std::string_view s) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

ByteRangeDecision whole(std::uint64_t size) {
    return {RangeAnswer::whole, 0, size};
}

}  // namespace

ByteRangeDecision decide_byte_range(std::optional<std::string_view> range, std::uint64_t size,
                                    bool if_range_matches) {
    if (!range || !if_range_matches) {
        return whole(size);
    }
    // ranges-specifier = range-unit "=" range-set (section 14.1.1); the unit is
    // case-insensitive.
    const std::string_view spec = trim(*range);
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos || !iequals(trim(spec.substr(0, eq)), "bytes")) {
        return whole(size);
    }
    const std::string_view set = trim(spec.substr(eq + 1));
    if (set.empty() || set.find(',') != std::string_view::npos) {
        return whole(size);  // several ranges (or an empty list): the whole file
    }
    const std::size_t dash = set.find('-');
    if (dash == std::string_view::npos) {
        return whole(size);
    }
    const std::string_view first_text = set.substr(0, dash);
    const std::string_view last_text = set.substr(dash + 1);
    if (first_text.empty()) {
        // suffix-range: the last N bytes.
        auto suffix = digits(last_text);
        if (!suffix) {
            return whole(size);
        }
        if (*suffix == 0 || size == 0) {
            return {RangeAnswer::unsatisfiable, 0, 0};
        }
        const std::uint64_t n = std::min(*suffix, size);
        return {RangeAnswer::partial, size - n, n};
    }
    auto first = digits(first_text);
    if (!first) {
        return whole(size);
    }
    std::uint64_t last = 0;
    if (last_text.empty()) {
        last = size == 0 ? 0 : size - 1;
    } else {
        auto l = digits(last_text);
        if (!l || *l < *first) {
            return whole(size);  // invalid range-spec: ignored
        }
        last = *l;
    }
    if (*first >= size) {
        return {RangeAnswer::unsatisfiable, 0, 0};
    }
    last = std::min(last, size - 1);
    return {RangeAnswer::partial, *first, last - *first + 1};
}

std::string content_range(const ByteRangeDecision& d, std::uint64_t size) {
    switch (d.answer) {
        case RangeAnswer::partial:
            return "bytes " + std::to_string(d.first) + "-" +
                   std::to_string(d.first + d.length - 1) + "/" + std::to_string(size);
        case RangeAnswer::unsatisfiable:
            return "bytes */" + std::to_string(size);
        case RangeAnswer::whole:
            break;
    }
    return "";
}

}  // namespace si
