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

struct Answer {
    unsigned status = 0;
    std::string body;
};

// One request to `url` (http://HOST:PORT), bounded by 5 s in all.
Result<Answer> exchange(const std::string& url, http::verb verb, const std::string& target,
                        const std::string& user_agent) {
    std::string host, port;
    if (!split_url(url, host, port)) {
        return Error{"--url " + url + ": not http://HOST:PORT", ErrorKind::usage};
    }
    net::io_context io;
    beast::tcp_stream stream(io);
    net::ip::tcp::resolver resolver(io);
    http::request<http::empty_body> req{verb, target, 11};
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
        return Error{url + target + ": " + result.message(), ErrorKind::unreachable};
    }
    return Answer{res.result_int(), std::move(res.body())};
}

// The first line of a text answer, without its newline.
std::string first_line(const std::string& body) {
    return body.substr(0, body.find('\n'));
}

}  // namespace

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

Result<std::string> fetch_status(const std::string& url, const std::string& user_agent) {
    auto answer = exchange(url, http::verb::get, "/status.json", user_agent);
    if (!answer) {
        return answer.error();
    }
    if (answer->status != 200) {
        return Error{url + "/status.json: HTTP " + std::to_string(answer->status) +
                         " (is this si_btd 0.2 or later?)",
                     ErrorKind::unreachable};
    }
    return std::move(answer->body);
}

Result<std::string> send_command(const std::string& url, const std::string& target,
                                 const std::string& user_agent) {
    auto answer = exchange(url, http::verb::post, target, user_agent);
    if (!answer) {
        return answer.error();
    }
    switch (answer->status) {
        case 200:
            return std::move(answer->body);
        case 404:
            return Error{first_line(answer->body), ErrorKind::not_found};
        case 400:
        case 403:
            return Error{first_line(answer->body), ErrorKind::usage};
        default:
            return Error{url + target + ": HTTP " + std::to_string(answer->status) + " (" +
                             first_line(answer->body) + "; an si_btd older than this si_btstatus?)",
                         ErrorKind::unreachable};
    }
}

}  // namespace si
