#include "server/view/status_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace si {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

// "http://host:port[/]" -> host, port. Only plain HTTP: si_btd serves nothing else.
bool split_url(const std::string& url, std::string& host, std::string& port) {
    const std::string prefix = "http://";
    if (url.rfind(prefix, 0) != 0) {
        return false;
    }
    std::string rest = url.substr(prefix.size());
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        rest.resize(slash);
    }
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
        return false;
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    return port.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Result<std::string> fetch_status(const std::string& url, const std::string& user_agent) {
    std::string host, port;
    if (!split_url(url, host, port)) {
        return Error{"--url " + url + ": not http://HOST:PORT", ErrorKind::usage};
    }
    net::io_context io;
    beast::tcp_stream stream(io);
    net::ip::tcp::resolver resolver(io);
    http::request<http::empty_body> req{http::verb::get, "/status.json", 11};
    req.set(http::field::host, host);
    req.set(http::field::user_agent, user_agent);
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    beast::error_code result = net::error::timed_out;
    stream.expires_after(std::chrono::seconds(5));
    resolver.async_resolve(host, port, [&](beast::error_code ec, auto endpoints) {
        if (ec) {
            result = ec;
            return;
        }
        stream.async_connect(endpoints, [&](beast::error_code ec2, auto) {
            if (ec2) {
                result = ec2;
                return;
            }
            http::async_write(stream, req, [&](beast::error_code ec3, std::size_t) {
                if (ec3) {
                    result = ec3;
                    return;
                }
                http::async_read(stream, buffer, res,
                                 [&](beast::error_code ec4, std::size_t) { result = ec4; });
            });
        });
    });
    io.run_for(std::chrono::seconds(6));
    if (result) {
        return Error{url + "/status.json: " + result.message(), ErrorKind::unreachable};
    }
    if (res.result() != http::status::ok) {
        return Error{url + "/status.json: HTTP " + std::to_string(res.result_int()) +
                         " (is this si_btd 0.2 or later?)",
                     ErrorKind::unreachable};
    }
    return std::move(res.body());
}

}  // namespace si
