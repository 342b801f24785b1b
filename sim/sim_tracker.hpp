#pragma once
// Our tracker on the simulated network: a minimal HTTP/1.x front (one request per connection,
// as libtorrent's announces are) that hands each request to the real TrackerService, the same
// socket-free request handling si_btd's Beast front feeds.
#include <cstdint>
#include <memory>

#include "server/tracker/tracker_service.hpp"
#include "simulator/simulator.hpp"

namespace si::simnet {

class SimTracker {
  public:
    SimTracker(sim::asio::io_context& ioc, std::uint16_t port, TrackerService& service);
    void stop();

  private:
    struct Connection;
    void accept();

    sim::asio::io_context& ioc_;
    sim::asio::ip::tcp::acceptor acceptor_;
    TrackerService& service_;
    std::shared_ptr<Connection> next_;
    bool stopped_ = false;
};

}  // namespace si::simnet
