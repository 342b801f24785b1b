#include "common/list_split.hpp"

#include <algorithm>

namespace si {

SplitList split_list(std::string_view text) {
    SplitList out;
    std::string current;
    auto flush = [&] {
        if (!current.empty() &&
            std::find(out.items.begin(), out.items.end(), current) == out.items.end()) {
            out.items.push_back(current);
        }
        current.clear();
    };
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n') {
            out.had_spaces = true;
            flush();
        } else if (c == ',') {
            flush();
        } else {
            current.push_back(c);
        }
    }
    flush();
    return out;
}

}  // namespace si
