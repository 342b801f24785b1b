#pragma once
// A one-shot HTTP/1.1 GET over Boost.Beast with a deadline, from a chosen source address.
#include <chrono>
#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace si {

struct HttpResponse {
    int status = 0;
    std::string body;
};

// Fails with "connect 10.0.0.1:6969: Connection refused" (or the time-out) on transport errors;
// any HTTP status is a success here. `bind_address` may be empty (any).
Result<HttpResponse> http_get(const std::string& host, std::uint16_t port,
                              const std::string& target, const std::string& bind_address,
                              std::chrono::milliseconds timeout);

}  // namespace si
