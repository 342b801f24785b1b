#include "common/signed_claim.hpp"

#include <charconv>
#include <map>

namespace si {
namespace {

bool is_hex(std::string_view s, std::size_t len) {
    if (s.size() != len) {
        return false;
    }
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

std::string_view digest_key(std::string_view kind) {
    return kind == "layout" ? "sha256" : "info_hash";
}

}  // namespace

std::string claim_text(const SignedClaim& c) {
    std::string out = std::string(claim_magic) + " kind=" + c.kind + " name=" + c.name;
    if (!c.file.empty()) {
        out += " file=" + c.file;
    }
    out += " " + std::string(digest_key(c.kind)) + "=" + c.digest;
    out += " time=" + std::to_string(c.time);
    return out;
}

Result<SignedClaim> parse_claim(std::string_view text) {
    const std::string shown(text.substr(0, 200));
    auto bad = [&](const std::string& why) {
        return Error{"the signed comment " + why + ": '" + shown + "'", ErrorKind::untrusted};
    };
    std::map<std::string, std::string, std::less<>> words;
    bool first = true;
    while (!text.empty()) {
        const auto sp = text.find(' ');
        const std::string_view w = text.substr(0, sp);
        text = sp == std::string_view::npos ? std::string_view() : text.substr(sp + 1);
        if (first) {
            if (w != claim_magic) {
                return bad("is not systemimager-bittorrent's");
            }
            first = false;
            continue;
        }
        const auto eq = w.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            return bad("has a word that is not key=value");
        }
        if (!words.emplace(std::string(w.substr(0, eq)), std::string(w.substr(eq + 1))).second) {
            return bad("repeats " + std::string(w.substr(0, eq)));
        }
    }
    if (first) {
        return bad("is empty");
    }
    SignedClaim c;
    c.kind = words["kind"];
    c.name = words["name"];
    if (c.kind != "image" && c.kind != "override" && c.kind != "layout") {
        return bad("has no kind=image|override|layout");
    }
    if (c.name.empty()) {
        return bad("has no name");
    }
    c.file = words["file"];
    c.digest = words[std::string(digest_key(c.kind))];
    if (!is_hex(c.digest, c.kind == "layout" ? 64 : 40)) {
        return bad("has no " + std::string(digest_key(c.kind)) + " in lowercase hex");
    }
    const std::string& t = words["time"];
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), c.time);
    if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
        return bad("has no time=<Unix seconds>");
    }
    return c;
}

Status check_claim(const SignedClaim& got, std::string_view kind, std::string_view name,
                   std::string_view digest) {
    if (got.kind != kind || got.name != name) {
        return Error{"signed for " + got.kind + " '" + got.name + "', not for " +
                         std::string(kind) + " '" + std::string(name) + "' (replayed?)",
                     ErrorKind::untrusted};
    }
    if (!digest.empty() && got.digest != digest) {
        return Error{"the signed " + std::string(digest_key(kind)) + " " + got.digest +
                         " is not this file's " + std::string(digest),
                     ErrorKind::untrusted};
    }
    return Ok{};
}

}  // namespace si
