#pragma once
// What the initrd trusts (build-initrd --trust-key, --monitor-key), and the check of what the
// image server sends against it before anything is written to a disk (docs/client-howto.md,
// "Signed images"):
//   - each .torrent (image and overrides) and the disk layout must come with a signature
//     (<served path>.minisig, common/minisign.hpp) by a trusted key, whose signed comment
//     (common/signed_claim.hpp) names this kind and name and this file's info-hash or
//     SHA-256;
//   - with no trusted key (an initrd built without --trust-key), unsigned ones are accepted
//     with a loud warning, as SystemImager always did.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/agent_settings.hpp"
#include "common/log.hpp"
#include "common/minisign.hpp"
#include "common/result.hpp"
#include "common/signed_claim.hpp"

namespace si {

// Where the initrd holds them (build-initrd writes them there).
inline constexpr const char* default_trusted_keys_dir = "/etc/si/trusted-keys";
inline constexpr const char* default_monitor_key_file = "/etc/si/monitor.key";

// Every *.pub in `dir` (minisign public keys). A missing `dir` is no key unless `required`.
// Fails (ErrorKind::untrusted: the agent cannot tell what to trust, so it trusts nothing)
// with "trusted keys: /etc/si/trusted-keys/a.pub: not a minisign public key (...)".
Result<std::vector<PublicKey>> load_trusted_keys(const std::string& dir, bool required);

// The cluster key's raw bytes from `file` (common/monitor_auth.hpp); "" when `file` is
// missing and not `required`. Fails (ErrorKind::untrusted) on a bad or unreadable file.
Result<std::string> load_monitor_key(const std::string& file, bool required);

// Checks `bytes`, served at `target` ("/torrents/<file>" or "/layouts/<image>"), against
// `keys`: fetches <target>.minisig from `server` (the image server that served `bytes`), verifies
// it and its claim (`kind` "image", "override" or "layout", `name`, and `digest` the SHA-256 hex
// when not empty). Returns the verified claim, or nullopt with no keys (after a warning: unsigned
// is accepted). Fails (ErrorKind::untrusted) with one line: "image 'rhel5':
// /torrents/image-rhel5.tar.gz.torrent.minisig: signed by key 1A2B..., which is not trusted
// here (trusted: 3C4D...)", "... is not signed (HTTP 404) and this initrd trusts only signed
// images", or the transport's error (ErrorKind::unreachable).
Result<std::optional<SignedClaim>> check_signed(
    const AgentSettings& settings, const ServerAddress& server, const std::vector<PublicKey>& keys,
    const std::string& bind, const std::string& target, std::string_view bytes,
    std::string_view kind, std::string_view name, std::string_view digest, Logger& log);

}  // namespace si
