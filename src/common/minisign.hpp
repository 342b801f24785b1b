#pragma once
// Ed25519 signatures in minisign's file format, so that a person can check what si_btd signs
// with the standard tool: `minisign -V -p <key>.pub -m <file> -x <file>.minisig` (minisign
// 0.11, Debian's `minisign` package; the format is its README's "Signature format").
//
//   public key file:  "untrusted comment: <text>\n" base64("Ed" || key id[8] || key[32]) "\n"
//   signature file:   "untrusted comment: <text>\n" base64("ED" || key id[8] || sig[64]) "\n"
//                     "trusted comment: <text>\n" base64(global sig[64]) "\n"
//
// "ED" signs BLAKE2b-512 of the file (minisign's pre-hashed mode, its default since 0.10); the
// global signature signs sig[64] || the trusted comment, so the comment (what si_btd says the
// file is: common/signed_claim.hpp) cannot be changed without the secret key. The secret key
// file is ours (minisign's needs BLAKE2b-256, which OpenSSL 3.0 does not offer unkeyed):
//   "untrusted comment: <text>\n" base64("Ed" || key id[8] || seed[32] || key[32]) "\n"
// Ed25519, BLAKE2b and the random key come from OpenSSL's libcrypto, which both si_btd and the
// static agent link already (libtorrent needs it).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

inline constexpr std::string_view signature_suffix = ".minisig";

using KeyId = std::array<std::uint8_t, 8>;

struct PublicKey {
    KeyId id{};
    std::array<std::uint8_t, 32> key{};
};

struct SecretKey {
    KeyId id{};
    std::array<std::uint8_t, 32> seed{};
    PublicKey pub;
};

// The key id as minisign prints it: 16 uppercase hex digits (the 8 bytes read little-endian).
std::string key_id_text(const KeyId& id);

// A new key pair with a random key id. Fails (ErrorKind::internal) only when the system has no
// randomness to give.
Result<SecretKey> make_secret_key();

// The files' text, each ending with a newline.
std::string public_key_text(const PublicKey& k);
std::string secret_key_text(const SecretKey& k);

// Parse the files. `where` names the file in the errors (ErrorKind::config): "<where>: not a
// minisign public key (the second line is not base64 of 42 bytes starting with Ed)".
Result<PublicKey> parse_public_key(std::string_view text, std::string_view where);
Result<SecretKey> parse_secret_key(std::string_view text, std::string_view where);

// The signature file of `message`, with `trusted_comment` (one line, no control bytes) signed
// along, and `untrusted_comment` as its first line's text. Fails (ErrorKind::internal) when
// libcrypto does.
Result<std::string> sign_file(const SecretKey& key, std::string_view message,
                              std::string_view trusted_comment, std::string_view untrusted_comment);

struct VerifiedFile {
    std::string trusted_comment;
    KeyId key_id{};
};

// Checks `signature` (a signature file's text) for `message` against `trusted`, the keys
// whose id matches tried. Fails (ErrorKind::untrusted) with one phrase: "the signature file
// is not minisign's format", "signed by key 1A2B..., which is not trusted here (trusted:
// 3C4D...)", "the signature does not match the file (altered in transit?)", "the trusted
// comment's signature does not verify".
Result<VerifiedFile> verify_file(std::string_view signature, std::string_view message,
                                 const std::vector<PublicKey>& trusted);

}  // namespace si
