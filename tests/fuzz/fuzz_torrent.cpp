// libFuzzer target: the bytes of a .torrent as the agent receives them from the image server,
// through the agent's own check (agent/torrent_check.hpp), which hands them to libtorrent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/torrent_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto info = si::check_torrent(bytes, "image-a.tar.gz.torrent", "image-a.tar.gz");
    if (info) {
        // What the agent reads of an accepted torrent next.
        const lt::torrent_info& t = **info;
        if (t.num_files() != 1 || t.num_pieces() < 0) {
            std::abort();
        }
        (void)t.total_size();
        (void)t.piece_length();
        (void)t.trackers();
        for (int i = 0; i < t.num_pieces(); ++i) {
            (void)t.piece_size(lt::piece_index_t{i});
        }
    }
    return 0;
}
