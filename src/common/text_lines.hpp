#pragma once
// Walks a text file's lines, numbered from 1, without copying: '\n' ends a line, a '\r' before
// it is dropped, and a last line without '\n' still counts.
#include <string_view>

namespace si {

template <typename Fn>  // void fn(int line_number, std::string_view line)
void for_each_line(std::string_view text, Fn&& fn) {
    int line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            nl = text.size();
        }
        std::string_view line = text.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        fn(++line_no, line);
        pos = nl + 1;
    }
}

}  // namespace si
