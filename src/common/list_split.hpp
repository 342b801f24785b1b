#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace si {

struct SplitList {
    std::vector<std::string> items;  // in order, empty items and duplicates dropped
    bool had_spaces = false;         // blanks were found around or inside items
};

// Splits "a,b, c" or "a b c" (commas and/or blanks separate items).
SplitList split_list(std::string_view text);

}  // namespace si
