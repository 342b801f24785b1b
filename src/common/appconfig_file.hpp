#pragma once
// Reads files the way Perl's AppConfig::File (libappconfig-perl 1.71, AppConfig/File.pm,
// parse()) did for SystemImager's own tools (SystemImager::Config reads systemimager.conf
// with it), so that an administrator's existing file means what it meant:
// - '#' at the start of a line or after whitespace starts a comment ("a#b" is a value);
//   "\#" is a literal '#';
// - a line ending in '\' (after its comment is removed) continues on the next line;
// - "KEY = value", "KEY=value" and "KEY value" all assign; leading and trailing blanks go;
//   one pair of matching quotes around the whole value is removed;
// - names are case-insensitive (AppConfig::State's default CASE => 0): stored lower-cased;
//   a leading '+' or '-' on the name is dropped; "[block]" prefixes later names "block_".
// Parsing only; the caller reads the file.
#include <string>
#include <string_view>
#include <vector>

namespace si {

struct AppConfigValue {
    std::string name;  // lower-cased, with its [block] prefix
    std::string value;
    int line = 0;  // 1-based line where it starts
};

struct AppConfigFile {
    std::vector<AppConfigValue> values;  // in file order; a later one overrides an earlier one
    std::vector<std::string> warnings;   // "file:line: ..." for lines AppConfig would ignore

    // The last value of `name` (any case), or nullptr.
    const AppConfigValue* find(std::string_view name) const;
};

// Never fails: AppConfig itself only warned about lines it could not use.
AppConfigFile parse_appconfig(std::string_view text, std::string_view file);

}  // namespace si
