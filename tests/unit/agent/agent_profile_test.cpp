#include "agent/agent_profile.hpp"

#include <gtest/gtest.h>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/agent_settings.hpp"

namespace si {
namespace {

TEST(AgentTorrentMaxConnections, TheSettingOrNoCapOfItsOwn) {
    EXPECT_EQ(agent_torrent_max_connections(16), 16);
    EXPECT_EQ(agent_torrent_max_connections(1), 1);
    EXPECT_EQ(agent_torrent_max_connections(0), -1);
}

// A one-piece torrent made in memory; nothing is read or written.
std::shared_ptr<lt::torrent_info> small_torrent() {
    lt::file_storage fs;
    fs.add_file("image.tar", 16 * 1024);
    lt::create_torrent ct(fs, 16 * 1024);
    ct.set_hash(lt::piece_index_t{0}, lt::sha1_hash("01234567890123456789"));
    std::vector<char> buf;
    lt::bencode(std::back_inserter(buf), ct.generate());
    return std::make_shared<lt::torrent_info>(buf, lt::from_span);
}

// What a real libtorrent session makes of the cap the agent passes when it adds a tarball.
TEST(AgentTorrentMaxConnections, ALibtorrentTorrentTakesTheDefaultCap) {
    lt::session ses(agent_session_params("127.0.0.1"));
    lt::add_torrent_params p;
    p.ti = small_torrent();
    p.save_path = testing::TempDir();
    p.flags = agent_torrent_flags();
    p.max_connections = agent_torrent_max_connections(AgentSettings{}.max_peers);
    lt::torrent_handle h = ses.add_torrent(std::move(p));
    EXPECT_EQ(h.max_connections(), 16);
}

// A real session keeps the agent's request queue of one second of each peer's rate (libtorrent's
// default is three; agent_profile.cpp says why).
TEST(AgentSessionSettings, ASessionRequestsOneSecondOfEachPeer) {
    lt::session ses(agent_session_params("127.0.0.1"));
    EXPECT_EQ(ses.get_settings().get_int(lt::settings_pack::request_queue_time), 1);
    EXPECT_EQ(lt::default_settings().get_int(lt::settings_pack::request_queue_time), 3);
}

}  // namespace
}  // namespace si
