#pragma once
// GET /layouts/<image> (the image's disk layout, for blank disks) from the image servers: first
// the one that gave the image's .torrent, then the others in IMAGESERVER's order
// (server_failover.hpp).
#include <cstddef>
#include <string>

#include "common/agent_settings.hpp"
#include "common/log.hpp"
#include "common/result.hpp"
#include "http_get.hpp"

namespace si {

// The first answer of status 200; when no server answers 200, the first other answer (a 404:
// the image carries no layout), for the caller to word. Fails (ErrorKind::unreachable) when no
// server answers at all within settings.server_timeout_s. `first` indexes
// settings.image_servers.
Result<HttpResponse> fetch_layout(const AgentSettings& settings, std::size_t first,
                                  const std::string& image, const std::string& bind_address,
                                  Logger& log);

}  // namespace si
