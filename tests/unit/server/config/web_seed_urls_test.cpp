#include "server/config/web_seed_urls.hpp"

#include <gtest/gtest.h>

#include <libtorrent/torrent_info.hpp>

#include "common/log.hpp"
#include "pack_test_util.hpp"
#include "server/config/server_settings.hpp"
#include "server/pack/packer.hpp"
#include "server/pack/torrent_maker.hpp"
#include "server/reload_plan.hpp"

namespace si {
namespace {

using V = std::vector<std::string>;

const std::string a_url = "http://10.0.0.1:6969/announce";
const std::string own_seed = "http://10.0.0.1:6969/tarballs/";
const std::string nginx_seed = "http://mirror.example:8080/systemimager/tarballs/";

BtConfig parse(const std::string& text) {
    auto conf = parse_shell_conf(
        "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/tmp/s\nBT_TRACKER_LOG=/tmp/l\n" + text,
        "bittorrent.conf");
    EXPECT_TRUE(conf.ok());
    auto bt = bt_config_from(*conf);
    EXPECT_TRUE(bt.ok()) << bt.error().message;
    return bt.ok() ? *bt : BtConfig{};
}

std::string parse_error(const std::string& value) {
    auto conf = parse_shell_conf(
        "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/tmp/s\nBT_TRACKER_LOG=/tmp/l\nBT_WEB_SEEDS=" +
            value + "\n",
        "bittorrent.conf");
    EXPECT_TRUE(conf.ok());
    auto bt = bt_config_from(*conf);
    return bt.ok() ? "" : bt.error().message;
}

TEST(WebSeedUrls, SelfIsTheServersOwnTarballsPath) {
    EXPECT_EQ(own_web_seed_url("10.0.0.1", 6969), own_seed);
    EXPECT_EQ(web_seed_urls({"self", nginx_seed, "self"}, "10.0.0.1", 6969),
              (V{own_seed, nginx_seed}));
    EXPECT_TRUE(web_seed_urls({}, "10.0.0.1", 6969).empty());
}

TEST(WebSeedUrls, TheKeyGivesEveryUrlAFinalSlash) {
    // BEP 19: a single-file torrent's URL without a final '/' names the file itself, which
    // one URL for every image cannot; with it, the client appends the tarball's name.
    BtConfig bt = parse("BT_WEB_SEEDS=\"self http://mirror.example:8080/systemimager/tarballs\"\n");
    EXPECT_EQ(bt.web_seeds, (V{"self", nginx_seed}));
    EXPECT_TRUE(parse("").web_seeds.empty());
    ServerSettings s = make_server_settings(bt, {}, "10.0.0.1");
    EXPECT_EQ(s.packer.web_seeds, (V{own_seed, nginx_seed}));
}

TEST(WebSeedUrls, ABadUrlNamesLineAndKey) {
    EXPECT_EQ(parse_error("ftp://x/"),
              "bittorrent.conf:4: BT_WEB_SEEDS: 'ftp://x/' is not self or an http:// or "
              "https:// URL without ? or #");
    EXPECT_NE(parse_error("mirror/tarballs"), "");
    EXPECT_NE(parse_error("http:///tarballs/"), "");
    EXPECT_NE(parse_error("http://x/t?a=1"), "");
    EXPECT_NE(parse_error("http://x/t#f"), "");
    EXPECT_EQ(parse_error("https://x/t/,self"), "");
}

TEST(WebSeedUrls, AChangeTakesARestart) {
    ServerSettings none = make_server_settings(parse(""), {}, "10.0.0.1");
    ServerSettings some = make_server_settings(parse("BT_WEB_SEEDS=self\n"), {}, "10.0.0.1");
    EXPECT_EQ(restart_only_changes(none, some), (V{"BT_WEB_SEEDS"}));
    EXPECT_EQ(settings_after_reload(none, some), none);
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

V web_seeds_of(const std::string& bytes) {
    lt::error_code ec;
    lt::torrent_info info(bytes, ec, lt::from_span);
    EXPECT_FALSE(ec) << ec.message();
    V urls;
    for (const lt::web_seed_entry& e : info.web_seeds()) {
        urls.push_back(e.url);
    }
    return urls;
}

TEST(WebSeedUrls, UrlListLeavesTheInfoHashAlone) {
    auto none = make_torrent(spec());
    TorrentSpec one_spec = spec();
    one_spec.web_seeds = {own_seed};
    auto one = make_torrent(one_spec);
    TorrentSpec two_spec = spec();
    two_spec.web_seeds = {own_seed, nginx_seed};
    auto two = make_torrent(two_spec);
    ASSERT_TRUE(none.ok() && one.ok() && two.ok());
    EXPECT_EQ(none->info_hash_hex, one->info_hash_hex);
    EXPECT_EQ(none->info_hash_hex, two->info_hash_hex);
    EXPECT_NE(none->bytes, one->bytes);
    EXPECT_EQ(none->bytes.find("url-list"), std::string::npos);
    EXPECT_NE(two->bytes.find("8:url-list"), std::string::npos);
    EXPECT_TRUE(web_seeds_of(none->bytes).empty());
    EXPECT_EQ(web_seeds_of(one->bytes), (V{own_seed}));
    EXPECT_EQ(web_seeds_of(two->bytes), (V{own_seed, nginx_seed}));

    // Adding or dropping web seeds later rewrites the .torrent to what a fresh pack makes.
    auto re = reannounce_torrent(none->bytes, a_url, {}, {own_seed, nginx_seed});
    ASSERT_TRUE(re.ok());
    EXPECT_EQ(re->bytes, two->bytes);
    auto re1 = reannounce_torrent(two->bytes, a_url, {}, {own_seed});
    ASSERT_TRUE(re1.ok());
    EXPECT_EQ(re1->bytes, one->bytes);
    auto back = reannounce_torrent(two->bytes, a_url);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->bytes, none->bytes);
}

TEST(WebSeedUrls, PackerRewritesTheTorrentWhenWebSeedsChange) {
    test::TempDir src, out;
    test::write_file(src / "a/etc/hostname", "node\n");
    test::write_file(src / "a/data", test::mixed_bytes(200000, 3));
    PackJob job;
    job.name = "a";
    job.source_dir = src / "a";
    job.tarball = out / "tarballs/image-a.tar";
    job.torrent = out / "torrents/image-a.tar.torrent";
    job.compression = Compression::none;
    PackerSettings plain;
    plain.threads = 1;
    plain.announce_url = a_url;
    Logger log;
    auto first = pack_or_reuse(job, plain, Rebuild::always, log);
    ASSERT_TRUE(first.ok()) << first.error().message;
    PackerSettings seeded = plain;
    seeded.web_seeds = {own_seed};
    auto second = pack_or_reuse(job, seeded, Rebuild::if_stale, log);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_TRUE(second->reused);
    EXPECT_EQ(second->info_hash_hex, first->info_hash_hex);
    EXPECT_EQ(web_seeds_of(test::read_file(job.torrent)), (V{own_seed}));
    auto third = pack_or_reuse(job, seeded, Rebuild::if_stale, log);
    ASSERT_TRUE(third.ok());
    EXPECT_TRUE(third->reused);
    EXPECT_TRUE(third->note.empty()) << third->note;
    // Dropped again: the url-list goes, the record with it.
    auto fourth = pack_or_reuse(job, plain, Rebuild::if_stale, log);
    ASSERT_TRUE(fourth.ok());
    EXPECT_FALSE(fourth->note.empty());
    EXPECT_TRUE(web_seeds_of(test::read_file(job.torrent)).empty());
    EXPECT_EQ(test::read_file(job.tarball + ".record").find("web_seeds"), std::string::npos);
}

}  // namespace
}  // namespace si
