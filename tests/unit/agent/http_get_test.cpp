// http_get against a real server on loopback that answers at its own pace: a reply that keeps
// coming is read whole, one that stops or never ends is cut with "timed out".
#include "agent/http_get.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "common/unique_fd.hpp"

namespace si {
namespace {

using namespace std::chrono_literals;

// Serves one connection on 127.0.0.1: reads the request, sends `header`, then `body` in
// chunks of `chunk` bytes with `pause` before each, until it is all sent, the client goes,
// or the test ends.
class PacedServer {
  public:
    PacedServer(std::string header, std::string body, std::size_t chunk,
                std::chrono::milliseconds pause)
        : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (!listener_ || ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 ||
            ::listen(listener_.get(), 1) != 0 ||
            ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            return;
        }
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this, header = std::move(header), body = std::move(body), chunk,
                               pause] { serve(header, body, chunk, pause); });
    }
    ~PacedServer() {
        stop_ = true;
        ::shutdown(listener_.get(), SHUT_RDWR);
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    PacedServer(const PacedServer&) = delete;
    PacedServer& operator=(const PacedServer&) = delete;

    std::uint16_t port() const { return port_; }

  private:
    void serve(const std::string& header, const std::string& body, std::size_t chunk,
               std::chrono::milliseconds pause) {
        UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) {
            return;
        }
        std::string request;
        char buf[1024];
        while (request.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::recv(c.get(), buf, sizeof buf, 0);
            if (n <= 0) {
                return;
            }
            request.append(buf, static_cast<std::size_t>(n));
        }
        if (!send_all(c.get(), header)) {
            return;
        }
        for (std::size_t at = 0; at < body.size() && !stop_; at += chunk) {
            std::this_thread::sleep_for(pause);
            if (!send_all(c.get(), std::string_view(body).substr(at, chunk))) {
                return;
            }
        }
    }
    static bool send_all(int fd, std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    UniqueFd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::string header_for(std::size_t body_bytes) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_bytes) +
           "\r\nConnection: close\r\n\r\n";
}

TEST(HttpGet, AReplySlowerThanTheTimeOutButSteadyIsReadWhole) {
    // 2,000 bytes in 20 chunks 100 ms apart: 2 s in all, 4 x the 500 ms time-out, but never
    // 500 ms without bytes.
    const std::string body(2000, 't');
    PacedServer server(header_for(body.size()), body, 100, 100ms);
    ASSERT_NE(server.port(), 0);
    auto r = http_get("127.0.0.1", server.port(), "/torrents/image-a.tar.gz.torrent", "", 500ms);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, body);
}

TEST(HttpGet, AReplyThatStopsIsCutWithTimedOut) {
    // The header, then nothing for 1.5 s.
    PacedServer server(header_for(100), std::string(100, 's'), 100, 1500ms);
    ASSERT_NE(server.port(), 0);
    auto r = http_get("127.0.0.1", server.port(), "/torrents/", "", 300ms);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "read reply from 127.0.0.1:" + std::to_string(server.port()) + ": timed out");
}

TEST(HttpGet, AReplyThatNeverEndsIsCutAfterTheLastWait) {
    // 10 MB at 1,000 bytes every 50 ms would take 500 s: cut after http_get_max_waits x 200 ms.
    PacedServer server(header_for(10'000'000), std::string(10'000'000, 'n'), 1000, 50ms);
    ASSERT_NE(server.port(), 0);
    auto r = http_get("127.0.0.1", server.port(), "/torrents/", "", 200ms);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
}

TEST(HttpGet, ABodyOverTheLimitFailsAtOnceAsBadData) {
    // A Content-Length of 50 MB against a limit of 1 MB: refused from the header.
    PacedServer server(header_for(50'000'000), std::string(100'000, 'b'), 100'000, 0ms);
    ASSERT_NE(server.port(), 0);
    auto r = http_get("127.0.0.1", server.port(), "/torrents/x.torrent", "", 5000ms, 1 << 20);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::bad_data);
    EXPECT_EQ(r.error().message, "reply from 127.0.0.1:" + std::to_string(server.port()) +
                                     ": body over 1048576 bytes");
}

}  // namespace
}  // namespace si
