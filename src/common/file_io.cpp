#include "common/file_io.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace si {

int write_all(int fd, std::span<const char> bytes) {
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno;
        }
        if (n == 0) {
            return EIO;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return 0;
}

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{path + ": " + std::strerror(errno)};
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        return Error{path + ": read error"};
    }
    return ss.str();
}

}  // namespace si
