#include "http_get.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace si {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
// Torrents are small; anything larger is not what we asked for.
constexpr std::uint64_t max_body_bytes = 32 * 1024 * 1024;
}  // namespace

Result<HttpResponse> http_get(const std::string& host, std::uint16_t port,
                              const std::string& target, const std::string& bind_address,
                              std::chrono::milliseconds timeout) {
    const std::string where = host + ":" + std::to_string(port);
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) {
        return Error{"connect " + where + ": not a numeric address"};
    }
    asio::io_context io;
    beast::tcp_stream stream(io);
    tcp::endpoint endpoint(address, port);
    stream.socket().open(endpoint.protocol(), ec);
    if (!ec && !bind_address.empty()) {
        auto local = asio::ip::make_address(bind_address, ec);
        if (!ec) {
            stream.socket().bind(tcp::endpoint(local, 0), ec);
        }
        if (ec) {
            return Error{"bind " + bind_address + ": " + ec.message()};
        }
    }
    if (ec) {
        return Error{"connect " + where + ": " + ec.message()};
    }
    HttpResponse out;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, where);
    req.set(http::field::user_agent, "si_btagent/" SI_VERSION);
    req.set(http::field::connection, "close");
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    beast::flat_buffer buffer;
    std::string step = "connect";

    stream.expires_after(timeout);
    stream.async_connect(endpoint, [&](beast::error_code e) {
        if (e) {
            ec = e;
            return;
        }
        step = "send request to";
        http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
            if (e2) {
                ec = e2;
                return;
            }
            step = "read reply from";
            http::async_read(stream, buffer, parser,
                             [&](beast::error_code e3, std::size_t) { ec = e3; });
        });
    });
    io.run();
    if (ec) {
        std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
        return Error{step + " " + where + ": " + why};
    }
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    return out;
}

}  // namespace si
