#include "server/web/request_origin.hpp"

namespace si {
namespace {

boost::asio::ip::address unmapped(const boost::asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
    }
    return a;
}

}  // namespace

bool from_this_host(const boost::asio::ip::address& remote, const boost::asio::ip::address& local) {
    const auto r = unmapped(remote);
    if (r.is_loopback()) {
        return true;
    }
    const auto l = unmapped(local);
    return !r.is_unspecified() && r == l;
}

}  // namespace si
