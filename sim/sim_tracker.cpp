#include "sim_tracker.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace si::simnet {
namespace {

// Longest request head accepted (libtorrent's announces are well under 1 KiB).
constexpr std::size_t max_head_bytes = 16 * 1024;

std::string http_response(const HttpReply& r) {
    std::string out =
        "HTTP/1.1 " + std::to_string(r.status) + " -\r\nContent-Type: " + r.content_type +
        "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
    for (const auto& [name, value] : r.headers) {
        out += name + ": " + value + "\r\n";
    }
    return out + "\r\n" + r.body;
}

}  // namespace

struct SimTracker::Connection : std::enable_shared_from_this<Connection> {
    Connection(sim::asio::io_context& ioc, TrackerService& s) : socket(ioc), service(s) {}

    void read() {
        auto self = shared_from_this();
        socket.async_read_some(
            boost::asio::buffer(chunk),
            [self](const boost::system::error_code& ec, std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(const boost::system::error_code& ec, std::size_t n) {
        if (ec) {
            return;
        }
        head.append(chunk.data(), n);
        const auto end = head.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (head.size() < max_head_bytes) {
                read();
            }
            return;
        }
        // "GET /announce?... HTTP/1.1"
        const std::string_view line(head.data(), head.find("\r\n"));
        const auto sp1 = line.find(' ');
        const auto sp2 = line.rfind(' ');
        HttpReply reply;
        if (sp1 == std::string_view::npos || sp2 <= sp1) {
            reply.status = 400;
            reply.content_type = text_content_type;
            reply.body = "bad request line\n";
        } else {
            boost::system::error_code rec;
            const auto remote = socket.remote_endpoint(rec).address();
            reply =
                service.handle(line.substr(0, sp1), line.substr(sp1 + 1, sp2 - sp1 - 1), remote);
        }
        out = http_response(reply);
        if (std::getenv("SI_SIM_DEBUG")) {
            std::fprintf(stderr, "tracker: %s %s -> %u, %zu bytes\n",
                         socket.remote_endpoint(rec_).address().to_string().c_str(),
                         std::string(line).c_str(), reply.status, reply.body.size());
        }
        write();
    }

    void write() {
        auto self = shared_from_this();
        socket.async_write_some(boost::asio::buffer(out.data() + sent, out.size() - sent),
                                [self](const boost::system::error_code& ec, std::size_t n) {
                                    if (ec) {
                                        return;
                                    }
                                    self->sent += n;
                                    if (self->sent < self->out.size()) {
                                        self->write();
                                    } else {
                                        boost::system::error_code ignored;
                                        self->socket.close(ignored);
                                    }
                                });
    }

    sim::asio::ip::tcp::socket socket;
    TrackerService& service;
    std::array<char, 2048> chunk{};
    std::string head;
    std::string out;
    std::size_t sent = 0;
    boost::system::error_code rec_;
};

SimTracker::SimTracker(sim::asio::io_context& ioc, std::uint16_t port, TrackerService& service)
    : ioc_(ioc), acceptor_(ioc), service_(service) {
    const sim::asio::ip::tcp::endpoint ep(ioc.get_ips().front(), port);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen(1024);
    accept();
}

void SimTracker::accept() {
    next_ = std::make_shared<Connection>(ioc_, service_);
    acceptor_.async_accept(next_->socket, [this](const boost::system::error_code& ec) {
        if (ec || stopped_) {
            return;
        }
        next_->read();
        accept();
    });
}

void SimTracker::stop() {
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

}  // namespace si::simnet
