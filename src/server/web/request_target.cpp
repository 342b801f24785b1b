#include "server/web/request_target.hpp"

namespace si {
namespace {

// True when `s` starts with `prefix`, ignoring ASCII case (a URI's scheme is case-insensitive,
// RFC 3986 section 3.1).
bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != prefix[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

RequestTarget split_request_target(std::string_view target) {
    // absolute-form: scheme "://" authority [path] ["?" query]; the authority ends at the
    // first '/', '?' or '#' (RFC 3986 section 3.2).
    for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
        if (starts_with_nocase(target, scheme)) {
            std::string_view rest = target.substr(scheme.size());
            const std::size_t end = rest.find_first_of("/?#");
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
            if (rest.empty() || rest.front() != '/') {
                // No path: the page is "/" (RFC 7230 section 5.3.2's "/" for an empty path).
                const std::size_t q = rest.find('?');
                return {"/", q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1)};
            }
            target = rest;
            break;
        }
    }
    const std::size_t q = target.find('?');
    if (q == std::string_view::npos) {
        return {target, {}};
    }
    return {target.substr(0, q), target.substr(q + 1)};
}

std::string_view tracker_page(std::string_view path) {
    if (path == "/announce/") {
        return "/announce";
    }
    if (path == "/scrape/") {
        return "/scrape";
    }
    return path;
}

}  // namespace si
