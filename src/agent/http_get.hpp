#pragma once
// A one-shot HTTP/1.1 GET over Boost.Beast from a chosen source address, with an idle
// time-out: a reply that keeps arriving is not cut, one that stops is.
#include <chrono>
#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace si {

struct HttpResponse {
    int status = 0;
    std::string body;
};

// `timeout` bounds the connect and each wait for more bytes of the request or the reply; the
// whole exchange may take at most http_get_max_waits x `timeout`. A .torrent behind an image
// server's link busy with the swarm arrives slowly but steadily (64 nodes at 1 Mbit/s: 24 KB
// in about 12 s), which a deadline on the whole reply cut off while it was still coming.
// Fails with "connect 10.0.0.1:6969: Connection refused" or "read reply from 10.0.0.1:6969:
// timed out" on transport errors; any HTTP status is a success here. `bind_address` may be
// empty (any). A body over `body_limit` bytes (its Content-Length, or the bytes as they come)
// fails at once with ErrorKind::bad_data ("reply from 10.0.0.1:6969: body over 8388608
// bytes"): it is not what was asked for, and asking again would bring the same.
inline constexpr int http_get_max_waits = 12;
inline constexpr std::uint64_t http_get_default_body_limit = 32 * 1024 * 1024;
Result<HttpResponse> http_get(const std::string& host, std::uint16_t port,
                              const std::string& target, const std::string& bind_address,
                              std::chrono::milliseconds timeout,
                              std::uint64_t body_limit = http_get_default_body_limit);

}  // namespace si
