#pragma once
// The operator tools' side of si_btd's status: GET <url>/status.json over plain HTTP (what
// status_pages.hpp serves on the tracker's port), for si_btstatus and si_btreimage.
#include <string>

#include "common/result.hpp"

namespace si {

// `url` is "http://HOST:PORT" (a trailing path is ignored). Returns the body of a 200 answer,
// bounded by 5 s in all. Fails with ErrorKind::usage for a URL that is not http://HOST:PORT,
// ErrorKind::unreachable for no answer or another status ("<url>/status.json: HTTP 404 ...").
Result<std::string> fetch_status(const std::string& url, const std::string& user_agent);

}  // namespace si
