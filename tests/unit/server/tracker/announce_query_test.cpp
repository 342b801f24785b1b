#include "server/tracker/announce_query.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/hex_string.hpp"

namespace si {
namespace {

// 20 bytes that need escaping, the way libtorrent sends them.
const std::string hash_raw("\x01\x02\xff\x00 abcdefghijklmno", 20);
const std::string hash_enc = "%01%02%ff%00%20abcdefghijklmno";
const std::string id_raw = "-LT2080-abcdefghijkl";

std::string base_query() {
    return "info_hash=" + hash_enc + "&peer_id=" + id_raw + "&port=6881&uploaded=1&downloaded=2" +
           "&left=3&key=k1";
}

TEST(AnnounceQuery, ParsesAFullAnnounce) {
    auto q = parse_announce_query(base_query() + "&event=started&compact=1&numwant=30");
    ASSERT_TRUE(q.ok()) << q.error().message;
    EXPECT_EQ(q->info_hash, hash_raw);
    EXPECT_EQ(q->peer_id, id_raw);
    EXPECT_EQ(q->port, 6881);
    EXPECT_EQ(q->uploaded, 1u);
    EXPECT_EQ(q->downloaded, 2u);
    EXPECT_EQ(q->left, 3u);
    EXPECT_EQ(q->event, AnnounceEvent::started);
    EXPECT_TRUE(q->compact);
    EXPECT_FALSE(q->no_peer_id);
    EXPECT_EQ(q->numwant, 30);
    EXPECT_EQ(q->key, "k1");
}

TEST(AnnounceQuery, Defaults) {
    auto q = parse_announce_query("info_hash=" + hash_enc + "&peer_id=" + id_raw + "&port=1");
    ASSERT_TRUE(q.ok()) << q.error().message;
    EXPECT_TRUE(q->compact);
    EXPECT_EQ(q->numwant, default_numwant);
    EXPECT_EQ(q->event, AnnounceEvent::none);
    EXPECT_EQ(q->left, 0u);
}

TEST(AnnounceQuery, EventsAndFlags) {
    for (auto [text, ev] :
         {std::pair{"completed", AnnounceEvent::completed},
          std::pair{"stopped", AnnounceEvent::stopped}, std::pair{"", AnnounceEvent::none},
          std::pair{"empty", AnnounceEvent::none},
          // BEP 21's partial seed: a regular announce, as opentracker takes it.
          std::pair{"paused", AnnounceEvent::none}}) {
        auto q = parse_announce_query(base_query() + "&event=" + text);
        ASSERT_TRUE(q.ok()) << text << ": " << q.error().message;
        EXPECT_EQ(q->event, ev) << text;
    }
    auto q = parse_announce_query(base_query() + "&compact=0&no_peer_id=1");
    ASSERT_TRUE(q.ok());
    EXPECT_FALSE(q->compact);
    EXPECT_TRUE(q->no_peer_id);
}

TEST(AnnounceQuery, UnknownEventIsAnError) {
    auto q = parse_announce_query(base_query() + "&event=resumed");
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.error().message, "unknown event: resumed");
}

TEST(AnnounceQuery, NumwantIsClamped) {
    EXPECT_EQ(parse_announce_query(base_query() + "&numwant=0")->numwant, 0);
    EXPECT_EQ(parse_announce_query(base_query() + "&numwant=5000")->numwant, max_numwant);
    EXPECT_EQ(parse_announce_query(base_query() + "&numwant=99999999999999999999999")->numwant,
              max_numwant);
    EXPECT_EQ(parse_announce_query(base_query() + "&numwant=-1")->numwant, default_numwant);
    EXPECT_FALSE(parse_announce_query(base_query() + "&numwant=lots").ok());
}

TEST(AnnounceQuery, HashLengthMustBeTwenty) {
    auto q = parse_announce_query("info_hash=abc&peer_id=" + id_raw + "&port=1");
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.error().message, "info_hash must be 20 bytes, got 3");
    auto longer = parse_announce_query("info_hash=" + hash_enc + "X&peer_id=" + id_raw + "&port=1");
    ASSERT_FALSE(longer.ok());
    EXPECT_EQ(longer.error().message, "info_hash must be 20 bytes, got 21");
    auto id = parse_announce_query("info_hash=" + hash_enc + "&peer_id=short&port=1");
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.error().message, "peer_id must be 20 bytes, got 5");
}

TEST(AnnounceQuery, MissingRequiredParameters) {
    EXPECT_EQ(parse_announce_query("peer_id=" + id_raw + "&port=1").error().message,
              "missing info_hash");
    EXPECT_EQ(parse_announce_query("info_hash=" + hash_enc + "&port=1").error().message,
              "missing peer_id");
    EXPECT_EQ(parse_announce_query("info_hash=" + hash_enc + "&peer_id=" + id_raw).error().message,
              "missing port");
    EXPECT_FALSE(parse_announce_query("").ok());
}

TEST(AnnounceQuery, BadNumbers) {
    auto base = "info_hash=" + hash_enc + "&peer_id=" + id_raw;
    EXPECT_EQ(parse_announce_query(base + "&port=0").error().message, "port out of range: 0");
    EXPECT_EQ(parse_announce_query(base + "&port=65536").error().message,
              "port out of range: 65536");
    EXPECT_TRUE(parse_announce_query(base + "&port=65535").ok());
    EXPECT_FALSE(parse_announce_query(base + "&port=-1").ok());
    EXPECT_FALSE(parse_announce_query(base + "&port=1&left=-5").ok());
    EXPECT_FALSE(parse_announce_query(base + "&port=1&left=18446744073709551616").ok());
    EXPECT_EQ(parse_announce_query(base + "&port=1&left=18446744073709551615")->left,
              18446744073709551615ull);
    EXPECT_FALSE(parse_announce_query(base + "&port=1&uploaded=").ok());
    EXPECT_FALSE(parse_announce_query(base + "&port=1&compact=yes").ok());
}

TEST(AnnounceQuery, BadPercentEncodingIsRefused) {
    for (std::string bad : {"%", "%4", "%zz", "%4g"}) {
        auto q = parse_announce_query("info_hash=" + bad + "&peer_id=" + id_raw + "&port=1");
        ASSERT_FALSE(q.ok()) << bad;
        EXPECT_EQ(q.error().message, "bad percent-encoding in info_hash") << bad;
    }
}

TEST(AnnounceQuery, RepeatedInfoHashInAnnounceIsRefused) {
    auto q = parse_announce_query(base_query() + "&info_hash=" + hash_enc);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.error().message, "info_hash given twice");
}

TEST(AnnounceQuery, OversizedQueryIsRefused) {
    std::string q = base_query() + "&pad=" + std::string(max_query_bytes, 'x');
    auto r = parse_announce_query(q);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("query too long"), std::string::npos) << r.error().message;
}

TEST(AnnounceQuery, IgnoresIpParameterAndUnknownKeys) {
    auto q = parse_announce_query(base_query() + "&ip=10.9.9.9&supportcrypto=1&&corrupt=0");
    ASSERT_TRUE(q.ok()) << q.error().message;
    EXPECT_EQ(q->port, 6881);
}

TEST(PercentDecode, PlusIsSpaceOnlyInQueries) {
    EXPECT_EQ(*percent_decode("a+b%2Bc"), "a b+c");
    EXPECT_EQ(*percent_decode("a+b", false), "a+b");
    EXPECT_EQ(*percent_decode("%2e%2E"), "..");
    EXPECT_FALSE(percent_decode("abc%").ok());
}

TEST(ScrapeQuery, RepeatedInfoHashes) {
    std::string other(20, 'z');
    auto q = parse_scrape_query("info_hash=" + hash_enc + "&info_hash=" + other +
                                "&info_hash=" + hash_enc);
    ASSERT_TRUE(q.ok()) << q.error().message;
    ASSERT_EQ(q->info_hashes.size(), 2u);  // the duplicate is folded
    EXPECT_EQ(q->info_hashes[0], hash_raw);
    EXPECT_EQ(q->info_hashes[1], other);
}

TEST(ScrapeQuery, EmptyMeansAllAndBadHashFails) {
    auto all = parse_scrape_query("");
    ASSERT_TRUE(all.ok());
    EXPECT_TRUE(all->info_hashes.empty());
    EXPECT_FALSE(parse_scrape_query("info_hash=tooshort").ok());
    EXPECT_FALSE(parse_scrape_query("info_hash=%zz").ok());
}

TEST(Hex, RoundTrip) {
    EXPECT_EQ(hex_string(hash_raw), "0102ff00206162636465666768696a6b6c6d6e6f");
    EXPECT_EQ(*from_hex(hex_string(hash_raw)), hash_raw);
    EXPECT_EQ(*from_hex("0102FF"), std::string("\x01\x02\xff"));
    EXPECT_FALSE(from_hex("abc").ok());
    EXPECT_FALSE(from_hex("zz").ok());
}

}  // namespace
}  // namespace si
