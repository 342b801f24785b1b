#include "server/view/monitor_listener.hpp"

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <unordered_set>

#include "common/monitor_auth.hpp"
#include "server/web/tcp_listen.hpp"

namespace si {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

}  // namespace

struct MonitorListener::Core : std::enable_shared_from_this<MonitorListener::Core> {
    Core(net::io_context& io, OnReport r, OnReject j)
        : io(io), acceptor(io), on_report(std::move(r)), on_reject(std::move(j)) {}

    struct Connection : std::enable_shared_from_this<Connection> {
        Connection(tcp::socket s, std::shared_ptr<Core> c)
            : socket(std::move(s)), timer(socket.get_executor()), core(std::move(c)) {
            error_code ec;
            from = socket.remote_endpoint(ec).address().to_string();
            core->open.insert(this);
        }
        ~Connection() { core->open.erase(this); }

        void start() {
            timer.expires_after(monitor_read_timeout);
            timer.async_wait([self = shared_from_this()](error_code ec) {
                if (!ec) {
                    self->close();  // too slow: whatever came is dropped
                }
            });
            read();
        }

        void read() {
            socket.async_read_some(net::buffer(buffer),
                                   [self = shared_from_this()](error_code ec, std::size_t n) {
                                       self->on_read(ec, n);
                                   });
        }

        void on_read(error_code ec, std::size_t n) {
            if (core->stopped || ec == net::error::operation_aborted) {
                return;
            }
            ReportLineReader::State st =
                ec ? reader.finish() : reader.feed(std::string_view(buffer.data(), n));
            if (st == ReportLineReader::State::need_more && !ec) {
                read();
                return;
            }
            if (st == ReportLineReader::State::complete) {
                if (auto r = parse_monitor_report(reader.line())) {
                    r->auth = std::string(
                        report_auth_word(check_report_line(reader.line(), core->auth_key)));
                    core->on_report(*r, from);
                } else {
                    core->on_reject(r.error().message, from);
                }
            } else if (st == ReportLineReader::State::too_long) {
                core->on_reject("monitor report: line over the " +
                                    std::to_string(max_report_bytes) + "-byte limit",
                                from);
            }
            close();
        }

        void close() {
            error_code ignored;
            timer.cancel();
            socket.shutdown(tcp::socket::shutdown_both, ignored);
            socket.close(ignored);
        }

        tcp::socket socket;
        net::steady_timer timer;
        std::shared_ptr<Core> core;
        std::string from;
        std::array<char, 1024> buffer{};
        ReportLineReader reader;
    };

    void accept_next() {
        acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket s) {
            if (self->stopped || ec == net::error::operation_aborted) {
                return;
            }
            if (!ec) {
                if (self->open.size() >= max_monitor_connections) {
                    error_code ignored;
                    s.close(ignored);  // a flood: the reports that fit are enough
                } else {
                    std::make_shared<Connection>(std::move(s), self)->start();
                }
            }
            self->accept_next();
        });
    }

    net::io_context& io;
    tcp::acceptor acceptor;
    OnReport on_report;
    OnReject on_reject;
    std::unordered_set<Connection*> open;
    std::string where;
    std::string auth_key;  // BT_MONITOR_KEY; "": reports are not checked
    bool stopped = false;
};

MonitorListener::MonitorListener(net::io_context& io, OnReport on_report, OnReject on_reject)
    : core_(std::make_shared<Core>(io, std::move(on_report), std::move(on_reject))) {}

MonitorListener::~MonitorListener() {
    stop();
}

Status MonitorListener::start(const std::string& address, std::uint16_t port) {
    Core& c = *core_;
    if (auto st = listen_on(c.acceptor, address, port, "monitor"); !st) {
        return st;
    }
    c.where = address + ":" + std::to_string(port);
    c.accept_next();
    return Ok{};
}

void MonitorListener::set_auth_key(std::string key) {
    core_->auth_key = std::move(key);
}

void MonitorListener::stop() {
    Core& c = *core_;
    if (c.stopped) {
        return;
    }
    c.stopped = true;
    c.where.clear();
    error_code ignored;
    c.acceptor.close(ignored);
    std::vector<Core::Connection*> open(c.open.begin(), c.open.end());
    for (auto* conn : open) {
        conn->close();
    }
}

std::string MonitorListener::address() const {
    return core_->where;
}

}  // namespace si
