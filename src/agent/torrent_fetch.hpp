#pragma once
// Fetches the .torrent of an image or override from the image server's /torrents/, retrying
// with backoff while the server does not answer, and checks it before anyone trusts it.
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
    std::string bytes;  // the .torrent as served: what its signature covers (agent/trust.hpp)
};

// Fails with ErrorKind::unreachable ("image server 10.0.0.1:6969 unreachable for 120 s:
// Connection refused"), ErrorKind::not_found ("image 'x' is not served by 10.0.0.1
// (it serves images: a, b; overrides: c)") or ErrorKind::bad_data.
// Checks a .torrent's bytes as served at `target` ("/torrents/<file>") before they are parsed
// (agent/trust.hpp): what no trusted key vouches for never reaches the bencode parser.
using TorrentVerifier = std::function<Status(const std::string& target, std::string_view bytes)>;

// With `verify`, a .torrent it refuses fails with its error (ErrorKind::untrusted).
Result<FetchedTorrent> fetch_torrent(const AgentSettings& settings, PackKind kind,
                                     const std::string& name, const std::string& bind_address,
                                     Logger& log, const TorrentVerifier& verify = {});

}  // namespace si
