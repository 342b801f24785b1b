// libFuzzer target: the delta manifest and its locator, read by an agent from the end of a
// delta-ready image it downloads (common/delta_manifest.hpp, common/delta_trailer.hpp). A
// manifest that parses is written out and read back the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "common/delta_manifest.hpp"
#include "common/delta_trailer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const std::span<const char> span(bytes.data(), bytes.size());
    // The locator: the stream's last bytes, for a stream of a size the first bytes choose.
    std::uint64_t stream = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(size, 8); ++i) {
        stream = (stream << 8) | static_cast<std::uint8_t>(bytes[i]);
    }
    if (auto loc = si::parse_delta_locator(span, static_cast<std::int64_t>(stream >> 1))) {
        if (loc->offset < 0 || loc->length < 0) {
            std::abort();
        }
    }
    (void)si::delta_manifest_payload(span);
    auto m = si::parse_delta_manifest(bytes);
    if (m) {
        const std::string text = si::delta_manifest_text(*m);
        auto again = si::parse_delta_manifest(text);
        if (!again || si::delta_manifest_text(*again) != text) {
            std::abort();
        }
    }
    return 0;
}
