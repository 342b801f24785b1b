#include "server/seed/seeder_profile.hpp"

#include <libtorrent/add_torrent_params.hpp>

#include "common/lt_profile.hpp"
#include "server/seed/seeder_policy.hpp"
#include "server/seed/wanted_pieces_plugin.hpp"

namespace si {

lt::settings_pack seeder_session_settings(const SeederSettings& settings) {
    LanProfile profile{settings.address, settings.port, PeerRole::seeder, false};
    lt::settings_pack pack = lan_settings(profile);
    pack.set_int(lt::settings_pack::max_retry_port_bind, 0);
    // The port is the administrator's (BT_SEEDER_PORT): never silently take another one.
    pack.set_bool(lt::settings_pack::listen_system_port_fallback, false);
    pack.set_int(lt::settings_pack::stop_tracker_timeout, seeder_stop_tracker_timeout_s);
    pack.set_int(lt::settings_pack::unchoke_slots_limit,
                 seeder_choking(settings.super_seed).upload_slots);
    return pack;
}

lt::torrent_flags_t seeder_torrent_flags(const SeederSettings& settings, int num_pieces,
                                         bool delta_ready) {
    lt::torrent_flags_t flags = lt::add_torrent_params{}.flags;
    flags |= lt::torrent_flags::seed_mode;
    if (super_seeds(settings.super_seed, num_pieces, delta_ready, wanted_pieces_plugin_available)) {
        flags |= lt::torrent_flags::super_seeding;
    }
    flags &= ~lt::torrent_flags::auto_managed;
    flags &= ~lt::torrent_flags::paused;
    return flags;
}

}  // namespace si
