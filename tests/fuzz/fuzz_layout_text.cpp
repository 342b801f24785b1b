// libFuzzer target: the disk layout text a blank node fetches from /layouts/<image>
// (common/disk_layout.hpp). A layout that parses is written out and read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/disk_layout.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto layout = si::parse_layout_text(text, "/layouts/fuzz");
    if (layout) {
        const std::string written = si::layout_text(*layout);
        auto again = si::parse_layout_text(written, "/layouts/fuzz");
        if (!again || si::layout_text(*again) != written) {
            std::abort();
        }
    }
    return 0;
}
