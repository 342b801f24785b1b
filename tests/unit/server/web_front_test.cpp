#include "server/web_front.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <libtorrent/bdecode.hpp>
#include <sstream>
#include <thread>

#include "common/hex_string.hpp"
#include "server/tracker/announce_query.hpp"
#include "server/tracker/tracker_service.hpp"

namespace si {
namespace {

namespace fs = std::filesystem;
namespace lt = libtorrent;
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

const std::string hash_hex = "0123456789abcdef0123456789abcdef01234567";
const std::string torrent_file_name = "image-demo.tar.torrent";
const std::string torrent_bytes = "d8:announce5:x:y/a4:infod4:name4:demoee";

std::string hash_raw() {
    return *from_hex(hash_hex);
}

std::string url_encode(std::string_view raw) {
    std::string out;
    for (unsigned char c : raw) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
    }
    return out;
}

std::string peer_id(char fill) {
    return "-SI0001-" + std::string(12, fill);
}

std::string announce_target(const std::string& id, int port, const std::string& extra = "",
                            const std::string& hash = hash_raw(), int left = 100) {
    return "/announce?info_hash=" + url_encode(hash) + "&peer_id=" + id +
           "&port=" + std::to_string(port) +
           "&uploaded=0&downloaded=0&left=" + std::to_string(left) + extra;
}

struct Decoded {
    std::string buffer;
    lt::bdecode_node node;
};

// Keeps the buffer the node points into.
std::unique_ptr<Decoded> decode(std::string body) {
    auto d = std::make_unique<Decoded>();
    d->buffer = std::move(body);
    lt::error_code ec;
    d->node = lt::bdecode({d->buffer.data(), static_cast<std::ptrdiff_t>(d->buffer.size())}, ec);
    EXPECT_FALSE(ec) << "not bencoded: " << d->buffer;
    return d;
}

std::string str(lt::string_view s) {
    return std::string(s.data(), s.size());
}

using test::TempDir;

void write_file(const fs::path& p, const std::string& data) {
    std::ofstream out(p, std::ios::binary);
    out << data;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class TrackerServiceTest : public ::testing::Test {
  protected:
    TempDir dir;
    ManualClock clock;
    PeerStore store{clock, 1};
    Logger log;
    std::unique_ptr<TrackerService> service;
    fs::path log_path;

    void SetUp() override {
        fs::create_directories(fs::path(dir.path()) / "torrents");
        write_file(fs::path(dir.path()) / "torrents" / torrent_file_name, torrent_bytes);
        write_file(fs::path(dir.path()) / "torrents" / "not-served.torrent", "secret");
        write_file(fs::path(dir.path()) / "secret", "secret");
        log_path = fs::path(dir.path()) / "tracker.log";
        ASSERT_TRUE(log.open_file(log_path.string()).ok());
        log.set_stderr(false);
        service = std::make_unique<TrackerService>(
            store, (fs::path(dir.path()) / "torrents").string(), log);
        service->set_torrents({{hash_hex, torrent_file_name}});
    }

    HttpReply get(const std::string& target, const char* ip = "10.0.0.1") {
        return service->handle("GET", target, net::ip::make_address(ip));
    }
};

TEST_F(TrackerServiceTest, AnnounceCompactListsOthersNeverSelf) {
    auto first = get(announce_target(peer_id('a'), 6881, "&event=started"), "10.0.0.1");
    EXPECT_EQ(first.status, 200u);
    auto d1 = decode(first.body);
    EXPECT_EQ(d1->node.dict_find_int_value("interval"), announce_interval.count());
    EXPECT_EQ(d1->node.dict_find_int_value("min interval"), announce_min_interval.count());
    EXPECT_EQ(d1->node.dict_find_string_value("peers").size(), 0u);

    auto second = get(announce_target(peer_id('b'), 6882), "10.0.0.2");
    auto d2 = decode(second.body);
    EXPECT_EQ(str(d2->node.dict_find_string_value("peers")),
              std::string("\x0a\x00\x00\x01\x1a\xe1", 6));
    EXPECT_EQ(d2->node.dict_find_int_value("incomplete"), 2);
    EXPECT_EQ(store.peer_count(), 2u);

    std::string logged = read_file(log_path);
    EXPECT_NE(logged.find("tracker: 10.0.0.1:6881 started " + torrent_file_name), std::string::npos)
        << logged;
    EXPECT_EQ(logged.find("10.0.0.2:6882"), std::string::npos)
        << "regular announces are not logged";
}

TEST_F(TrackerServiceTest, AnnounceIgnoresIpParameterAndUnmapsV4MappedRemotes) {
    get(announce_target(peer_id('a'), 6881, "&ip=192.0.2.99"), "::ffff:10.0.0.7");
    auto r = decode(get(announce_target(peer_id('b'), 6881, "&compact=0"), "10.0.0.8").body);
    auto peers = r->node.dict_find_list("peers");
    ASSERT_EQ(peers.list_size(), 1);
    EXPECT_EQ(str(peers.list_at(0).dict_find_string_value("ip")), "10.0.0.7");
    EXPECT_EQ(str(peers.list_at(0).dict_find_string_value("peer id")), peer_id('a'));
}

TEST_F(TrackerServiceTest, NewLeechersAreHandedToTheSeederOnce) {
    std::vector<std::string> seen;
    service->on_new_leecher(
        [&](const std::string& info_hash, const net::ip::address& ip, std::uint16_t port) {
            EXPECT_EQ(info_hash, hash_raw());
            seen.push_back(ip.to_string() + ":" + std::to_string(port));
        });
    get(announce_target(peer_id('a'), 6881, "&event=started"), "10.0.0.1");
    get(announce_target(peer_id('a'), 6881), "10.0.0.1");                     // the same peer again
    get(announce_target(peer_id('b'), 6882, "", hash_raw(), 0), "10.0.0.2");  // a seed
    get(announce_target(peer_id('c'), 6883, "", std::string(20, 'x')), "10.0.0.3");  // unknown
    get(announce_target(peer_id('d'), 6884), "10.0.0.4");
    EXPECT_EQ(seen, (std::vector<std::string>{"10.0.0.1:6881", "10.0.0.4:6884"}));
}

TEST_F(TrackerServiceTest, StoppedRemovesThePeer) {
    get(announce_target(peer_id('a'), 6881), "10.0.0.1");
    get(announce_target(peer_id('a'), 6881, "&event=stopped"), "10.0.0.1");
    auto r = decode(get(announce_target(peer_id('b'), 6881), "10.0.0.2").body);
    EXPECT_EQ(r->node.dict_find_string_value("peers").size(), 0u);
    EXPECT_NE(read_file(log_path).find("tracker: 10.0.0.1:6881 stopped " + torrent_file_name),
              std::string::npos);
}

TEST_F(TrackerServiceTest, UnknownInfoHashGetsAFailureReason) {
    std::string other(20, '\x11');
    auto reply = get(announce_target(peer_id('a'), 6881, "", other));
    EXPECT_EQ(reply.status, 200u);
    auto d = decode(reply.body);
    EXPECT_EQ(str(d->node.dict_find_string_value("failure reason")),
              "unknown info_hash " + hex_string(other) + ": not served by this tracker");
    EXPECT_EQ(store.peer_count(), 0u);
}

// The forms opentracker answers (issue 29): BEP 21's event=paused, "/announce/" with a
// trailing slash, and an absolute-form request target (RFC 7230 section 5.3.2).
TEST_F(TrackerServiceTest, LenientFormsAreAnsweredAsOpentrackerDoes) {
    auto paused =
        decode(get(announce_target(peer_id('a'), 6881, "&event=paused"), "10.0.0.1").body);
    EXPECT_FALSE(paused->node.dict_find_string("failure reason"));
    EXPECT_EQ(paused->node.dict_find_int_value("interval"), announce_interval.count());

    std::string slash = announce_target(peer_id('b'), 6882);
    slash.replace(0, std::string("/announce").size(), "/announce/");
    auto r = get(slash, "10.0.0.2");
    EXPECT_EQ(r.status, 200u);
    auto d = decode(r.body);
    EXPECT_FALSE(d->node.dict_find_string("failure reason"));
    EXPECT_EQ(d->node.dict_find_string_value("peers").size(), 6u);  // 10.0.0.1:6881

    auto absolute = get("http://10.0.0.254:6969" + announce_target(peer_id('c'), 6883), "10.0.0.3");
    EXPECT_EQ(absolute.status, 200u);
    auto a = decode(absolute.body);
    EXPECT_FALSE(a->node.dict_find_string("failure reason"));
    EXPECT_EQ(a->node.dict_find_string_value("peers").size(), 12u);
    EXPECT_EQ(store.peer_count(), 3u);
    EXPECT_EQ(get("http://10.0.0.254:6969/torrents/").status, 200u);
    EXPECT_EQ(get("/scrape/").status, 200u);
}

// A thousand announces for a torrent no longer served cost one log line a minute, not one each.
TEST_F(TrackerServiceTest, RefusedAnnouncesAreLoggedOnceWithACount) {
    std::string other(20, '\x11');
    for (int i = 0; i < 1000; ++i) {
        get(announce_target(peer_id('a'), 6881, "", other), "10.0.0.9");
    }
    const std::string logged = read_file(log_path);
    std::size_t lines = 0;
    for (std::size_t at = logged.find("not served"); at != std::string::npos;
         at = logged.find("not served", at + 1)) {
        ++lines;
    }
    EXPECT_EQ(lines, 1u) << logged;
}

TEST_F(TrackerServiceTest, MalformedAnnouncesGetAFailureReason) {
    struct Case {
        std::string target;
        std::string reason;
    };
    std::vector<Case> cases = {
        {"/announce", "missing info_hash"},
        {"/announce?info_hash=%zz", "bad percent-encoding in info_hash"},
        {"/announce?info_hash=abc&peer_id=x&port=1", "info_hash must be 20 bytes, got 3"},
        {announce_target(peer_id('a'), 0), "port out of range: 0"},
        {announce_target(peer_id('a'), 1, "&event=resumed"), "unknown event: resumed"},
        {announce_target(peer_id('a'), 1, "&x=" + std::string(5000, 'y')), "query too long"},
    };
    for (const Case& c : cases) {
        auto reply = get(c.target);
        EXPECT_EQ(reply.status, 200u) << c.target;
        auto d = decode(reply.body);
        EXPECT_EQ(str(d->node.dict_find_string_value("failure reason")).substr(0, c.reason.size()),
                  c.reason)
            << c.target.substr(0, 80);
    }
    EXPECT_EQ(store.peer_count(), 0u);
}

TEST_F(TrackerServiceTest, ScrapeAllSomeAndUnknown) {
    get(announce_target(peer_id('a'), 6881, "&event=completed", hash_raw(), 0));
    get(announce_target(peer_id('b'), 6881), "10.0.0.2");
    for (const std::string& target :
         {std::string("/scrape"), "/scrape?info_hash=" + url_encode(hash_raw()) +
                                      "&info_hash=" + url_encode(std::string(20, 'z'))}) {
        auto reply = get(target);
        EXPECT_EQ(reply.status, 200u);
        auto d = decode(reply.body);
        auto files = d->node.dict_find_dict("files");
        ASSERT_TRUE(files) << target;
        EXPECT_EQ(files.dict_size(), 1) << "unknown hashes are left out: " << target;
        std::string h = hash_raw();
        auto f = files.dict_find_dict(lt::string_view(h.data(), h.size()));
        ASSERT_TRUE(f);
        EXPECT_EQ(f.dict_find_int_value("complete"), 1);
        EXPECT_EQ(f.dict_find_int_value("incomplete"), 1);
        EXPECT_EQ(f.dict_find_int_value("downloaded"), 1);
    }
    auto bad = decode(get("/scrape?info_hash=short").body);
    EXPECT_TRUE(bad->node.dict_find_string("failure reason"));
}

TEST_F(TrackerServiceTest, TorrentListAndFile) {
    auto list = get("/torrents/");
    EXPECT_EQ(list.status, 200u);
    EXPECT_EQ(list.body, torrent_file_name + "\n");
    auto file = get("/torrents/" + torrent_file_name);
    EXPECT_EQ(file.status, 200u);
    EXPECT_EQ(file.content_type, "application/x-bittorrent");
    EXPECT_EQ(file.body, torrent_bytes);
    // Read at request time: a rewritten file is served as it is now.
    write_file(fs::path(dir.path()) / "torrents" / torrent_file_name, "d1:xi1ee");
    EXPECT_EQ(get("/torrents/" + torrent_file_name).body, "d1:xi1ee");
    // Listed but gone from disk: 404, not a crash.
    fs::remove(fs::path(dir.path()) / "torrents" / torrent_file_name);
    EXPECT_EQ(get("/torrents/" + torrent_file_name).status, 404u);
}

TEST_F(TrackerServiceTest, NoPathTraversalAndOnlyServedFiles) {
    for (const char* target :
         {"/torrents/../secret", "/torrents/%2e%2e/secret", "/torrents/%2E%2E%2Fsecret",
          "/torrents/..", "/torrents/%2e%2e", "/torrents/not-served.torrent",
          "/torrents//etc/passwd", "/torrents/./image-demo.tar.torrent",
          "/torrents/image-demo.tar.torrent/", "/torrents/image-demo.tar.torrent%00",
          "/torrents/%zz"}) {
        auto r = get(target);
        EXPECT_EQ(r.status, 404u) << target;
        EXPECT_NE(r.body, "secret") << target;
    }
}

TEST_F(TrackerServiceTest, ASignatureIsServedBesideItsTorrentOnly) {
    // Unsigned: 404, and nothing logged as an error.
    EXPECT_EQ(get("/torrents/" + torrent_file_name + ".minisig").status, 404u);
    write_file(fs::path(dir.path()) / "torrents" / (torrent_file_name + ".minisig"), "signature\n");
    write_file(fs::path(dir.path()) / "torrents" / "not-served.torrent.minisig", "secret");
    auto sig = get("/torrents/" + torrent_file_name + ".minisig");
    EXPECT_EQ(sig.status, 200u);
    EXPECT_EQ(sig.body, "signature\n");
    EXPECT_EQ(get("/torrents/not-served.torrent.minisig").status, 404u);
    EXPECT_EQ(get("/torrents/../secret.minisig").status, 404u);
    // Not listed: the listing names torrents only.
    EXPECT_EQ(get("/torrents/").body, torrent_file_name + "\n");
}

TEST_F(TrackerServiceTest, UnknownPathsAndMethods) {
    for (const char* target : {"/", "/announce.php", "/announcex", "/scrape/x", "/index.html",
                               "announce", "/ANNOUNCE"}) {
        EXPECT_EQ(get(target).status, 404u) << target;
    }
    auto post = service->handle("POST", "/announce", net::ip::make_address("10.0.0.1"));
    EXPECT_EQ(post.status, 405u);
    EXPECT_EQ(service->handle("DELETE", "/torrents/", net::ip::make_address("10.0.0.1")).status,
              405u);
}

TEST_F(TrackerServiceTest, SetTorrentsSkipsBadHashesAndUnsafeNames) {
    service->set_torrents({{"nothex", "a.torrent"}, {hash_hex, "../evil.torrent"}});
    EXPECT_EQ(get("/torrents/").body, "");
    EXPECT_TRUE(store.tracks(hash_raw()));  // still tracked, just not served as a file
    EXPECT_EQ(get("/torrents/../evil.torrent").status, 404u);
}

// ---- WebFront over real sockets ----

std::uint16_t free_port() {
    net::io_context io;
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

struct HttpResult {
    unsigned status = 0;
    std::string body;
};

// Sends `raw` and reads until the server closes (or 5 s pass). Returns "" on a reset.
std::string raw_exchange(std::uint16_t port, const std::string& raw) {
    net::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval tv{5, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    boost::system::error_code ec;
    net::write(s, net::buffer(raw), ec);
    std::string out;
    char buf[4096];
    for (;;) {
        std::size_t n = s.read_some(net::buffer(buf), ec);
        if (ec) {
            break;
        }
        out.append(buf, n);
    }
    return out;
}

class TrackerServerTest : public ::testing::Test {
  protected:
    TempDir dir;
    Logger log;
    net::io_context io;
    std::uint16_t port = free_port();
    TrackerSettings settings;
    std::unique_ptr<WebFront> server;
    std::thread runner;
    std::promise<void> ran_out;

    void SetUp() override {
        log.set_stderr(false);
        fs::create_directories(fs::path(dir.path()) / "torrents");
        write_file(fs::path(dir.path()) / "torrents" / torrent_file_name, torrent_bytes);
        settings.address = "127.0.0.1";
        settings.port = port;
        settings.state_file = (fs::path(dir.path()) / "state" / "tracker.state").string();
        settings.torrent_dir = (fs::path(dir.path()) / "torrents").string();
        server = std::make_unique<WebFront>(io, settings, log);
        auto st = server->start();
        ASSERT_TRUE(st.ok()) << st.error().message;
        server->set_torrents({{hash_hex, torrent_file_name}});
        runner = std::thread([this] {
            io.run();
            ran_out.set_value();
        });
    }

    void TearDown() override {
        if (runner.joinable()) {
            io.stop();
            runner.join();
        }
    }

    // Posts stop() the way the daemon's signal handler does; true when io.run() then returns.
    bool stop_and_drain() {
        auto done = ran_out.get_future();
        net::post(io, [this] { server->stop(); });
        bool drained = done.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
        if (!drained) {
            io.stop();
        }
        runner.join();
        return drained;
    }
};

TEST_F(TrackerServerTest, KeepAliveAnnouncesGarbageAndStop) {
    // Two announces on one keep-alive connection.
    {
        net::io_context cio;
        boost::beast::tcp_stream stream(cio);
        stream.expires_after(std::chrono::seconds(5));
        stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        for (auto [id, p] : {std::pair{peer_id('a'), 7001}, std::pair{peer_id('b'), 7002}}) {
            http::request<http::empty_body> req(http::verb::get, announce_target(id, p), 11);
            req.set(http::field::host, "127.0.0.1");
            http::write(stream, req);
            boost::beast::flat_buffer buf;
            http::response<http::string_body> res;
            http::read(stream, buf, res);
            ASSERT_EQ(res.result_int(), 200u);
            EXPECT_TRUE(res.keep_alive());
            auto d = decode(res.body());
            EXPECT_FALSE(d->node.dict_find("failure reason")) << res.body();
            if (p == 7002) {
                EXPECT_EQ(str(d->node.dict_find_string_value("peers")),
                          std::string("\x7f\x00\x00\x01\x1b\x59", 6));  // 127.0.0.1:7001
            }
        }
    }

    // Garbage and an oversized header: an error status or a closed connection, never a crash.
    std::string garbage = raw_exchange(port, std::string("\x16\x03\x01\x00\xff garbage\r\n\r\n"));
    EXPECT_TRUE(garbage.empty() || garbage.starts_with("HTTP/1.1 400")) << garbage;
    std::string huge =
        "GET /announce HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\n\r\n";
    std::string big = raw_exchange(port, huge);
    EXPECT_TRUE(big.empty() || big.starts_with("HTTP/1.1 431")) << big.substr(0, 80);
    std::string body = raw_exchange(port,
                                    "POST /announce HTTP/1.1\r\nHost: x\r\n"
                                    "Content-Length: 5\r\n\r\nhello");
    EXPECT_TRUE(body.starts_with("HTTP/1.1 413")) << body;

    // Still serving, and the peers are still there.
    std::string list = raw_exchange(port, "GET /torrents/ HTTP/1.0\r\n\r\n");
    EXPECT_TRUE(list.starts_with("HTTP/1.0 200")) << list;
    EXPECT_NE(list.find("\r\n\r\n" + torrent_file_name + "\n"), std::string::npos) << list;
    std::string unknown = raw_exchange(port, "GET /nope HTTP/1.0\r\n\r\n");
    EXPECT_TRUE(unknown.starts_with("HTTP/1.0 404")) << unknown;
    std::string post = raw_exchange(port, "PUT /announce HTTP/1.0\r\n\r\n");
    EXPECT_TRUE(post.starts_with("HTTP/1.0 405")) << post;

    // An idle connection stays open while the server stops: stop() must still drain.
    net::io_context cio;
    tcp::socket idle(cio);
    idle.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));

    ASSERT_TRUE(stop_and_drain()) << "io_context still had work after stop()";
    EXPECT_EQ(server->peer_count(), 2u);
    ASSERT_TRUE(fs::exists(settings.state_file));

    // A restarted tracker restores both peers from the saved state.
    net::io_context io2;
    WebFront again(io2, settings, log);
    again.set_torrents({{hash_hex, torrent_file_name}});
    ASSERT_TRUE(again.start().ok());
    EXPECT_EQ(again.peer_count(), 2u);
    again.stop();
}

TEST_F(TrackerServerTest, ALargeReplyToASlowReaderGoesOutWhole) {
    // A reply that takes longer than one I/O time-out (10 s) to go out because the client
    // reads slowly (a node whose link the swarm keeps busy) must go out whole: the time-out is
    // for a client that stops, not for one that is slow. The page is loopback's largest send
    // buffer plus 8 MiB, read 64 KiB every 80 ms through a small receive buffer: its last 8 MiB
    // take about 14 s to leave (a whole-reply deadline cut it at 10 s).
    std::uint64_t send_buffer_max = 4 << 20;
    {
        std::ifstream wmem("/proc/sys/net/ipv4/tcp_wmem");
        std::uint64_t low = 0;
        std::uint64_t def = 0;
        wmem >> low >> def >> send_buffer_max;
    }
    const std::string page(send_buffer_max + (8 << 20), 'p');
    std::promise<void> handler_set;
    net::post(io, [&] {
        server->serve_pages(
            [&page](std::string_view path, std::string_view) -> std::optional<HttpReply> {
                if (path == "/big") {
                    return HttpReply{200, "text/plain", page, {}};
                }
                return std::nullopt;
            });
        handler_set.set_value();
    });
    handler_set.get_future().wait();

    net::io_context cio;
    tcp::socket s(cio);
    s.open(tcp::v4());
    const int rcvbuf = 64 << 10;
    ASSERT_EQ(::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    timeval tv{30, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    net::write(s, net::buffer(std::string("GET /big HTTP/1.0\r\n\r\n")));
    std::string got;
    std::vector<char> buf(64 << 10);
    boost::system::error_code ec;
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(80));
        const std::size_t n = s.read_some(net::buffer(buf), ec);
        if (ec) {
            break;
        }
        got.append(buf.data(), n);
    }
    const auto body_at = got.find("\r\n\r\n");
    ASSERT_NE(body_at, std::string::npos) << got.substr(0, 200);
    EXPECT_TRUE(got.starts_with("HTTP/1.0 200")) << got.substr(0, 200);
    EXPECT_EQ(got.size() - body_at - 4, page.size()) << "the reply was cut";
}

TEST_F(TrackerServerTest, AtTheConnectionLimitSilentConnectionsMakeRoom) {
    // More silent connections than the tracker keeps (512): the next ones wait in the listen
    // backlog, the silent ones are closed after 1 s, and a node that then asks for the
    // .torrent list is answered.
    rlimit lim{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_max < 2048) {
        GTEST_SKIP() << "needs RLIMIT_NOFILE of 2048 (both ends of 600 connections)";
    }
    lim.rlim_cur = lim.rlim_max;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
    net::io_context cio;
    std::vector<tcp::socket> idle;
    for (int i = 0; i < 600; ++i) {
        idle.emplace_back(cio);
        idle.back().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    }
    std::string list = raw_exchange(port, "GET /torrents/ HTTP/1.0\r\n\r\n");
    EXPECT_TRUE(list.starts_with("HTTP/1.0 200")) << list;
    idle.clear();
    EXPECT_TRUE(stop_and_drain());
}

TEST_F(TrackerServerTest, SecondTrackerOnTheSameStateFailsBeforeBinding) {
    net::io_context io2;
    TrackerSettings other_port = settings;
    other_port.port = free_port();
    WebFront second(io2, other_port, log);
    auto st = second.start();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message, "tracker: BT_TRACKER_STATE " + settings.state_file +
                                      " belongs to another running si_btd (" + settings.state_file +
                                      ".lock is locked)");
    EXPECT_EQ(st.error().kind, ErrorKind::already_running);
    EXPECT_TRUE(stop_and_drain());
}

TEST_F(TrackerServerTest, SecondBindFailsWithAClearMessage) {
    net::io_context io2;
    TrackerSettings other_state = settings;
    other_state.state_file += ".other";
    WebFront second(io2, other_state, log);
    auto st = second.start();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message,
              "tracker: bind 127.0.0.1:" + std::to_string(port) + ": Address already in use");
    EXPECT_EQ(st.error().kind, ErrorKind::bind);
    EXPECT_TRUE(stop_and_drain());
}

TEST_F(TrackerServerTest, CorruptStateIsIgnored) {
    ASSERT_TRUE(stop_and_drain());
    write_file(settings.state_file, "this is not a tracker state");
    net::io_context io2;
    WebFront again(io2, settings, log);
    auto st = again.start();
    EXPECT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(again.peer_count(), 0u);
    again.stop();
    io2.run();  // must return: nothing left to do
}

}  // namespace
}  // namespace si
