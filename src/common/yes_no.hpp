#pragma once
// The one reading of a yes/no value, for bittorrent.conf and the kernel command line alike.
#include <optional>
#include <string_view>

namespace si {

// true for y, yes, 1; false for n, no, 0 (any case); nullopt for anything else.
std::optional<bool> parse_yes_no(std::string_view value);

}  // namespace si
