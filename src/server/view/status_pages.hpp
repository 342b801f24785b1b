#pragma once
// The operator's view over HTTP, on the tracker's port (TrackerService::serve_pages):
//   GET /              the live page (src/server/www/, compiled in)
//   GET /app.js, /style.css
//   GET /status.json   status_view.hpp's document; ?history=1 adds each node's samples
//   GET /metrics       Prometheus text format 0.0.4
// Read-only: nothing here changes the daemon. Other paths are left to the tracker (404).
#include <functional>
#include <optional>
#include <string_view>

#include "server/view/status_view.hpp"
#include "server/web/http_reply.hpp"

namespace si {

class StatusPages {
  public:
    // `gather` builds the current status (on the tracker's thread, per request).
    using Gather = std::function<StatusInput()>;
    explicit StatusPages(Gather gather) : gather_(std::move(gather)) {}

    std::optional<HttpReply> handle(std::string_view path, std::string_view query) const;

  private:
    Gather gather_;
};

}  // namespace si
