#pragma once
// Where an HTTP request comes from, for the operator's commands (POST): si_btd answers GET from
// anyone on its network, but takes a command that changes what it holds (forgetting a node)
// only from the image server itself. Pure: addresses in, a verdict out.
#include <boost/asio/ip/address.hpp>

namespace si {

// True when a connection from `remote` that arrived on the local address `local` was made on
// this host: `remote` is a loopback address (127.0.0.0/8, ::1), or it equals `local` (a program
// on the server that connected to BT_INTERFACE's address: the kernel gives such a connection
// that address as its source). IPv4-mapped IPv6 addresses count as their IPv4 address.
bool from_this_host(const boost::asio::ip::address& remote, const boost::asio::ip::address& local);

}  // namespace si
