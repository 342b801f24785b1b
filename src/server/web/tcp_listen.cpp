#include "server/web/tcp_listen.hpp"

namespace si {

Status listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address,
                 std::uint16_t port, const std::string& what) {
    namespace net = boost::asio;
    boost::system::error_code ec;
    const auto ip = net::ip::make_address(address, ec);
    if (ec) {
        return Error{what + ": bad address '" + address + "': " + ec.message(), ErrorKind::address};
    }
    const net::ip::tcp::endpoint ep(ip, port);
    acceptor.open(ep.protocol(), ec);
    if (!ec) {
        acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(ep, ec);
    }
    if (!ec) {
        acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        return Error{what + ": bind " + address + ":" + std::to_string(port) + ": " + ec.message(),
                     ErrorKind::bind};
    }
    return Ok{};
}

}  // namespace si
