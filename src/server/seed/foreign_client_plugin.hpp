#pragma once
// The seeder's choice per connection of a super-seeded torrent: a libtorrent torrent plugin that
// looks at each peer's handshake and, when the peer is not one of our agents
// (seeder_policy.hpp, super_seeds_peer), ends super-seeding for that connection before the
// seeder's bitfield is written, so the bitfield says the seeder has every piece and the client
// may request any. Needs our patched libtorrent (SI_LT_SUPER_SEED_OFFER, end_super_seeding);
// with Debian's, every peer is super-seeded as before.
#include <functional>
#include <memory>
#include <string>

#include <libtorrent/extensions.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "common/log.hpp"

namespace si {

#ifdef SI_LT_SUPER_SEED_OFFER
inline constexpr bool foreign_client_plugin_available = true;
#else
inline constexpr bool foreign_client_plugin_available = false;
#endif

// For add_torrent_params::extensions of the super-seeded torrent of tarball `name`. Each
// foreign client is logged once per connection: "seeder: image-x.tar.zst: 10.0.0.7:51413
// (Transmission 3.00) is not si_btagent: seeding it normally, every piece on offer". `log` must
// outlive the session.
std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
foreign_client_plugin(std::string name, Logger& log);

}  // namespace si
