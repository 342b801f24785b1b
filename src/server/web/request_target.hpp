#pragma once
// The request-target of an HTTP request line split into path and query, as the tracker reads
// it. Both forms a client may send are taken (RFC 7230, section 5.3): origin-form
// ("/announce?info_hash=...") and absolute-form ("http://10.0.0.1:6969/announce?..."), which
// some clients and every proxy send; opentracker serves both. A path of "/announce/" or
// "/scrape/" (a trailing slash, as some .torrent makers write the URL) names the same page.
// Pure: bytes in, views into them out.
#include <string_view>

namespace si {

struct RequestTarget {
    std::string_view path;   // "/announce"; "/" for an absolute-form target with no path
    std::string_view query;  // what follows the first '?', without it; "" when none
};

// Splits `target`. Never fails: a target in neither form is returned as its own path (which
// matches no page and is answered 404). The fragment ("#...") is not sent by clients (RFC 7230
// section 5.1) and is left in the query when one is.
RequestTarget split_request_target(std::string_view target);

// The page `path` names, for the tracker's own pages: "/announce/" -> "/announce",
// "/scrape/" -> "/scrape"; any other path unchanged.
std::string_view tracker_page(std::string_view path);

}  // namespace si
