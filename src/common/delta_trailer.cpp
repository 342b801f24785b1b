#include "common/delta_trailer.hpp"

namespace si {
namespace {

constexpr std::string_view locator_tag = "SIDELTA1";

void put_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
        out += static_cast<char>((v >> (8 * i)) & 0xff);
    }
}

std::uint64_t get_le(std::span<const char> in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
        v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
    }
    return v;
}

Error bad(const std::string& what) {
    return Error{"not a delta-ready image: " + what, ErrorKind::bad_data};
}

}  // namespace

std::string skippable_frame(std::uint32_t magic, std::string_view payload) {
    std::string out;
    out.reserve(skippable_header_bytes + payload.size());
    put_le(out, magic, 4);
    put_le(out, payload.size(), 4);
    out += payload;
    return out;
}

std::string delta_locator_frame(std::int64_t offset, std::int64_t length) {
    std::string payload(locator_tag);
    put_le(payload, static_cast<std::uint64_t>(offset), 8);
    put_le(payload, static_cast<std::uint64_t>(length), 8);
    return skippable_frame(delta_locator_magic, payload);
}

Result<DeltaLocator> parse_delta_locator(std::span<const char> tail, std::int64_t stream_bytes) {
    if (tail.size() != delta_locator_bytes ||
        stream_bytes < static_cast<std::int64_t>(delta_locator_bytes)) {
        return bad("too short for a locator");
    }
    if (get_le(tail, 0, 4) != delta_locator_magic || get_le(tail, 4, 4) != 24 ||
        std::string_view(tail.data() + 8, locator_tag.size()) != locator_tag) {
        return bad("no locator at its end");
    }
    DeltaLocator loc;
    loc.offset = static_cast<std::int64_t>(get_le(tail, 16, 8));
    loc.length = static_cast<std::int64_t>(get_le(tail, 24, 8));
    const std::int64_t limit = stream_bytes - static_cast<std::int64_t>(delta_locator_bytes);
    if (loc.offset < 0 || loc.length < static_cast<std::int64_t>(skippable_header_bytes) ||
        loc.offset > limit || loc.length > limit - loc.offset) {
        return bad("its locator points outside the stream");
    }
    return loc;
}

Result<std::string_view> delta_manifest_payload(std::span<const char> frame) {
    if (frame.size() < skippable_header_bytes || get_le(frame, 0, 4) != delta_manifest_magic) {
        return bad("no manifest frame where the locator points");
    }
    if (get_le(frame, 4, 4) != frame.size() - skippable_header_bytes) {
        return bad("the manifest frame's size does not match its locator");
    }
    return std::string_view(frame.data() + skippable_header_bytes,
                            frame.size() - skippable_header_bytes);
}

}  // namespace si
