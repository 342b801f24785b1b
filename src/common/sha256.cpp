#include "common/sha256.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <new>
#include <string_view>

#include "common/hex_string.hpp"

namespace si {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
        throw std::bad_alloc();  // libcrypto fails here only when it cannot allocate
    }
}

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const {
    EVP_MD_CTX_free(ctx);
}

void Sha256::update(const void* data, std::size_t bytes) {
    EVP_DigestUpdate(ctx_.get(), data, bytes);
}

void Sha256::update_zeros(std::int64_t bytes) {
    static constexpr std::array<char, 64 * 1024> zeros{};
    while (bytes > 0) {
        const auto n = static_cast<std::size_t>(
            std::min<std::int64_t>(bytes, static_cast<std::int64_t>(zeros.size())));
        EVP_DigestUpdate(ctx_.get(), zeros.data(), n);
        bytes -= static_cast<std::int64_t>(n);
    }
}

std::string Sha256::final_hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md.data(), &len);
    return hex_string(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

std::string sha256_hex(std::string_view bytes) {
    Sha256 sha;
    sha.update(bytes.data(), bytes.size());
    return sha.final_hex();
}

}  // namespace si
