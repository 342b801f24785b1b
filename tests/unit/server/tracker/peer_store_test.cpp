#include "server/tracker/peer_store.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <set>
#include <string>

namespace si {
namespace {

using namespace std::chrono_literals;

const std::string hash_a(20, 'A');
const std::string hash_b(20, 'B');

std::string peer_id(int n) {
    std::string id = "-SI0001-" + std::to_string(n);
    id.resize(20, '.');
    return id;
}

boost::asio::ip::address v4(std::uint32_t n) {
    return boost::asio::ip::address_v4(n);
}

class PeerStoreTest : public ::testing::Test {
  protected:
    ManualClock clock;
    PeerStore store{clock, 42};

    void SetUp() override { store.set_torrents({hash_a, hash_b}); }

    std::optional<AnnounceResult> announce(int n, std::uint64_t left = 100,
                                           AnnounceEvent ev = AnnounceEvent::none, int numwant = 50,
                                           const std::string& hash = hash_a) {
        AnnounceRequest r;
        ids.push_back(peer_id(n));
        r.info_hash = hash;
        r.peer_id = ids.back();
        r.ip = v4(0x0a000000u + static_cast<std::uint32_t>(n));
        r.port = 6881;
        r.left = left;
        r.event = ev;
        r.numwant = numwant;
        return store.announce(r);
    }
    std::deque<std::string> ids;  // keeps the peer_id views alive
};

TEST_F(PeerStoreTest, SwarmByteSumsKeepWhatLeftAndNeverGoDown) {
    auto send = [&](int n, std::uint64_t up, std::uint64_t down,
                    AnnounceEvent ev = AnnounceEvent::none) {
        AnnounceRequest r;
        ids.push_back(peer_id(n));
        r.info_hash = hash_a;
        r.peer_id = ids.back();
        r.ip = v4(0x0a000000u + static_cast<std::uint32_t>(n));
        r.port = 6881;
        r.left = 100;
        r.uploaded = up;
        r.downloaded = down;
        r.event = ev;
        ASSERT_TRUE(store.announce(r));
    };
    send(1, 300, 1000);
    send(2, 200, 500);
    EXPECT_EQ(store.uploaded_bytes(hash_a), 500u);
    EXPECT_EQ(store.downloaded_bytes(hash_a), 1500u);
    // Peer 1 restarts its counts under the same peer id: what it had counted stays in the sums.
    send(1, 50, 100);
    EXPECT_EQ(store.uploaded_bytes(hash_a), 550u);
    EXPECT_EQ(store.downloaded_bytes(hash_a), 1600u);
    // Peer 2 leaves with its last figures.
    send(2, 250, 600, AnnounceEvent::stopped);
    EXPECT_EQ(store.uploaded_bytes(hash_a), 600u);
    EXPECT_EQ(store.downloaded_bytes(hash_a), 1700u);
    EXPECT_EQ(store.uploaded_bytes(hash_b), 0u);
}

TEST_F(PeerStoreTest, UnknownHashIsNotTracked) {
    AnnounceRequest r;
    std::string other(20, 'C');
    std::string id = peer_id(1);
    r.info_hash = other;
    r.peer_id = id;
    r.ip = v4(1);
    r.port = 1;
    EXPECT_FALSE(store.announce(r));
    EXPECT_FALSE(store.counts(other));
    EXPECT_EQ(store.peer_count(), 0u);
}

TEST_F(PeerStoreTest, NeverHandsBackTheRequester) {
    for (int i = 1; i <= 5; ++i) {
        announce(i);
    }
    auto r = announce(3);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->peers.size(), 4u);
    for (const PeerEntry& p : r->peers) {
        EXPECT_NE(p.peer_id, peer_id(3));
        EXPECT_NE(p.ip, v4(0x0a000003));
    }
    EXPECT_EQ(store.peer_count(), 5u);  // the re-announce did not add a second entry
}

TEST_F(PeerStoreTest, FirstPeerGetsNobody) {
    auto r = announce(1, 100, AnnounceEvent::started);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->peers.empty());
    EXPECT_EQ(r->counts.incomplete, 1u);
}

TEST_F(PeerStoreTest, SameAddressNewPeerIdReplacesTheOldEntry) {
    announce(1);
    announce(2);
    // Peer 2's client restarts with a fresh peer_id on the same ip:port.
    AnnounceRequest r;
    std::string fresh = peer_id(999);
    r.info_hash = hash_a;
    r.peer_id = fresh;
    r.ip = v4(0x0a000002);
    r.port = 6881;
    r.left = 1;
    auto res = store.announce(r);
    ASSERT_TRUE(res);
    EXPECT_EQ(store.peer_count(), 2u);
    ASSERT_EQ(res->peers.size(), 1u);
    EXPECT_EQ(res->peers[0].peer_id, peer_id(1));
}

TEST_F(PeerStoreTest, SameIpOtherPortIsAnotherPeer) {
    announce(1);
    AnnounceRequest r;
    std::string id = peer_id(2);
    r.info_hash = hash_a;
    r.peer_id = id;
    r.ip = v4(0x0a000001);
    r.port = 6882;
    auto res = store.announce(r);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->peers.size(), 1u);
    EXPECT_EQ(res->peers[0].port, 6881);
}

TEST_F(PeerStoreTest, NumwantLimitsAndSamplesDistinctPeers) {
    for (int i = 1; i <= 300; ++i) {
        announce(i);
    }
    auto r = announce(150, 100, AnnounceEvent::none, 20);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->peers.size(), 20u);
    std::set<std::string> seen;
    for (const PeerEntry& p : r->peers) {
        EXPECT_NE(p.peer_id, peer_id(150));
        seen.insert(p.peer_id);
    }
    EXPECT_EQ(seen.size(), 20u);
    EXPECT_TRUE(announce(7, 100, AnnounceEvent::none, 0)->peers.empty());
    // Repeated draws do not always return the same subset.
    auto again = announce(150, 100, AnnounceEvent::none, 20);
    std::set<std::string> seen2;
    for (const PeerEntry& p : again->peers) {
        seen2.insert(p.peer_id);
    }
    EXPECT_NE(seen, seen2);
}

TEST_F(PeerStoreTest, StoppedRemovesAndCountsFollow) {
    announce(1, 0);  // a seed
    announce(2, 50);
    announce(3, 50);
    auto c = store.counts(hash_a);
    EXPECT_EQ(c->complete, 1u);
    EXPECT_EQ(c->incomplete, 2u);
    auto r = announce(2, 50, AnnounceEvent::stopped);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->peers.empty());
    EXPECT_EQ(r->counts.incomplete, 1u);
    EXPECT_EQ(store.peer_count(), 2u);
    auto others = announce(1, 0);
    for (const PeerEntry& p : others->peers) {
        EXPECT_NE(p.peer_id, peer_id(2));
    }
}

TEST_F(PeerStoreTest, CompletedCountsOncePerPeerAndMakesASeed) {
    announce(1, 10, AnnounceEvent::started);
    announce(1, 0, AnnounceEvent::completed);
    announce(1, 0, AnnounceEvent::completed);  // a repeat is not a second download
    announce(2, 0, AnnounceEvent::completed);
    auto c = store.counts(hash_a);
    EXPECT_EQ(c->downloaded, 2u);
    EXPECT_EQ(c->complete, 2u);
    EXPECT_EQ(c->incomplete, 0u);
    EXPECT_EQ(store.counts(hash_b)->downloaded, 0u);
}

TEST_F(PeerStoreTest, SwarmsAreSeparate) {
    announce(1, 5, AnnounceEvent::none, 50, hash_a);
    auto r = announce(2, 5, AnnounceEvent::none, 50, hash_b);
    EXPECT_TRUE(r->peers.empty());
    EXPECT_EQ(store.peer_count(), 2u);
}

TEST_F(PeerStoreTest, SweepDropsSilentPeersOnly) {
    announce(1);
    clock.advance(peer_expiry - 1min);
    announce(2);
    EXPECT_EQ(store.sweep(), 0u);
    clock.advance(2min);  // peer 1 is now silent for peer_expiry + 1 min, peer 2 for 2 min
    EXPECT_EQ(store.sweep(), 1u);
    EXPECT_EQ(store.peer_count(), 1u);
    auto r = announce(3);
    ASSERT_EQ(r->peers.size(), 1u);
    EXPECT_EQ(r->peers[0].peer_id, peer_id(2));
}

TEST_F(PeerStoreTest, SetTorrentsForgetsDroppedSwarms) {
    announce(1, 5, AnnounceEvent::none, 50, hash_a);
    announce(2, 5, AnnounceEvent::none, 50, hash_b);
    store.set_torrents({hash_b});
    EXPECT_FALSE(store.tracks(hash_a));
    EXPECT_TRUE(store.tracks(hash_b));
    EXPECT_EQ(store.peer_count(), 1u);
    store.add_torrent(hash_a);
    EXPECT_EQ(store.counts(hash_a)->incomplete, 0u);
}

TEST_F(PeerStoreTest, SaveLoadRoundTripDropsPeersExpiredMeanwhile) {
    announce(1, 0, AnnounceEvent::completed);
    clock.advance(peer_expiry - 5min);
    announce(2, 10);
    announce(3, 10, AnnounceEvent::none, 50, hash_b);
    std::string state = store.save();

    // Restart 10 minutes later: peer 1 has been silent for peer_expiry + 5 min.
    ManualClock later;
    later.advance(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        clock.wall_now() - later.wall_now() + 10min));
    PeerStore restored(later, 7);
    restored.set_torrents({hash_a});
    ASSERT_TRUE(restored.load(state).ok());
    EXPECT_EQ(restored.peer_count(), 1u);
    auto c = restored.counts(hash_a);
    EXPECT_EQ(c->incomplete, 1u);
    EXPECT_EQ(c->complete, 0u);
    EXPECT_EQ(c->downloaded, 1u);  // the count survives even though the peer expired
    // hash_b was not served yet: its swarm waits and joins when the hash is added.
    EXPECT_FALSE(restored.tracks(hash_b));
    restored.add_torrent(hash_b);
    EXPECT_EQ(restored.peer_count(), 2u);
    // Peers 2 and 3 keep their age (10 min): gone once another 10 minutes have passed.
    later.advance(9min);
    EXPECT_EQ(restored.sweep(), 0u);
    later.advance(1min + 1s);
    EXPECT_EQ(restored.sweep(), 2u);
}

TEST_F(PeerStoreTest, LoadRefusesGarbageAndKeepsState) {
    announce(1);
    EXPECT_FALSE(store.load("not bencode").ok());
    EXPECT_FALSE(store.load("d7:versioni99e8:torrentsdee").ok());
    EXPECT_FALSE(store.load("li1ee").ok());
    std::string bad_peer = "d8:torrentsd20:" + hash_a + "d5:peersld2:id3:abceeee7:versioni1ee";
    auto st = store.load(bad_peer);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("bad peer entry"), std::string::npos);
    EXPECT_EQ(store.peer_count(), 1u);
}

TEST_F(PeerStoreTest, HoldsTenThousandPeers) {
    constexpr int n = 10'000;
    for (int i = 1; i <= n; ++i) {
        ASSERT_TRUE(announce(i, i % 4 == 0 ? 0 : 1, AnnounceEvent::started));
    }
    EXPECT_EQ(store.peer_count(), static_cast<std::size_t>(n));
    auto c = store.counts(hash_a);
    EXPECT_EQ(c->complete, n / 4u);
    EXPECT_EQ(c->incomplete, n - n / 4u);
    auto r = announce(5000, 1, AnnounceEvent::none, 200);
    ASSERT_EQ(r->peers.size(), 200u);
    for (const PeerEntry& p : r->peers) {
        EXPECT_NE(p.peer_id, peer_id(5000));
    }
    // Removal from the middle keeps the indexes consistent.
    for (int i = 1; i <= n; i += 2) {
        announce(i, 1, AnnounceEvent::stopped);
    }
    EXPECT_EQ(store.peer_count(), static_cast<std::size_t>(n / 2));
    auto survivors = announce(2, 1, AnnounceEvent::none, 200);
    ASSERT_TRUE(survivors);
    for (const PeerEntry& p : survivors->peers) {
        std::string digits = p.peer_id.substr(8);
        int num = std::stoi(digits.substr(0, digits.find('.')));
        EXPECT_EQ(num % 2, 0) << "a stopped peer was handed out";
    }
    PeerStore copy(clock, 1);
    copy.set_torrents({hash_a});
    ASSERT_TRUE(copy.load(store.save()).ok());
    EXPECT_EQ(copy.peer_count(), static_cast<std::size_t>(n / 2));
}

TEST_F(PeerStoreTest, ADownloadCountsOnceWithOrWithoutTheCompletedEvent) {
    // A seed that arrives complete did not download here.
    EXPECT_FALSE(announce(1, 0, AnnounceEvent::started)->completed_now);
    EXPECT_EQ(store.counts(hash_a)->downloaded, 0u);
    // event=completed counts, once.
    announce(2, 100, AnnounceEvent::started);
    EXPECT_TRUE(announce(2, 0, AnnounceEvent::completed)->completed_now);
    EXPECT_FALSE(announce(2, 0, AnnounceEvent::none)->completed_now);
    EXPECT_FALSE(announce(2, 0, AnnounceEvent::stopped)->completed_now);
    EXPECT_EQ(store.counts(hash_a)->downloaded, 1u);
    // A client that never says "completed" but goes from bytes left to none counts too,
    // also when that news comes with its stopped announce.
    announce(3, 100, AnnounceEvent::started);
    EXPECT_TRUE(announce(3, 0, AnnounceEvent::none)->completed_now);
    announce(4, 100, AnnounceEvent::started);
    EXPECT_TRUE(announce(4, 0, AnnounceEvent::stopped)->completed_now);
    EXPECT_EQ(store.counts(hash_a)->downloaded, 3u);
}

}  // namespace
}  // namespace si
