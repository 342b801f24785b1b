#pragma once
// Reads shell-style KEY=value files (bittorrent.conf) the way /bin/sh would assign them:
// comments, blank lines, 'single' and "double" quotes, backslash escapes, line continuations,
// an optional leading `export`, and $VAR / ${VAR} from earlier lines.
// Parsing is apart from I/O: parse_shell_conf takes the text, load_shell_conf reads a file.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

struct Assignment {
    std::string key;
    std::string value;
    int line = 0;  // 1-based line where the assignment starts
};

struct ShellConf {
    std::string file;                     // the name used in messages
    std::vector<Assignment> assignments;  // in file order; a later one overrides an earlier one
    std::vector<std::string> warnings;    // "file:line: ..." lines worth showing

    // The last assignment of `key`, or nullptr.
    const Assignment* find(std::string_view key) const;
};

// Fails with "file:line: reason" on a line a shell would not read as an assignment
// (no '=', bad name, unterminated quote).
Result<ShellConf> parse_shell_conf(std::string_view text, std::string_view file);

// Reads and parses `path`; fails with "path: strerror" when it cannot be read.
Result<ShellConf> load_shell_conf(const std::string& path);

}  // namespace si
