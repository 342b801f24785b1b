#include "common/yes_no.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace si {

std::optional<bool> parse_yes_no(std::string_view value) {
    std::string v(value);
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v == "y" || v == "yes" || v == "1") {
        return true;
    }
    if (v == "n" || v == "no" || v == "0") {
        return false;
    }
    return std::nullopt;
}

}  // namespace si
