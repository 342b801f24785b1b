// libFuzzer target: a .minisig signature file as the agent fetches it from the image server
// beside a .torrent or a layout, checked against a trusted key (common/minisign.hpp), and the
// same bytes read as a public key file. A signature file that verifies must have been made
// with the secret key: with random bytes, none may.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/minisign.hpp"

namespace {

const std::vector<si::PublicKey>& trusted() {
    static const std::vector<si::PublicKey> keys = [] {
        auto k = si::make_secret_key();
        if (!k) {
            std::abort();
        }
        return std::vector<si::PublicKey>{k->pub};
    }();
    return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (si::verify_file(bytes, "image-a.tar.gz.torrent", trusted())) {
        std::abort();  // a forgery of a key made in this process
    }
    if (auto pub = si::parse_public_key(bytes, "fuzz")) {
        (void)si::key_id_text(pub->id);
        if (si::parse_public_key(si::public_key_text(*pub), "fuzz").value().key != pub->key) {
            std::abort();
        }
    }
    (void)si::parse_secret_key(bytes, "fuzz");
    return 0;
}
