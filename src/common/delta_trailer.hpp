#pragma once
// The end of a delta-ready tarball: two zstd skippable frames after the tar stream's last
// frame, which every zstd decoder (and so `tar --zstd`, libarchive, foreign clients) passes
// over (RFC 8878, 3.1.2: magic 0x184D2A5? little-endian, a 4-byte little-endian payload size,
// the payload):
//   the manifest frame: magic delta_manifest_magic, payload = the delta manifest's text
//     (common/delta_manifest.hpp) compressed as one zstd frame;
//   the locator frame, the stream's last delta_locator_bytes: magic delta_locator_magic,
//     payload "SIDELTA1", then the manifest frame's offset and length in bytes, each 8 bytes
//     little-endian.
// A node reads the locator from the last piece(s), then the pieces that hold the manifest
// frame: both lie inside the torrent, so their piece hashes vouch for them.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

inline constexpr std::uint32_t delta_manifest_magic = 0x184D2A5E;
inline constexpr std::uint32_t delta_locator_magic = 0x184D2A5F;
inline constexpr std::size_t skippable_header_bytes = 8;
inline constexpr std::size_t delta_locator_bytes = skippable_header_bytes + 24;
inline constexpr std::uint32_t max_skippable_payload = 0xFFFFFFFFu;

// A zstd skippable frame holding `payload` (at most max_skippable_payload bytes).
std::string skippable_frame(std::uint32_t magic, std::string_view payload);

// The locator frame for a manifest frame at [offset, offset + length) of the stream.
std::string delta_locator_frame(std::int64_t offset, std::int64_t length);

struct DeltaLocator {
    std::int64_t offset = 0;  // the manifest frame's first byte in the stream
    std::int64_t length = 0;  // its bytes, header included
};

// Reads the locator from the stream's last delta_locator_bytes (`tail`) of a stream of
// `stream_bytes`. Fails with ErrorKind::bad_data when the tail is no locator ("not a
// delta-ready image: no locator at its end") or points outside the stream.
Result<DeltaLocator> parse_delta_locator(std::span<const char> tail, std::int64_t stream_bytes);

// The payload of the manifest frame `frame` (its whole bytes, as the locator gives them).
// Fails with ErrorKind::bad_data when the header's magic or size do not match.
Result<std::string_view> delta_manifest_payload(std::span<const char> frame);

}  // namespace si
