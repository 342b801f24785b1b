#pragma once
// The server's listening TCP sockets (the tracker's HTTP, the monitor listener) opened the one
// way: SO_REUSEADDR (a restarted daemon binds at once, past TIME_WAIT), the system's backlog.
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace si {

// Opens, binds and listens `acceptor` on <address>:<port>; closed again on failure. Fails with
// "<what>: bad address 'x': <why>" (ErrorKind::address) or "<what>: bind 10.0.0.1:6969:
// Address already in use" (ErrorKind::bind).
Status listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address,
                 std::uint16_t port, const std::string& what);

}  // namespace si
