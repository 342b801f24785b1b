#include "server/config/tracker_tiers.hpp"

#include <gtest/gtest.h>

#include <libtorrent/announce_entry.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/log.hpp"
#include "pack_test_util.hpp"
#include "server/config/server_settings.hpp"
#include "server/pack/packer.hpp"
#include "server/pack/torrent_maker.hpp"
#include "server/reload_plan.hpp"
#include "server/seed/peer_server_filter.hpp"

namespace si {
namespace {

using V = std::vector<std::string>;

const std::string a_url = "http://10.0.0.1:6969/announce";
const std::string b_url = "http://10.0.0.2:6969/announce";
const std::string c_url = "http://10.0.0.3:7000/announce";

TEST(TrackerTiers, OwnFirstThenPeersInOrder) {
    const std::vector<ServerAddress> peers{{"10.0.0.2", 0}, {"10.0.0.3", 7000}};
    EXPECT_EQ(tracker_tiers("10.0.0.1", 6969, peers), (V{a_url, b_url, c_url}));
    EXPECT_EQ(tracker_tiers("10.0.0.1", 6969, {}), (V{a_url}));
}

TEST(TrackerTiers, OneListForEveryServerSkipsItsOwnEntry) {
    // The same BT_PEER_SERVERS on each server: each names itself first, once.
    const std::vector<ServerAddress> all{{"10.0.0.1", 0}, {"10.0.0.2", 6969}, {"10.0.0.3", 7000}};
    EXPECT_EQ(tracker_tiers("10.0.0.1", 6969, all), (V{a_url, b_url, c_url}));
    EXPECT_EQ(tracker_tiers("10.0.0.2", 6969, all), (V{b_url, a_url, c_url}));
    // The same address with another port is another server (two daemons on one host).
    EXPECT_EQ(tracker_tiers("10.0.0.1", 7000, {{"10.0.0.1", 6969}}),
              (V{"http://10.0.0.1:7000/announce", a_url}));
}

TEST(TrackerTiers, RecordLineKeepsTheOneTrackerForm) {
    EXPECT_EQ(announce_record({a_url}), a_url);
    EXPECT_EQ(announce_record({a_url, b_url}), a_url + " " + b_url);
}

BtConfig parse(const std::string& text) {
    auto conf = parse_shell_conf(
        "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/tmp/s\nBT_TRACKER_LOG=/tmp/l\n" + text,
        "bittorrent.conf");
    EXPECT_TRUE(conf.ok());
    auto bt = bt_config_from(*conf);
    EXPECT_TRUE(bt.ok()) << bt.error().message;
    return bt.ok() ? *bt : BtConfig{};
}

TEST(TrackerTiers, PeerServersKeyReachesThePacker) {
    ServerSettings s =
        make_server_settings(parse("BT_PEER_SERVERS=10.0.0.1,10.0.0.3:7000\n"), {}, "10.0.0.2");
    EXPECT_EQ(s.packer.announce_url, b_url);
    EXPECT_EQ(s.packer.more_trackers, (V{a_url, c_url}));
    ServerSettings alone = make_server_settings(parse(""), {}, "10.0.0.2");
    EXPECT_TRUE(alone.packer.more_trackers.empty());
    // A changed list needs a restart (the .torrents are rewritten at start-up).
    EXPECT_EQ(restart_only_changes(alone, s), (V{"BT_PEER_SERVERS"}));
}

TEST(TrackerTiers, BadPeerServerNamesLineAndKey) {
    auto conf = parse_shell_conf(
        "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/tmp/s\nBT_TRACKER_LOG=/tmp/l\n"
        "BT_PEER_SERVERS=10.0.0.1,server2\n",
        "bittorrent.conf");
    ASSERT_TRUE(conf.ok());
    auto bt = bt_config_from(*conf);
    ASSERT_FALSE(bt.ok());
    EXPECT_EQ(bt.error().message,
              "bittorrent.conf:4: BT_PEER_SERVERS: 'server2' is not an IPv4 address");
    EXPECT_EQ(bt.error().kind, ErrorKind::config);
}

TorrentSpec spec() {
    TorrentSpec s;
    s.file_name = "image-a.tar.gz";
    s.file_size = 3 * 16384 + 5;
    s.piece_size = 16384;
    s.piece_hashes.assign(4, lt::sha1_hash("0123456789abcdefghij"));
    s.announce_url = a_url;
    return s;
}

V tiers_of(const std::string& bytes, std::vector<int>* tier_numbers) {
    lt::error_code ec;
    lt::torrent_info info(bytes, ec, lt::from_span);
    EXPECT_FALSE(ec) << ec.message();
    V urls;
    for (const lt::announce_entry& e : info.trackers()) {
        urls.push_back(e.url);
        tier_numbers->push_back(e.tier);
    }
    return urls;
}

TEST(TrackerTiers, AnnounceListLeavesTheInfoHashAlone) {
    auto one = make_torrent(spec());
    TorrentSpec s = spec();
    s.more_trackers = {b_url, c_url};
    auto three = make_torrent(s);
    ASSERT_TRUE(one.ok() && three.ok());
    EXPECT_NE(one->bytes, three->bytes);
    EXPECT_EQ(one->info_hash_hex, three->info_hash_hex);
    std::vector<int> tiers;
    EXPECT_EQ(tiers_of(three->bytes, &tiers), (V{a_url, b_url, c_url}));
    EXPECT_EQ(tiers, (std::vector<int>{0, 1, 2}));
    EXPECT_NE(three->bytes.find("13:announce-list"), std::string::npos);
    EXPECT_EQ(one->bytes.find("announce-list"), std::string::npos);

    // Another server's .torrent of the same tarball: its own tracker first, the same hash.
    TorrentSpec b = spec();
    b.announce_url = b_url;
    b.more_trackers = {a_url, c_url};
    EXPECT_EQ(make_torrent(b)->info_hash_hex, one->info_hash_hex);

    // Adding the servers later rewrites the .torrent to what a fresh pack makes, byte for byte.
    auto re = reannounce_torrent(one->bytes, a_url, {b_url, c_url});
    ASSERT_TRUE(re.ok());
    EXPECT_EQ(re->bytes, three->bytes);
    auto back = reannounce_torrent(three->bytes, a_url);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->bytes, one->bytes);
}

TEST(TrackerTiers, ADifferentTarballIsADifferentSwarm) {
    // Two servers that packed different versions under one image name: the hashes differ,
    // so neither's tracker, seeder or agents take part in the other's swarm.
    TorrentSpec other = spec();
    other.piece_hashes.back() = lt::sha1_hash("jihgfedcba9876543210");
    other.more_trackers = {b_url};
    TorrentSpec mine = spec();
    mine.more_trackers = {b_url};
    EXPECT_NE(make_torrent(other)->info_hash_hex, make_torrent(mine)->info_hash_hex);
}

TEST(TrackerTiers, PackerRewritesTheTorrentWhenServersAreAdded) {
    test::TempDir src, out;
    test::write_file(src / "a/etc/hostname", "node\n");
    test::write_file(src / "a/data", test::mixed_bytes(200000, 3));
    PackJob job;
    job.name = "a";
    job.source_dir = src / "a";
    job.tarball = out / "tarballs/image-a.tar";
    job.torrent = out / "torrents/image-a.tar.torrent";
    job.compression = Compression::none;
    PackerSettings alone;
    alone.threads = 1;
    alone.announce_url = a_url;
    Logger log;
    auto first = pack_or_reuse(job, alone, Rebuild::always, log);
    ASSERT_TRUE(first.ok()) << first.error().message;
    PackerSettings joined = alone;
    joined.more_trackers = {b_url};
    auto second = pack_or_reuse(job, joined, Rebuild::if_stale, log);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_TRUE(second->reused);
    EXPECT_EQ(second->info_hash_hex, first->info_hash_hex);
    std::vector<int> tiers;
    EXPECT_EQ(tiers_of(test::read_file(job.torrent), &tiers), (V{a_url, b_url}));
    // The record now holds the list: the next start reuses the pair as it is.
    auto third = pack_or_reuse(job, joined, Rebuild::if_stale, log);
    ASSERT_TRUE(third.ok());
    EXPECT_TRUE(third->reused);
    EXPECT_TRUE(third->note.empty()) << third->note;
}

TEST(TrackerTiers, TheSeederNeverTalksToTheOtherServers) {
    const std::vector<ServerAddress> all{{"10.0.0.1", 0}, {"10.0.0.2", 0}, {"10.0.0.3", 7000}};
    lt::ip_filter f = peer_server_filter(all, "10.0.0.1");
    const auto blocked = [&](const char* ip) {
        return f.access(lt::make_address(ip)) == lt::ip_filter::blocked;
    };
    EXPECT_TRUE(blocked("10.0.0.2"));
    EXPECT_TRUE(blocked("10.0.0.3"));
    EXPECT_FALSE(blocked("10.0.0.1"));   // this server's own address
    EXPECT_FALSE(blocked("10.0.0.20"));  // a node
    ServerSettings s = make_server_settings(parse("BT_PEER_SERVERS=10.0.0.1\n"), {}, "10.0.0.2");
    EXPECT_EQ(s.seeder.peer_servers, (std::vector<ServerAddress>{{"10.0.0.1", 0}}));
}

}  // namespace
}  // namespace si
