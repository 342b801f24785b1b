#include "http_get.hpp"

#include <algorithm>
#include <functional>

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

Result<HttpResponse> http_get(const std::string& host, std::uint16_t port,
                              const std::string& target, const std::string& bind_address,
                              std::chrono::milliseconds timeout, std::uint64_t body_limit) {
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
    parser.body_limit(body_limit);
    beast::flat_buffer buffer;
    std::string step = "connect";

    using clock = std::chrono::steady_clock;
    const auto give_up = clock::now() + http_get_max_waits * timeout;
    auto arm = [&] { stream.expires_at(std::min(clock::now() + timeout, give_up)); };
    // The body in as many reads as it takes, each given `timeout` to bring bytes.
    std::function<void()> read_more = [&] {
        arm();
        http::async_read_some(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
            if (e) {
                ec = e;
            } else if (!parser.is_done()) {
                read_more();
            }
        });
    };
    arm();
    stream.async_connect(endpoint, [&](beast::error_code e) {
        if (e) {
            ec = e;
            return;
        }
        step = "send request to";
        arm();
        http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
            if (e2) {
                ec = e2;
                return;
            }
            step = "read reply from";
            read_more();
        });
    });
    io.run();
    if (ec == http::error::body_limit) {
        return Error{"reply from " + where + ": body over " + std::to_string(body_limit) + " bytes",
                     ErrorKind::bad_data};
    }
    if (ec) {
        std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
        return Error{step + " " + where + ": " + why};
    }
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    return out;
}

}  // namespace si
