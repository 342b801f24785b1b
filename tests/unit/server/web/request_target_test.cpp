#include "server/web/request_target.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TEST(RequestTarget, OriginForm) {
    auto t = split_request_target("/announce?info_hash=x&port=1");
    EXPECT_EQ(t.path, "/announce");
    EXPECT_EQ(t.query, "info_hash=x&port=1");
    t = split_request_target("/torrents/");
    EXPECT_EQ(t.path, "/torrents/");
    EXPECT_EQ(t.query, "");
    t = split_request_target("/scrape?");
    EXPECT_EQ(t.path, "/scrape");
    EXPECT_EQ(t.query, "");
}

// RFC 7230 section 5.3.2: what proxies, and some clients, send.
TEST(RequestTarget, AbsoluteForm) {
    auto t = split_request_target("http://10.0.0.1:6969/announce?info_hash=x");
    EXPECT_EQ(t.path, "/announce");
    EXPECT_EQ(t.query, "info_hash=x");
    t = split_request_target("HTTP://imageserver/scrape");
    EXPECT_EQ(t.path, "/scrape");
    EXPECT_EQ(t.query, "");
    t = split_request_target("https://[::1]:6969/torrents/x.torrent");
    EXPECT_EQ(t.path, "/torrents/x.torrent");
    t = split_request_target("http://10.0.0.1:6969");
    EXPECT_EQ(t.path, "/");
    t = split_request_target("http://10.0.0.1:6969?a=b");
    EXPECT_EQ(t.path, "/");
    EXPECT_EQ(t.query, "a=b");
    // Only a scheme we serve: anything else stays its own (unknown) path.
    t = split_request_target("ftp://10.0.0.1/announce");
    EXPECT_EQ(t.path, "ftp://10.0.0.1/announce");
}

TEST(RequestTarget, ATrailingSlashNamesTheSamePage) {
    EXPECT_EQ(tracker_page("/announce/"), "/announce");
    EXPECT_EQ(tracker_page("/scrape/"), "/scrape");
    EXPECT_EQ(tracker_page("/announce"), "/announce");
    EXPECT_EQ(tracker_page("/torrents/"), "/torrents/");
    EXPECT_EQ(tracker_page("/announce//"), "/announce//");
}

}  // namespace
}  // namespace si
