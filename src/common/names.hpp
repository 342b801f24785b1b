#pragma once
// File names shared by server and agent, as the original SystemImager laid them out:
// image-<name>.tar[.gz], override-<name>.tar[.gz], and the torrent as <tarball>.torrent.
#include <string>
#include <string_view>

namespace si {

enum class Compression { none, gzip, zstd };
enum class PackKind { image, override_ };

// ".tar", ".tar.gz" or ".tar.zst".
std::string_view tarball_suffix(Compression c);
// "image-<name>.tar.gz" and the like.
std::string tarball_name(PackKind kind, std::string_view name, Compression c);
// "<tarball>.torrent".
std::string torrent_name(std::string_view tarball);
std::string_view kind_word(PackKind kind);  // "image" or "override"

// Image and override names become file names and URL parts: letters, digits and . _ + -,
// not starting with '.' or '-'. Returns false for anything else.
bool is_valid_image_name(std::string_view name);

}  // namespace si
