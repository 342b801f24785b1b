#pragma once
// The operator tools' side of si_btd's status: GET <url>/status.json over plain HTTP (what
// status_pages.hpp serves on the tracker's port), for si_btstatus and si_btreimage, and the
// operator's commands (POST, web_front.hpp).
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

// `url` is "http://HOST:PORT" (a trailing path is ignored). Returns the body of a 200 answer,
// bounded by 5 s in all. Fails with ErrorKind::usage for a URL that is not http://HOST:PORT,
// ErrorKind::unreachable for no answer or another status ("<url>/status.json: HTTP 404 ...").
Result<std::string> fetch_status(const std::string& url, const std::string& user_agent);

// `text` for a query value: every byte but RFC 3986's unreserved ones (section 2.3: letters,
// digits, "-._~") as %XX, "52:54" -> "52%3A54".
std::string percent_encode(std::string_view text);

// POST <url><target> (the operator's commands: "/nodes/forget?node=n7"), bounded by 5 s.
// Returns the body of a 200 answer (one line per thing done). Fails with ErrorKind::usage for a
// bad URL, ErrorKind::unreachable for no answer, ErrorKind::not_found for 404 (nothing matched),
// ErrorKind::usage for 403 (not asked from the image server itself) or 400; the message is the
// server's one line.
Result<std::string> send_command(const std::string& url, const std::string& target,
                                 const std::string& user_agent);

}  // namespace si
