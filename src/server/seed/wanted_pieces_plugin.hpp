#pragma once
// The seeder's side of si_wanted (common/wanted_pieces_message.hpp): a libtorrent torrent
// plugin that names the message in the extension handshake (BEP 10) and hands each peer's
// wanted pieces to the super-seeder (cmake/libtorrent-patches/super-seeding-wanted-pieces.patch),
// which then offers that peer only those. Needs our patched libtorrent
// (SI_LT_SUPER_SEED_WANTED); with Debian's, wanted_pieces_plugin_available is false and a
// delta-ready image is seeded normally (seeder_policy.hpp).
#include <functional>
#include <memory>
#include <string>

#include <libtorrent/extensions.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "common/log.hpp"

namespace si {

#ifdef SI_LT_SUPER_SEED_WANTED
inline constexpr bool wanted_pieces_plugin_available = true;
#else
inline constexpr bool wanted_pieces_plugin_available = false;
#endif

// For add_torrent_params::extensions: makes the plugin for the torrent of tarball `name`, of
// `num_pieces` pieces (libtorrent calls it on its network thread; without our patch it makes
// none). Each si_wanted message is logged: "seeder: image-x.tar.zst: 10.0.0.7:51413 wants
// 812 of 4412 pieces". `log` must outlive the session.
std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
wanted_pieces_plugin(std::string name, int num_pieces, Logger& log);

}  // namespace si
