#include "sim_network.hpp"

#include <chrono>

namespace si::simnet {

using sim::chrono::high_resolution_clock;

ClusterNetwork::ClusterNetwork(sim::asio::ip::address server, LinkSpec server_link,
                               LinkSpec node_link, int mtu)
    : server_(server), server_link_(server_link), node_link_(node_link), mtu_(mtu) {}

void ClusterNetwork::build(sim::simulation& sim) {
    sim_ = &sim;
    // Bandwidth 0 and queue 0: the switch forwards at once and never drops.
    switch_ = std::make_shared<sim::queue>(sim.get_io_context(), 0,
                                           high_resolution_clock::duration::zero(), 0, "switch");
}

void ClusterNetwork::clear() {
    switch_.reset();
    in_.clear();
    out_.clear();
}

const LinkSpec& ClusterNetwork::spec_for(const sim::asio::ip::address& ip) const {
    if (ip == server_) {
        return server_link_;
    }
    const auto it = hosts_.find(ip);
    return it != hosts_.end() ? it->second : node_link_;
}

std::shared_ptr<sim::queue> ClusterNetwork::make_queue(const LinkSpec& spec, bool with_delay,
                                                       const char* name) {
    const auto delay = with_delay ? std::chrono::duration_cast<high_resolution_clock::duration>(
                                        std::chrono::duration<double, std::milli>(spec.delay_ms))
                                  : high_resolution_clock::duration::zero();
    return std::make_shared<sim::queue>(sim_->get_io_context(), static_cast<int>(spec.rate_bps / 8),
                                        delay, spec.queue_bytes, name);
}

sim::route ClusterNetwork::channel_route(sim::asio::ip::address, sim::asio::ip::address) {
    return sim::route().append(switch_);
}

sim::route ClusterNetwork::incoming_route(sim::asio::ip::address ip) {
    auto it = in_.find(ip);
    if (it == in_.end()) {
        it = in_.emplace(ip, make_queue(spec_for(ip), false, "link in")).first;
    }
    return sim::route().append(it->second);
}

sim::route ClusterNetwork::outgoing_route(sim::asio::ip::address ip) {
    auto it = out_.find(ip);
    if (it == out_.end()) {
        it = out_.emplace(ip, make_queue(spec_for(ip), true, "link out")).first;
    }
    return sim::route().append(it->second);
}

int ClusterNetwork::path_mtu(sim::asio::ip::address, sim::asio::ip::address) {
    return mtu_;
}

high_resolution_clock::duration ClusterNetwork::hostname_lookup(
    sim::asio::ip::address const&, std::string, std::vector<sim::asio::ip::address>&,
    boost::system::error_code& ec) {
    // Everything is addressed by IP in the cluster; a name lookup is a bug in the setup.
    ec = boost::asio::error::host_not_found;
    return std::chrono::duration_cast<high_resolution_clock::duration>(
        std::chrono::milliseconds(1));
}

}  // namespace si::simnet
