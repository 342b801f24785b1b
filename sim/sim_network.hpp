#pragma once
// The simulated cluster network: every host (the image server and each node) has its own link
// to a switch, shaped both ways to the host's rate with a one-way delay on the way out, like
// bench/deploy's veth pairs with htb on both ends and netem below the upload. The switch adds
// nothing. libsimulator asks for these routes when sockets connect.
#include <map>
#include <memory>

#include "simulator/queue.hpp"
#include "simulator/simulator.hpp"

namespace si::simnet {

struct LinkSpec {
    double rate_bps = 0;  // each direction
    double delay_ms = 0;  // one way, on the way out
    int queue_bytes = 0;  // tail-drop queue in front of each direction
};

class ClusterNetwork final : public sim::configuration {
  public:
    // `server` gets `server_link`; every other address `node_link`. Path MTU is `mtu` bytes.
    ClusterNetwork(sim::asio::ip::address server, LinkSpec server_link, LinkSpec node_link,
                   int mtu);
    // One more host with a link of its own (before the simulation starts).
    void add_host(sim::asio::ip::address ip, LinkSpec link) { hosts_[ip] = link; }

    void build(sim::simulation& sim) override;
    sim::route channel_route(sim::asio::ip::address src, sim::asio::ip::address dst) override;
    sim::route incoming_route(sim::asio::ip::address ip) override;
    sim::route outgoing_route(sim::asio::ip::address ip) override;
    int path_mtu(sim::asio::ip::address a, sim::asio::ip::address b) override;
    sim::chrono::high_resolution_clock::duration hostname_lookup(
        sim::asio::ip::address const& requestor, std::string hostname,
        std::vector<sim::asio::ip::address>& result, boost::system::error_code& ec) override;
    void clear() override;

  private:
    const LinkSpec& spec_for(const sim::asio::ip::address& ip) const;
    std::shared_ptr<sim::queue> make_queue(const LinkSpec& spec, bool with_delay, const char* name);

    sim::asio::ip::address server_;
    LinkSpec server_link_;
    std::map<sim::asio::ip::address, LinkSpec> hosts_;  // add_host()
    LinkSpec node_link_;
    int mtu_;
    sim::simulation* sim_ = nullptr;
    std::shared_ptr<sim::queue> switch_;
    std::map<sim::asio::ip::address, std::shared_ptr<sim::queue>> in_;
    std::map<sim::asio::ip::address, std::shared_ptr<sim::queue>> out_;
};

}  // namespace si::simnet
