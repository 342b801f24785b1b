#pragma once
#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace si {

// Room kept free beyond the tarballs, as the original asked of its staging area.
inline constexpr std::int64_t staging_slack_bytes = 100LL * 1024 * 1024;

// Where the tarballs are staged while they download and seed: `configured`
// (BITTORRENT_STAGING or --staging) when set (created if missing), else the first of /tmp and
// <root>/tmp with room for `bytes` + 100 MB. Fails (ErrorKind::no_space) with
// "no room to stage 2900 MiB: /tmp has 512 MiB free, /a/tmp has 100 MiB free".
Result<std::string> choose_staging(const std::string& configured, const std::string& root,
                                   std::int64_t bytes);

}  // namespace si
