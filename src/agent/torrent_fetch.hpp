#pragma once
// Fetches the .torrent of an image or override from the image server's /torrents/, retrying
// with backoff while the server does not answer, and checks it before anyone trusts it. With
// several image servers (IMAGESERVER=a,b), from the first that serves it, in the order given
// (server_failover.hpp); the log says which one.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <libtorrent/torrent_info.hpp>

#include "common/agent_settings.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/result.hpp"

namespace si {

struct FetchedTorrent {
    std::string file_name;  // e.g. image-rhel5.tar.gz.torrent
    std::string tarball;    // e.g. image-rhel5.tar.gz (the torrent's single file)
    std::shared_ptr<const lt::torrent_info> info;
    std::size_t server = 0;  // which of settings.image_servers gave it
    std::string bytes;       // the .torrent as served: what its signature covers (agent/trust.hpp)
};

// Fails with ErrorKind::unreachable ("image server 10.0.0.1:6969 unreachable for 120 s:
// Connection refused"), ErrorKind::not_found ("image 'x' is not served by 10.0.0.1
// (it serves images: a, b; overrides: c)") or ErrorKind::bad_data; with several servers, when
// none serves it (first_server_answering).
// Checks a .torrent's bytes as served by `server` at `target` ("/torrents/<file>") before they
// are parsed (agent/trust.hpp): what no trusted key vouches for never reaches the bencode
// parser. Its signature comes from the same server.
using TorrentVerifier = std::function<Status(const ServerAddress& server, const std::string& target,
                                             std::string_view bytes)>;

// With `verify`, a .torrent it refuses is that server's error (ErrorKind::untrusted); the next
// server is asked.
Result<FetchedTorrent> fetch_torrent(const AgentSettings& settings, PackKind kind,
                                     const std::string& name, const std::string& bind_address,
                                     Logger& log, const TorrentVerifier& verify = {});

}  // namespace si
