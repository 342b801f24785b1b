#include "server/tracker/tracker_reply.hpp"

#include <gtest/gtest.h>

#include <libtorrent/bdecode.hpp>
#include <memory>
#include <string>

namespace si {
namespace {

namespace lt = libtorrent;

// bdecode_node points into the buffer it was decoded from: keep the two together.
struct Decoded {
    std::string buffer;
    lt::bdecode_node node;
};

std::unique_ptr<Decoded> decode(std::string buf) {
    auto d = std::make_unique<Decoded>();
    d->buffer = std::move(buf);
    lt::error_code ec;
    d->node = lt::bdecode({d->buffer.data(), static_cast<std::ptrdiff_t>(d->buffer.size())}, ec);
    EXPECT_FALSE(ec) << ec.message() << " in " << d->buffer;
    return d;
}

std::string str(lt::string_view s) {
    return std::string(s.data(), s.size());
}

PeerEntry peer(const char* ip, std::uint16_t port, char id_fill) {
    return {std::string(20, id_fill), boost::asio::ip::make_address(ip), port, false};
}

AnnounceReply sample() {
    AnnounceReply r;
    r.interval = std::chrono::seconds(30);
    r.min_interval = std::chrono::seconds(10);
    r.counts = {2, 5, 7};
    r.peers = {peer("10.0.0.1", 6881, 'a'), peer("192.168.1.254", 0x1234, 'b'),
               peer("fe80::1", 51413, 'c')};
    return r;
}

TEST(TrackerReply, Failure) {
    std::string body = failure_reply("unknown info_hash 00: not served by this tracker");
    EXPECT_EQ(body, "d14:failure reason48:unknown info_hash 00: not served by this trackere");
    auto d = decode(body);
    const lt::bdecode_node& n = d->node;
    EXPECT_EQ(str(n.dict_find_string_value("failure reason")),
              "unknown info_hash 00: not served by this tracker");
}

TEST(TrackerReply, CompactAnnounceBep23AndBep7) {
    auto d = decode(announce_reply(sample(), true, false));
    const lt::bdecode_node& n = d->node;
    ASSERT_EQ(n.type(), lt::bdecode_node::dict_t);
    EXPECT_EQ(n.dict_find_int_value("interval"), 30);
    EXPECT_EQ(n.dict_find_int_value("min interval"), 10);
    EXPECT_EQ(n.dict_find_int_value("complete"), 2);
    EXPECT_EQ(n.dict_find_int_value("incomplete"), 5);
    EXPECT_FALSE(n.dict_find("failure reason"));
    std::string peers = str(n.dict_find_string_value("peers"));
    EXPECT_EQ(peers, std::string("\x0a\x00\x00\x01\x1a\xe1"
                                 "\xc0\xa8\x01\xfe\x12\x34",
                                 12));
    std::string peers6 = str(n.dict_find_string_value("peers6"));
    ASSERT_EQ(peers6.size(), 18u);
    EXPECT_EQ(peers6.substr(0, 2), std::string("\xfe\x80", 2));
    EXPECT_EQ(peers6[15], '\x01');
    EXPECT_EQ(peers6.substr(16), std::string("\xc8\xd5", 2));  // 51413
}

TEST(TrackerReply, DictPeersWithAndWithoutPeerId) {
    auto d = decode(announce_reply(sample(), false, false));
    const lt::bdecode_node& n = d->node;
    auto list = n.dict_find_list("peers");
    ASSERT_TRUE(list);
    ASSERT_EQ(list.list_size(), 3);
    EXPECT_EQ(str(list.list_at(0).dict_find_string_value("ip")), "10.0.0.1");
    EXPECT_EQ(list.list_at(0).dict_find_int_value("port"), 6881);
    EXPECT_EQ(str(list.list_at(0).dict_find_string_value("peer id")), std::string(20, 'a'));
    EXPECT_EQ(str(list.list_at(2).dict_find_string_value("ip")), "fe80::1");

    auto bare = decode(announce_reply(sample(), false, true));
    auto list2 = bare->node.dict_find_list("peers");
    ASSERT_EQ(list2.list_size(), 3);
    EXPECT_FALSE(list2.list_at(1).dict_find("peer id"));
    EXPECT_EQ(list2.list_at(1).dict_find_int_value("port"), 0x1234);
}

TEST(TrackerReply, EmptyPeerListsAreStillStrings) {
    AnnounceReply r;
    auto d1 = decode(announce_reply(r, true, false));
    const lt::bdecode_node& n = d1->node;
    ASSERT_TRUE(n.dict_find_string("peers"));
    EXPECT_EQ(n.dict_find_string_value("peers").size(), 0u);
    auto d2 = decode(announce_reply(r, false, false));
    ASSERT_TRUE(d2->node.dict_find_list("peers"));
}

TEST(TrackerReply, ScrapeBep48) {
    std::string h1(20, '\x01');
    std::string h2(20, '\xee');
    auto d = decode(scrape_reply({{h1, {3, 4, 9}}, {h2, {0, 0, 0}}}));
    const lt::bdecode_node& n = d->node;
    auto files = n.dict_find_dict("files");
    ASSERT_TRUE(files);
    EXPECT_EQ(files.dict_size(), 2);
    auto f1 = files.dict_find_dict(lt::string_view(h1.data(), h1.size()));
    ASSERT_TRUE(f1);
    EXPECT_EQ(f1.dict_find_int_value("complete"), 3);
    EXPECT_EQ(f1.dict_find_int_value("incomplete"), 4);
    EXPECT_EQ(f1.dict_find_int_value("downloaded"), 9);
    EXPECT_TRUE(files.dict_find_dict(lt::string_view(h2.data(), h2.size())));

    auto empty = decode(scrape_reply({}));
    ASSERT_TRUE(empty->node.dict_find_dict("files"));
    EXPECT_EQ(empty->node.dict_find_dict("files").dict_size(), 0);
}

}  // namespace
}  // namespace si
