#pragma once
// The node's side of si_wanted (common/wanted_pieces_message.hpp): a libtorrent torrent plugin
// that tells every peer which names the message in its extension handshake (BEP 10: the image
// server's seeder) which pieces this node wants, again whenever that changes. A node that
// holds an earlier version of a delta-ready image wants only the pieces of what changed; the
// server's super-seeder then offers it only those.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <libtorrent/download_priority.hpp>
#include <libtorrent/extensions.hpp>
#include <libtorrent/torrent_handle.hpp>

namespace si {

// What the node wants of one torrent: set by the agent's transfer loop, read by libtorrent's
// network thread.
class WantedPieces {
  public:
    // The torrent's piece priorities, as given to torrent_handle::prioritize_pieces: a piece
    // is wanted when its priority is not dont_download.
    void publish(const std::vector<lt::download_priority_t>& priorities);

    // The si_wanted payload when it changed since version `seen` (then `seen` is updated);
    // nullopt when nothing was published after it.
    std::optional<std::string> newer_than(std::uint64_t& seen) const;

  private:
    mutable std::mutex mu_;
    std::uint64_t version_ = 0;  // 0: nothing published yet
    std::string payload_;
};

// For add_torrent_params::extensions: the plugin that tells peers what `wanted` holds.
std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
wanted_pieces_plugin(std::shared_ptr<const WantedPieces> wanted);

}  // namespace si
