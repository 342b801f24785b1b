#pragma once
// SHA-256 (FIPS 180-4) of bytes given in parts, by OpenSSL's libcrypto, which uses the CPU's
// SHA extensions where it has them. The tree manifest's content digests
// (common/tree_manifest.hpp) and the unpacker's digests of the files it writes
// (agent/stream_unpack.hpp) come from here, so the two always agree.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace si {

class Sha256 {
  public:
    Sha256();
    // Adds `bytes` bytes at `data`.
    void update(const void* data, std::size_t bytes);
    // Adds `bytes` zero bytes (a sparse file's holes).
    void update_zeros(std::int64_t bytes);
    // The digest as 64 lowercase hex digits. Call once; the object is spent after it.
    std::string final_hex();

  private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

// The SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace si
