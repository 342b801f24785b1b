#pragma once
// Fetches the .torrent of an image or override from the image server's /torrents/, retrying
// with backoff while the server does not answer, and checks it before anyone trusts it. With
// several image servers (IMAGESERVER=a,b), from the first that serves it, in the order given
// (server_failover.hpp); the log says which one.
#include <memory>
#include <string>

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
};

// Fails with ErrorKind::unreachable ("image server 10.0.0.1:6969 unreachable for 120 s:
// Connection refused"), ErrorKind::not_found ("image 'x' is not served by 10.0.0.1
// (it serves images: a, b; overrides: c)") or ErrorKind::bad_data; with several servers, when
// none serves it (first_server_answering).
Result<FetchedTorrent> fetch_torrent(const AgentSettings& settings, PackKind kind,
                                     const std::string& name, const std::string& bind_address,
                                     Logger& log);

}  // namespace si
