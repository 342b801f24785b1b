#include "layout_fetch.hpp"

#include <optional>

#include "server_failover.hpp"

namespace si {

// One request may wait this long for each part of the reply (http_get.hpp).
constexpr std::chrono::seconds layout_request_timeout{20};

Result<HttpResponse> fetch_layout(const AgentSettings& s, std::size_t first,
                                  const std::string& image, const std::string& bind, Logger& log) {
    const std::string target = "/layouts/" + image;
    const std::vector<ServerAddress> servers = servers_starting_with(s.image_servers, first);
    std::optional<HttpResponse> ok, other;
    const auto ask = [&](const ServerAddress& server) -> ServerAnswer {
        auto got = http_get(server.address, server.port != 0 ? server.port : s.tracker_port, target,
                            bind, layout_request_timeout);
        if (!got) {
            return {Error{got.error().message, ErrorKind::unreachable}, true};
        }
        if (got->status == 200) {
            ok = std::move(*got);
            return {};
        }
        const int status = got->status;
        if (!other) {
            other = std::move(*got);
        }
        return {Error{"GET " + target + ": HTTP " + std::to_string(status), ErrorKind::not_found},
                false};
    };
    auto served = first_server_answering(servers, s.tracker_port,
                                         std::chrono::seconds(s.server_timeout_s), ask, log);
    if (served) {
        return std::move(*ok);
    }
    if (other) {
        return std::move(*other);
    }
    return served.error();
}

}  // namespace si
