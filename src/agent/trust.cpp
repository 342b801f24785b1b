#include "agent/trust.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "common/file_io.hpp"
#include "common/monitor_auth.hpp"
#include "http_get.hpp"

namespace si {
namespace {

// A signature file is four short lines; anything much bigger is not one.
constexpr std::uint64_t max_signature_bytes = 4096;
constexpr auto signature_timeout = std::chrono::seconds(10);

Error untrusted(std::string what) {
    return Error{std::move(what), ErrorKind::untrusted};
}

}  // namespace

Result<std::vector<PublicKey>> load_trusted_keys(const std::string& dir, bool required) {
    std::error_code ec;
    std::vector<std::string> files;
    if (!std::filesystem::is_directory(dir, ec)) {
        if (required) {
            return untrusted("trusted keys: " + dir + " is not a directory");
        }
        return std::vector<PublicKey>{};
    }
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".pub") {
            files.push_back(e.path().string());
        }
    }
    if (ec) {
        return untrusted("trusted keys: " + dir + ": " + ec.message());
    }
    std::sort(files.begin(), files.end());
    std::vector<PublicKey> keys;
    for (const std::string& f : files) {
        auto text = read_text_file(f);
        if (!text) {
            return untrusted("trusted keys: " + text.error().message);
        }
        auto k = parse_public_key(*text, f);
        if (!k) {
            return untrusted("trusted keys: " + k.error().message);
        }
        keys.push_back(*k);
    }
    return keys;
}

Result<std::string> load_monitor_key(const std::string& file, bool required) {
    std::error_code ec;
    if (!required && !std::filesystem::exists(file, ec)) {
        return std::string();
    }
    auto text = read_text_file(file);
    if (!text) {
        return untrusted("monitor key: " + text.error().message);
    }
    auto key = parse_monitor_key(*text, file);
    if (!key) {
        return untrusted("monitor key: " + key.error().message);
    }
    return key;
}

Result<std::optional<SignedClaim>> check_signed(const AgentSettings& s, const ServerAddress& server,
                                                const std::vector<PublicKey>& keys,
                                                const std::string& bind, const std::string& target,
                                                std::string_view bytes, std::string_view kind,
                                                std::string_view name, std::string_view digest,
                                                Logger& log) {
    const std::string what = std::string(kind) + " '" + std::string(name) + "'";
    const std::string sig_target = target + std::string(signature_suffix);
    if (keys.empty()) {
        log.warn("UNVERIFIED: " + what + " (" + target +
                 ") accepted without a signature check: this initrd trusts no key");
        return std::optional<SignedClaim>();
    }
    const auto start = std::chrono::steady_clock::now();
    auto got = http_get(server.address, server.port != 0 ? server.port : s.tracker_port, sig_target,
                        bind, signature_timeout, max_signature_bytes);
    if (!got) {
        if (got.error().kind == ErrorKind::bad_data) {
            return untrusted(what + ": " + sig_target + ": " + got.error().message);
        }
        return Error{what + ": GET " + sig_target + ": " + got.error().message,
                     ErrorKind::unreachable};
    }
    if (got->status != 200) {
        return untrusted(what + ": " + sig_target + " is not signed (HTTP " +
                         std::to_string(got->status) +
                         ") and this initrd trusts only signed images (BT_SIGNING_KEY on the "
                         "server?)");
    }
    auto verified = verify_file(got->body, bytes, keys);
    if (!verified) {
        return untrusted(what + ": " + sig_target + ": " + verified.error().message);
    }
    auto claim = parse_claim(verified->trusted_comment);
    if (!claim) {
        return untrusted(what + ": " + sig_target + ": " + claim.error().message);
    }
    if (auto st = check_claim(*claim, kind, name, digest); !st) {
        return untrusted(what + ": " + sig_target + ": " + st.error().message);
    }
    // The whole cost of the check (the signature's GET included), for the log and
    // bench/signing_bench.py.
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.2f", ms);
    log.info("signed: " + what + " (" + target + ") by key " + key_id_text(verified->key_id) +
             ", " + (claim->kind == "layout" ? "sha256 " : "info-hash ") + claim->digest +
             "; checked in " + took + " ms");
    return std::optional<SignedClaim>(std::move(*claim));
}

}  // namespace si
