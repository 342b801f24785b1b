// tracker_load: announce load against an HTTP tracker, for side-by-side comparisons.
//
//   tracker_load --host 127.0.0.1 --port 6969 --info-hash HEX [--path /announce]
//                [--connections 64] [--duration 10] [--requests 1000000] [--peers 10000]
//                [--numwant 50] [--bind 127.0.0.1] [--reconnect 0|1]
//
// Each of --connections clients sends GET announces one after another on a keep-alive
// HTTP/1.1 connection (reconnecting whenever the server closes it), cycling through --peers
// distinct peers (own peer_id and port each; a peer's first announce is event=started, a
// quarter of the peers are seeds). It stops at --duration seconds or --requests requests,
// whichever comes first (--reconnect 1: a new connection for every request), then scrapes the
// torrent to count the swarm members the tracker holds. Prints requests/s, p50/p99 latency, errors,
// and one machine-readable RESULT line.

// First, on its own: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

// A single reply that takes this long counts as an error and the connection is dropped.
constexpr std::chrono::seconds request_timeout{5};

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6969;
    std::string path = "/announce";
    std::string info_hash_hex;
    std::string bind;        // source address; empty: the kernel's choice
    bool reconnect = false;  // a new connection for every request
    int connections = 64;
    double duration_s = 10;
    std::uint64_t max_requests = 1'000'000;
    std::uint32_t peers = 10'000;
    int numwant = 50;
};

struct Stats {
    std::uint64_t sent = 0;  // requests handed out (bounded by max_requests)
    std::uint64_t ok = 0;
    std::uint64_t failures = 0;  // 200 with a bencoded "failure reason"
    std::uint64_t errors = 0;    // transport errors, timeouts, non-200
    std::uint64_t connects = 0;
    std::vector<std::uint32_t> latency_us;
};

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr, "tracker_load: %s\n", msg);
    std::fprintf(stderr,
                 "usage: tracker_load --host H --port P --info-hash HEX [--path /announce]\n"
                 "       [--connections N] [--duration S] [--requests N] [--peers N]\n"
                 "       [--numwant N] [--bind ADDR] [--reconnect 0|1]\n");
    std::exit(2);
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (i + 1 >= argc) {
            usage(("missing value for " + std::string(a)).c_str());
        }
        std::string v = argv[++i];
        if (a == "--host") {
            o.host = v;
        } else if (a == "--port") {
            o.port = static_cast<std::uint16_t>(std::stoul(v));
        } else if (a == "--path") {
            o.path = v;
        } else if (a == "--info-hash") {
            o.info_hash_hex = v;
        } else if (a == "--bind") {
            o.bind = v;
        } else if (a == "--reconnect") {
            o.reconnect = v != "0";
        } else if (a == "--connections") {
            o.connections = std::max(1, std::stoi(v));
        } else if (a == "--duration") {
            o.duration_s = std::stod(v);
        } else if (a == "--requests") {
            o.max_requests = std::stoull(v);
        } else if (a == "--peers") {
            o.peers = static_cast<std::uint32_t>(std::max(1ul, std::stoul(v)));
        } else if (a == "--numwant") {
            o.numwant = std::stoi(v);
        } else {
            usage(("unknown option " + std::string(a)).c_str());
        }
    }
    if (o.info_hash_hex.size() != 40) {
        usage("--info-hash needs 40 hex digits");
    }
    if (o.peers > 50'000) {
        usage("--peers: at most 50000 (each peer needs its own port number)");
    }
    return o;
}

std::string percent_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += '%';
        out += hex.substr(i, 2);
    }
    return out;
}

class Load {
  public:
    Load(net::io_context& io, Options o) : io_(io), o_(std::move(o)), server_closes_(o_.reconnect) {
        hash_enc_ = percent_hex(o_.info_hash_hex);
        started_.assign(o_.peers, false);
        stats_.latency_us.reserve(1 << 20);
    }

    void run() {
        begin_ = clock_type::now();
        deadline_ = begin_ + std::chrono::duration_cast<clock_type::duration>(
                                 std::chrono::duration<double>(o_.duration_s));
        for (int i = 0; i < o_.connections; ++i) {
            net::co_spawn(io_, client(), net::detached);
        }
        io_.run();
        end_ = clock_type::now();
    }

    const Stats& stats() const { return stats_; }
    double elapsed_s() const { return std::chrono::duration<double>(end_ - begin_).count(); }
    std::uint32_t peers_announced() const {
        return static_cast<std::uint32_t>(std::count(started_.begin(), started_.end(), true));
    }

  private:
    std::optional<std::string> next_target() {
        if (stats_.sent >= o_.max_requests || clock_type::now() >= deadline_) {
            return std::nullopt;
        }
        auto peer = static_cast<std::uint32_t>(stats_.sent % o_.peers);
        ++stats_.sent;
        char id[21];
        std::snprintf(id, sizeof id, "-TL0001-%012u", peer);
        std::string t = o_.path + "?info_hash=" + hash_enc_ + "&peer_id=" + id +
                        "&port=" + std::to_string(10000 + peer) +
                        "&uploaded=0&downloaded=0&left=" + (peer % 4 == 0 ? "0" : "1048576") +
                        "&compact=1&numwant=" + std::to_string(o_.numwant) +
                        "&key=" + std::string(id + 8);
        if (!started_[peer]) {
            started_[peer] = true;
            t += "&event=started";
        }
        return t;
    }

    net::awaitable<void> client() {
        tcp::endpoint server(net::ip::make_address(o_.host), o_.port);
        std::optional<beast::tcp_stream> stream;
        beast::flat_buffer buf;
        bool reused = false;  // the stream already carried a request
        while (auto target = next_target()) {
            // A server may close a keep-alive connection after a reply without saying so
            // (opentracker does): an end of stream on a reused connection is retried once on
            // a fresh one, and from then on every request gets its own connection.
            for (int attempt = 0; attempt < 2; ++attempt) {
                auto t0 = clock_type::now();
                try {
                    if (!stream) {
                        stream.emplace(io_);
                        stream->socket().open(server.protocol());
                        stream->socket().set_option(tcp::no_delay(true));
                        if (!o_.bind.empty()) {
                            stream->socket().set_option(tcp::socket::reuse_address(true));
                            stream->socket().bind({net::ip::make_address(o_.bind), 0});
                        }
                        stream->expires_after(request_timeout);
                        co_await stream->async_connect(server, net::use_awaitable);
                        ++stats_.connects;
                        buf.clear();
                        reused = false;
                    }
                    http::request<http::empty_body> req(http::verb::get, *target, 11);
                    req.set(http::field::host, o_.host);
                    // Like libtorrent's tracker requests: the server closes, so its side (not
                    // ours, which needs free ephemeral ports) holds the TIME_WAIT.
                    req.keep_alive(!server_closes_);
                    stream->expires_after(request_timeout);
                    co_await http::async_write(*stream, req, net::use_awaitable);
                    http::response<http::string_body> res;
                    co_await http::async_read(*stream, buf, res, net::use_awaitable);
                    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        clock_type::now() - t0);
                    stats_.latency_us.push_back(static_cast<std::uint32_t>(us.count()));
                    if (res.result_int() != 200) {
                        ++stats_.errors;
                    } else if (res.body().find("failure reason") != std::string::npos) {
                        ++stats_.failures;
                    } else {
                        ++stats_.ok;
                    }
                    reused = true;
                    if (!res.keep_alive() || server_closes_) {
                        stream.reset();
                    }
                    break;
                } catch (const boost::system::system_error& e) {
                    stream.reset();
                    bool closed = e.code() == http::error::end_of_stream ||
                                  e.code() == net::error::connection_reset ||
                                  e.code() == net::error::broken_pipe;
                    if (reused && closed && attempt == 0) {
                        server_closes_ = true;
                        continue;
                    }
                    ++stats_.errors;
                    if (stats_.errors <= 3) {
                        std::fprintf(stderr, "tracker_load: %s\n", e.what());
                    }
                    break;
                }
            }
        }
    }

    net::io_context& io_;
    Options o_;
    std::string hash_enc_;
    std::vector<bool> started_;
    Stats stats_;
    clock_type::time_point begin_;
    clock_type::time_point end_;
    clock_type::time_point deadline_;
    bool server_closes_;  // the server closes after each reply (or --reconnect 1)
};

// complete + incomplete from a scrape reply, or -1. A tiny search, not a bencode parser:
// the scrape of one torrent holds exactly one of each key.
long long swarm_members(const Options& o) {
    std::string path = o.path;
    auto pos = path.rfind("announce");
    if (pos == std::string::npos) {
        return -1;
    }
    path.replace(pos, 8, "scrape");
    try {
        net::io_context io;
        beast::tcp_stream s(io);
        s.expires_after(request_timeout);
        s.connect(tcp::endpoint(net::ip::make_address(o.host), o.port));
        http::request<http::empty_body> req(
            http::verb::get, path + "?info_hash=" + percent_hex(o.info_hash_hex), 11);
        req.set(http::field::host, o.host);
        http::write(s, req);
        beast::flat_buffer buf;
        http::response<http::string_body> res;
        http::read(s, buf, res);
        const std::string& b = res.body();
        auto number_after = [&](std::string_view key) -> long long {
            auto at = b.find(key);
            return at == std::string::npos ? -1 : std::atoll(b.c_str() + at + key.size());
        };
        long long c = number_after("8:completei");
        long long i = number_after("10:incompletei");
        return c < 0 || i < 0 ? -1 : c + i;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tracker_load: scrape: %s\n", e.what());
        return -1;
    }
}

double percentile_ms(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    net::io_context io;
    Load load(io, o);
    load.run();
    Stats s = load.stats();
    double elapsed = load.elapsed_s();
    double rate = elapsed > 0 ? static_cast<double>(s.ok + s.failures) / elapsed : 0;
    double p50 = percentile_ms(s.latency_us, 0.50);
    double p99 = percentile_ms(s.latency_us, 0.99);
    long long members = swarm_members(o);
    std::printf("%s:%u%s  %d connections, %u peers announced\n", o.host.c_str(), o.port,
                o.path.c_str(), o.connections, load.peers_announced());
    std::printf("  %llu ok, %llu failure replies, %llu errors, %llu connects in %.2f s\n",
                static_cast<unsigned long long>(s.ok), static_cast<unsigned long long>(s.failures),
                static_cast<unsigned long long>(s.errors),
                static_cast<unsigned long long>(s.connects), elapsed);
    std::printf("  %.0f requests/s, latency p50 %.3f ms, p99 %.3f ms, swarm members %lld\n", rate,
                p50, p99, members);
    std::printf(
        "RESULT rate=%.0f p50_ms=%.3f p99_ms=%.3f ok=%llu failures=%llu errors=%llu "
        "members=%lld\n",
        rate, p50, p99, static_cast<unsigned long long>(s.ok),
        static_cast<unsigned long long>(s.failures), static_cast<unsigned long long>(s.errors),
        members);
    return s.ok > 0 ? 0 : 1;
}
