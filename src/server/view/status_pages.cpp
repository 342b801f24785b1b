#include "server/view/status_pages.hpp"

#include "server/view/embedded_www.hpp"

namespace si {
namespace {

// The page runs only its own script and style; whatever a node put in its host name is
// shown as text (app.js uses textContent), and this forbids anything else loading.
constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

HttpReply reply(std::string content_type, std::string body) {
    HttpReply r{200, std::move(content_type), std::move(body), {}};
    r.headers = {{"Cache-Control", "no-store"},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Content-Security-Policy", content_security_policy}};
    return r;
}

bool query_has(std::string_view query, std::string_view param) {
    while (!query.empty()) {
        auto amp = query.find('&');
        if (query.substr(0, amp) == param) {
            return true;
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return false;
}

}  // namespace

std::optional<HttpReply> StatusPages::handle(std::string_view path, std::string_view query) const {
    if (path == "/status.json") {
        return reply("application/json", status_json(gather_(), query_has(query, "history=1")));
    }
    if (path == "/metrics") {
        return reply("text/plain; version=0.0.4; charset=utf-8", metrics_text(gather_()));
    }
    if (path == "/") {
        path = "/index.html";
    }
    for (const EmbeddedFile& f : embedded_www_files()) {
        if (f.path == path) {
            return reply(std::string(f.content_type), std::string(f.body));
        }
    }
    return std::nullopt;
}

}  // namespace si
