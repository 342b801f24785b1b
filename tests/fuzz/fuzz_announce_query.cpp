// libFuzzer target: the query string of an announce or a scrape, as any host that reaches the
// tracker's port may send it (server/tracker/announce_query.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/tracker/announce_query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view query(reinterpret_cast<const char*>(data), size);
    if (auto a = si::parse_announce_query(query)) {
        if (a->info_hash.size() != 20 || a->peer_id.size() != 20 || a->numwant < 0 ||
            a->numwant > si::max_numwant) {
            std::abort();
        }
    }
    if (auto s = si::parse_scrape_query(query)) {
        for (const std::string& h : s->info_hashes) {
            if (h.size() != 20) {
                std::abort();
            }
        }
    }
    return 0;
}
