#include "server/signing.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/file_io.hpp"
#include "common/monitor_auth.hpp"
#include "common/sha256.hpp"
#include "common/signed_claim.hpp"

namespace si {
namespace {

// The text of a key file; std::nullopt when an optional file is absent.
Result<std::optional<std::string>> read_key_file(const std::string& key, const std::string& path,
                                                 bool required,
                                                 std::vector<std::string>& warnings) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT && !required) {
            return std::optional<std::string>();
        }
        return Error{key + " " + path + ": " + std::strerror(errno) +
                         " (make one with si_btkey, or set " + key + "=none)",
                     ErrorKind::config};
    }
    if ((st.st_mode & 077) != 0) {
        warnings.push_back(key + " " + path + ": readable by others than its owner (chmod 600 it)");
    }
    auto text = read_text_file(path);
    if (!text) {
        return Error{key + " " + text.error().message, ErrorKind::config};
    }
    return std::optional<std::string>(std::move(*text));
}

}  // namespace

Result<ServerKeys> load_server_keys(const KeySettings& bt) {
    ServerKeys keys;
    if (!bt.signing_key.empty()) {
        auto text =
            read_key_file("BT_SIGNING_KEY", bt.signing_key, bt.signing_key_required, keys.warnings);
        if (!text) {
            return text.error();
        }
        if (*text) {
            auto k = parse_secret_key(**text, bt.signing_key);
            if (!k) {
                return Error{"BT_SIGNING_KEY " + k.error().message, ErrorKind::config};
            }
            keys.signing = *k;
            keys.signing_file = bt.signing_key;
        }
    }
    if (!bt.monitor_key.empty()) {
        auto text =
            read_key_file("BT_MONITOR_KEY", bt.monitor_key, bt.monitor_key_required, keys.warnings);
        if (!text) {
            return text.error();
        }
        if (*text) {
            auto k = parse_monitor_key(**text, bt.monitor_key);
            if (!k) {
                return Error{"BT_MONITOR_KEY " + k.error().message, ErrorKind::config};
            }
            keys.monitor_key = *k;
            keys.monitor_file = bt.monitor_key;
        }
    }
    return keys;
}

Status write_torrent_signature(const SecretKey& key, PackKind kind, const std::string& name,
                               const std::string& torrent_path, const std::string& info_hash_hex) {
    auto bytes = read_text_file(torrent_path);
    if (!bytes) {
        return bytes.error();
    }
    struct stat st {};
    SignedClaim claim;
    claim.kind = std::string(kind_word(kind));
    claim.name = name;
    claim.file = std::filesystem::path(torrent_path).filename().string();
    claim.digest = info_hash_hex;
    claim.time =
        ::stat(torrent_path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_mtime) : 0;
    auto sig = sign_file(key, *bytes, claim_text(claim),
                         "signature from si_btd, key " + key_id_text(key.id));
    if (!sig) {
        return sig.error();
    }
    return write_file_atomically(torrent_path + std::string(signature_suffix), *sig, 0644);
}

void remove_torrent_signature(const std::string& torrent_path) {
    std::error_code ec;
    std::filesystem::remove(torrent_path + std::string(signature_suffix), ec);
}

Result<std::string> layout_signature(const SecretKey& key, const std::string& name,
                                     const std::string& layout_text, std::int64_t time) {
    SignedClaim claim;
    claim.kind = "layout";
    claim.name = name;
    claim.digest = sha256_hex(layout_text);
    claim.time = time;
    return sign_file(key, layout_text, claim_text(claim),
                     "signature from si_btd, key " + key_id_text(key.id));
}

}  // namespace si
