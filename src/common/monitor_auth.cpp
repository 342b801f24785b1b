#include "common/monitor_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/hex_string.hpp"

namespace si {
namespace {

constexpr std::size_t key_bytes = 32;
constexpr std::size_t mac_hex_digits = 64;

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
             &len) == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string_view report_auth_word(ReportAuth a) {
    switch (a) {
        case ReportAuth::unchecked:
            return "";
        case ReportAuth::ok:
            return "ok";
        case ReportAuth::missing:
            return "none";
        case ReportAuth::bad:
            return "bad";
    }
    return "bad";
}

std::string seal_report_line(std::string_view line, std::string_view key) {
    return std::string(line) + std::string(report_hmac_field) + hex_string(hmac_sha256(key, line));
}

ReportAuth check_report_line(std::string_view line, std::string_view key) {
    if (key.empty()) {
        return ReportAuth::unchecked;
    }
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    const auto at = line.rfind(report_hmac_field);
    if (at == std::string_view::npos) {
        return ReportAuth::missing;
    }
    const std::string_view given = line.substr(at + report_hmac_field.size());
    const std::string want = hex_string(hmac_sha256(key, line.substr(0, at)));
    if (given.size() != mac_hex_digits || want.size() != mac_hex_digits ||
        CRYPTO_memcmp(given.data(), want.data(), mac_hex_digits) != 0) {
        return ReportAuth::bad;
    }
    return ReportAuth::ok;
}

Result<std::string> parse_monitor_key(std::string_view text, std::string_view where) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    const Error bad{std::string(where) + ": not a monitor key (one line of " +
                        std::to_string(2 * key_bytes) + " hex digits; make one with si_btkey)",
                    ErrorKind::config};
    if (text.size() != 2 * key_bytes) {
        return bad;
    }
    std::string key;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = hex_digit_value(text[i]);
        const int lo = hex_digit_value(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return bad;
        }
        key += static_cast<char>(hi * 16 + lo);
    }
    return key;
}

Result<std::string> make_monitor_key_text() {
    unsigned char key[key_bytes];
    if (RAND_bytes(key, sizeof key) != 1) {
        return Error{"no random bytes from libcrypto (RAND_bytes)", ErrorKind::internal};
    }
    return hex_string(std::string_view(reinterpret_cast<const char*>(key), sizeof key)) + "\n";
}

}  // namespace si
