// libFuzzer target: the bytes of an HTTP request to the tracker's port, along the path
// the web front (server/web_front.cpp) takes them: Beast's request parser with the tracker's limits
// (8 KiB of header, no body), then the request-target split into page and query
// (server/web/request_target.hpp), then the query of an announce or a scrape
// (server/tracker/announce_query.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http.hpp>

#include "server/tracker/announce_query.hpp"
#include "server/web/request_target.hpp"

namespace http = boost::beast::http;

namespace {

// As web_front.cpp's max_header_bytes.
constexpr std::uint32_t max_header_bytes = 8 * 1024;

void route(std::string_view target) {
    const si::RequestTarget t = si::split_request_target(target);
    // Views into the target, never beyond it.
    if (t.query.size() > target.size() ||
        (!t.query.empty() && (t.query.data() < target.data() ||
                              t.query.data() + t.query.size() > target.data() + target.size()))) {
        std::abort();
    }
    const std::string_view page = si::tracker_page(t.path);
    if (page == "/announce") {
        (void)si::parse_announce_query(t.query);
    } else if (page == "/scrape") {
        (void)si::parse_scrape_query(t.query);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // The target alone, whatever bytes it holds.
    route(bytes);
    // The whole request through the parser.
    http::request_parser<http::empty_body> parser;
    parser.header_limit(max_header_bytes);
    parser.body_limit(0);
    boost::beast::error_code ec;
    std::size_t at = 0;
    while (at < size && !parser.is_done()) {
        const std::size_t used = parser.put(boost::asio::buffer(data + at, size - at), ec);
        if (ec == http::error::need_more) {
            break;
        }
        if (ec || used == 0) {
            break;
        }
        at += used;
    }
    if (!ec && parser.is_header_done()) {
        const auto target = parser.get().target();
        route({target.data(), target.size()});
    }
    return 0;
}
