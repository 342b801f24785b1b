#pragma once
// The operator's page (src/server/www/), compiled into si_btd by cmake/EmbedFiles.cmake.
#include <span>
#include <string_view>

namespace si {

struct EmbeddedFile {
    std::string_view path;  // "/index.html"
    std::string_view content_type;
    std::string_view body;
};

std::span<const EmbeddedFile> embedded_www_files();

}  // namespace si
