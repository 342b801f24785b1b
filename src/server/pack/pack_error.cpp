#include "server/pack/pack_error.hpp"

#include <zstd.h>

#include <utility>

namespace si {

Error pack_error(std::string msg) {
    return Error{std::move(msg), ErrorKind::io};
}

Status zstd_check(std::size_t rc, const char* what) {
    if (ZSTD_isError(rc)) {
        return pack_error(std::string("zstd ") + what + ": " + ZSTD_getErrorName(rc));
    }
    return Ok{};
}

}  // namespace si
