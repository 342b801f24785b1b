#pragma once
// The pack room's error helpers: one place for the wording of a failed compression step.
#include <cstddef>
#include <string>

#include "common/result.hpp"

namespace si {

// An I/O-kind error of the pack (a compressor or stream that failed): "zstd compress: ...".
Error pack_error(std::string msg);

// Ok, or pack_error("zstd <what>: <libzstd's name for rc>") when `rc` is one of libzstd's error
// codes (ZSTD_isError).
Status zstd_check(std::size_t rc, const char* what);

}  // namespace si
