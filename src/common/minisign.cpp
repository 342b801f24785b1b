#include "common/minisign.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <memory>
#include <optional>

namespace si {
namespace {

constexpr std::size_t signature_bytes = 64;
constexpr std::string_view untrusted_prefix = "untrusted comment: ";
constexpr std::string_view trusted_prefix = "trusted comment: ";
// Algorithm tags of minisign's format: "Ed" keys and legacy signatures of the whole file,
// "ED" signatures of its BLAKE2b-512 (what we write).
constexpr std::string_view tag_key = "Ed";
constexpr std::string_view tag_prehashed = "ED";

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Error untrusted(std::string what) {
    return Error{std::move(what), ErrorKind::untrusted};
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return out;
}

// The bytes of one line of base64 (padding allowed); nullopt on anything else.
std::optional<std::string> unbase64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) {
        return std::nullopt;
    }
    // Padding (RFC 4648 section 4) is at most two '=' and only at the end: more made the
    // decoded length below wrap around (found by tests/fuzz/fuzz_minisig).
    const std::size_t data_chars = text.find_last_not_of('=') + 1;
    if (data_chars == 0 || text.size() - data_chars > 2) {
        return std::nullopt;
    }
    for (char c : text.substr(0, data_chars)) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok) {
            return std::nullopt;
        }
    }
    std::string out(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t len = static_cast<std::size_t>(n);
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) {
        --len;
    }
    out.resize(len);
    return out;
}

// The file's lines without their newlines (a last line without one counts).
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        out.push_back(line);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    }
    return out;
}

std::string_view bytes_of(const auto& array) {
    return {reinterpret_cast<const char*>(array.data()), array.size()};
}

template <std::size_t N>
void copy_into(std::array<std::uint8_t, N>& to, std::string_view from) {
    for (std::size_t i = 0; i < N; ++i) {
        to[i] = static_cast<std::uint8_t>(from[i]);
    }
}

Result<std::string> blake2b512(std::string_view message) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(message.data(), message.size(), out, &len, EVP_blake2b512(), nullptr) != 1) {
        return Error{"BLAKE2b-512 failed in libcrypto", ErrorKind::internal};
    }
    return std::string(reinterpret_cast<const char*>(out), len);
}

Result<std::string> ed25519_sign(const SecretKey& k, std::string_view message) {
    PkeyPtr pkey(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, k.seed.data(), k.seed.size()),
        EVP_PKEY_free);
    MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::string sig(signature_bytes, '\0');
    std::size_t len = sig.size();
    if (!pkey || !ctx ||
        EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1 ||
        len != signature_bytes) {
        return Error{"Ed25519 signing failed in libcrypto", ErrorKind::internal};
    }
    return sig;
}

bool ed25519_verify(const PublicKey& k, std::string_view sig, std::string_view message) {
    PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, k.key.data(), k.key.size()),
                 EVP_PKEY_free);
    MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    return pkey && ctx &&
           EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
           EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
                            sig.size(), reinterpret_cast<const unsigned char*>(message.data()),
                            message.size()) == 1;
}

// The base64 line of a key file: "Ed" || id || `payload` bytes.
Result<std::string> key_payload(std::string_view text, std::string_view where,
                                std::string_view what, std::size_t payload) {
    const auto lines = lines_of(text);
    const std::string bad = std::string(where) + ": not a " + std::string(what) +
                            " (want an 'untrusted comment:' line, then base64 of " +
                            std::to_string(2 + 8 + payload) + " bytes starting with Ed)";
    if (lines.size() < 2 || !lines[0].starts_with(untrusted_prefix)) {
        return Error{bad, ErrorKind::config};
    }
    auto raw = unbase64(lines[1]);
    if (!raw || raw->size() != 2 + 8 + payload || std::string_view(*raw).substr(0, 2) != tag_key) {
        return Error{bad, ErrorKind::config};
    }
    return std::move(*raw);
}

}  // namespace

std::string key_id_text(const KeyId& id) {
    char buf[17];
    for (std::size_t i = 0; i < id.size(); ++i) {
        std::snprintf(buf + 2 * i, 3, "%02X", id[id.size() - 1 - i]);
    }
    return std::string(buf, 16);
}

Result<SecretKey> make_secret_key() {
    SecretKey k;
    if (RAND_bytes(k.seed.data(), static_cast<int>(k.seed.size())) != 1 ||
        RAND_bytes(k.id.data(), static_cast<int>(k.id.size())) != 1) {
        return Error{"no random bytes from libcrypto (RAND_bytes)", ErrorKind::internal};
    }
    PkeyPtr pkey(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, k.seed.data(), k.seed.size()),
        EVP_PKEY_free);
    std::size_t len = k.pub.key.size();
    if (!pkey || EVP_PKEY_get_raw_public_key(pkey.get(), k.pub.key.data(), &len) != 1 ||
        len != k.pub.key.size()) {
        return Error{"Ed25519 key generation failed in libcrypto", ErrorKind::internal};
    }
    k.pub.id = k.id;
    return k;
}

std::string public_key_text(const PublicKey& k) {
    return std::string(untrusted_prefix) + "minisign public key " + key_id_text(k.id) + "\n" +
           base64(std::string(tag_key) + std::string(bytes_of(k.id)) +
                  std::string(bytes_of(k.key))) +
           "\n";
}

std::string secret_key_text(const SecretKey& k) {
    return std::string(untrusted_prefix) + "systemimager-bittorrent signing key " +
           key_id_text(k.id) + " (secret: keep it 0600, root only)\n" +
           base64(std::string(tag_key) + std::string(bytes_of(k.id)) +
                  std::string(bytes_of(k.seed)) + std::string(bytes_of(k.pub.key))) +
           "\n";
}

Result<PublicKey> parse_public_key(std::string_view text, std::string_view where) {
    auto raw = key_payload(text, where, "minisign public key", 32);
    if (!raw) {
        return raw.error();
    }
    PublicKey k;
    copy_into(k.id, std::string_view(*raw).substr(2, 8));
    copy_into(k.key, std::string_view(*raw).substr(10, 32));
    return k;
}

Result<SecretKey> parse_secret_key(std::string_view text, std::string_view where) {
    auto raw = key_payload(text, where, "signing key of si_btkey's", 64);
    if (!raw) {
        return raw.error();
    }
    SecretKey k;
    copy_into(k.id, std::string_view(*raw).substr(2, 8));
    copy_into(k.seed, std::string_view(*raw).substr(10, 32));
    copy_into(k.pub.key, std::string_view(*raw).substr(42, 32));
    k.pub.id = k.id;
    // The public half must be the seed's: a file cut and pasted wrongly would sign with one
    // key and publish another.
    auto check = ed25519_sign(k, "key check");
    if (!check || !ed25519_verify(k.pub, *check, "key check")) {
        return Error{std::string(where) + ": the public half does not belong to the secret one",
                     ErrorKind::config};
    }
    return k;
}

Result<std::string> sign_file(const SecretKey& key, std::string_view message,
                              std::string_view trusted_comment,
                              std::string_view untrusted_comment) {
    auto digest = blake2b512(message);
    if (!digest) {
        return digest.error();
    }
    auto sig = ed25519_sign(key, *digest);
    if (!sig) {
        return sig.error();
    }
    auto global = ed25519_sign(key, *sig + std::string(trusted_comment));
    if (!global) {
        return global.error();
    }
    return std::string(untrusted_prefix) + std::string(untrusted_comment) + "\n" +
           base64(std::string(tag_prehashed) + std::string(bytes_of(key.id)) + *sig) + "\n" +
           std::string(trusted_prefix) + std::string(trusted_comment) + "\n" + base64(*global) +
           "\n";
}

Result<VerifiedFile> verify_file(std::string_view signature, std::string_view message,
                                 const std::vector<PublicKey>& trusted) {
    const auto lines = lines_of(signature);
    if (lines.size() < 4 || !lines[0].starts_with(untrusted_prefix) ||
        !lines[2].starts_with(trusted_prefix)) {
        return untrusted(
            "the signature file is not minisign's format (4 lines: comment, "
            "signature, trusted comment, its signature)");
    }
    auto sig = unbase64(lines[1]);
    auto global = unbase64(lines[3]);
    if (!sig || sig->size() != 2 + 8 + signature_bytes || !global ||
        global->size() != signature_bytes) {
        return untrusted("the signature file is not minisign's format (bad base64 lines)");
    }
    const std::string_view tag = std::string_view(*sig).substr(0, 2);
    if (tag != tag_prehashed && tag != tag_key) {
        return untrusted("the signature file names an algorithm other than Ed25519");
    }
    VerifiedFile out;
    copy_into(out.key_id, std::string_view(*sig).substr(2, 8));
    const PublicKey* key = nullptr;
    std::string known;
    for (const PublicKey& k : trusted) {
        known += (known.empty() ? "" : ", ") + key_id_text(k.id);
        if (k.id == out.key_id) {
            key = &k;
        }
    }
    if (key == nullptr) {
        return untrusted(
            "signed by key " + key_id_text(out.key_id) +
            ", which is not trusted here (trusted: " + (known.empty() ? "none" : known) + ")");
    }
    const std::string_view raw_sig = std::string_view(*sig).substr(10);
    std::string signed_bytes;
    if (tag == tag_prehashed) {
        auto digest = blake2b512(message);
        if (!digest) {
            return digest.error();
        }
        signed_bytes = std::move(*digest);
    } else {
        signed_bytes = std::string(message);
    }
    if (!ed25519_verify(*key, raw_sig, signed_bytes)) {
        return untrusted("the signature by key " + key_id_text(key->id) +
                         " does not match the file (altered in transit, or another file's)");
    }
    const std::string_view comment = lines[2].substr(trusted_prefix.size());
    if (!ed25519_verify(*key, *global, std::string(raw_sig) + std::string(comment))) {
        return untrusted(
            "the trusted comment's signature does not verify (the comment was "
            "altered)");
    }
    out.trusted_comment = std::string(comment);
    return out;
}

}  // namespace si
