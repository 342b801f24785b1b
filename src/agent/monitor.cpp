#include "monitor.hpp"

#include <sys/statvfs.h>
#include <sys/utsname.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <ifaddrs.h>

#include "common/monitor_auth.hpp"

namespace si {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// The original reported every 10 s.
constexpr auto report_interval = std::chrono::seconds(10);
constexpr auto send_timeout = std::chrono::seconds(3);
// Reports waiting for a slow monitor; older ones are dropped beyond this.
constexpr std::size_t max_pending_reports = 4;

std::string first_line_with(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto v = line.substr(colon + 1);
                v.erase(0, v.find_first_not_of(" \t"));
                return v;
            }
        }
    }
    return "";
}

// The MAC of the interface that holds `address`, or of the first non-loopback one.
std::string mac_for(const std::string& address) {
    std::string ifname;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
        for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
            if (it->ifa_addr != nullptr && it->ifa_addr->sa_family == AF_INET) {
                char buf[64] = {};
                auto* sin = reinterpret_cast<sockaddr_in*>(it->ifa_addr);
                inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
                if (address == buf) {
                    ifname = it->ifa_name;
                }
            }
        }
        freeifaddrs(list);
    }
    std::string mac;
    std::ifstream in("/sys/class/net/" + ifname + "/address");
    if (ifname.empty() || !std::getline(in, mac)) {
        mac = "00:00:00:00:00:00";
    }
    for (char& c : mac) {
        c = c == ':' ? '.' : c;
    }
    return mac;
}

int tmpfs_use_percent() {
    struct statvfs v {};
    if (statvfs("/", &v) != 0 || v.f_blocks == 0) {
        return 0;
    }
    return static_cast<int>(100 - (v.f_bavail * 100) / v.f_blocks);
}

std::int64_t uptime_seconds() {
    std::ifstream in("/proc/uptime");
    double up = 0;
    in >> up;
    return static_cast<std::int64_t>(up);
}

}  // namespace

NodeFacts read_node_facts(const std::string& own_address) {
    NodeFacts n;
    n.ip = own_address;
    n.mac = mac_for(own_address);
    utsname u{};
    if (uname(&u) == 0) {
        n.host = u.nodename;
        n.kernel = u.release;
    }
    n.cpu = first_line_with("/proc/cpuinfo", "model name");
    n.ncpus = static_cast<int>(std::thread::hardware_concurrency());
    std::string mem = first_line_with("/proc/meminfo", "MemTotal");
    n.mem_kb = std::atoll(mem.c_str());
    return n;
}

std::string monitor_line(const NodeFacts& n, const std::string& os, int tmpfs_percent,
                         std::int64_t uptime_s, const AgentReport& r) {
    // ':' separates fields: keep it out of the values.
    // ':' separates fields and the server refuses control bytes: keep both out of values.
    auto clean = [](std::string v) {
        for (char& c : v) {
            const auto u = static_cast<unsigned char>(c);
            c = (c == ':' || u < 0x20 || u == 0x7f) ? ' ' : c;
        }
        return v;
    };
    std::string line = "mac=" + n.mac + ":ip=" + n.ip + ":host=" + clean(n.host) +
                       ":cpu=" + clean(n.cpu) + ":ncpus=" + std::to_string(n.ncpus) +
                       ":kernel=" + clean(n.kernel) + ":mem=" + std::to_string(n.mem_kb) +
                       ":os=" + clean(os) + ":tmpfs=" + std::to_string(tmpfs_percent) +
                       ":time=" + std::to_string(uptime_s) + ":status=" + std::to_string(r.status) +
                       ":speed=" + std::to_string(r.speed_kbs);
    if (!r.phase.empty()) {
        line += ":phase=" + clean(r.phase);
    }
    if (r.up_kbs >= 0) {
        line += ":up=" + std::to_string(r.up_kbs);
    }
    if (r.peers >= 0) {
        line += ":peers=" + std::to_string(r.peers);
    }
    if (r.proof) {
        const InstallProof& p = *r.proof;
        line += ":pieces=" + std::to_string(p.pieces_verified) + "/" +
                std::to_string(p.pieces_total) + (p.archive_end ? ":archive=end" : "") +
                ":overrides=" + std::to_string(p.overrides_applied) + "/" +
                std::to_string(p.overrides_fetched) + ":entries=" + std::to_string(p.entries) +
                ":bytes=" + std::to_string(p.bytes);
    }
    if (!r.install.empty()) {
        line += ":install=" + clean(r.install);
    }
    if (!r.error.empty()) {
        // "fetch torrent: image 'x' is not served" reads "fetch torrent - image 'x' ...".
        std::string error = r.error.substr(0, 200);
        for (std::size_t at = error.find(": "); at != std::string::npos; at = error.find(": ")) {
            error.replace(at, 2, " - ");
        }
        line += ":error=" + clean(error);
    }
    if (!r.console.empty()) {
        // One line per record, " | " between them; ": " reads " - " as in error=.
        std::string text;
        for (const std::string& l : r.console) {
            text += (text.empty() ? "" : " | ") + l;
        }
        for (std::size_t at = text.find(": "); at != std::string::npos; at = text.find(": ")) {
            text.replace(at, 2, " - ");
        }
        if (text.size() > max_console_bytes) {
            std::size_t from = text.size() - max_console_bytes + 3;
            while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) {
                ++from;  // not in the middle of a character
            }
            text = "..." + text.substr(from);
        }
        line += ":log=" + clean(text);
    }
    return line;
}

MonitorReporter::MonitorReporter(const AgentSettings& s, std::string own_address, Logger& log)
    : servers_(s.monitor_servers),
      port_(s.monitor_port),
      os_(s.image_name),
      bind_(std::move(own_address)),
      log_(log),
      warned_(servers_.size(), false) {
    if (enabled()) {
        node_ = read_node_facts(bind_);
    }
}

void MonitorReporter::maybe_send(const AgentReport& report) {
    if (std::chrono::steady_clock::now() - last_ >= report_interval) {
        send(report);
    }
}

MonitorReporter::~MonitorReporter() {
    {
        std::lock_guard lock(mu_);
        closing_ = true;
        // At exit only the final state matters: keep the last report, drop older ones.
        while (pending_.size() > 1) {
            pending_.pop_front();
        }
    }
    wake_.notify_all();
    if (worker_.joinable()) {
        worker_.join();
    }
}

void MonitorReporter::send(const AgentReport& report) {
    if (!enabled()) {
        return;
    }
    last_ = std::chrono::steady_clock::now();
    std::string line = monitor_line(node_, os_, tmpfs_use_percent(), uptime_seconds(), report);
    if (!auth_key_.empty()) {
        line = seal_report_line(line, auth_key_);
    }
    line += "\n";
    {
        std::lock_guard lock(mu_);
        while (pending_.size() >= max_pending_reports) {
            pending_.pop_front();
        }
        pending_.push_back(std::move(line));
        if (!worker_.joinable()) {
            worker_ = std::thread([this] { run(); });
        }
    }
    wake_.notify_one();
}

void MonitorReporter::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        wake_.wait(lock, [this] { return closing_ || !pending_.empty(); });
        if (pending_.empty()) {
            return;  // closing, and everything delivered
        }
        std::string line = std::move(pending_.front());
        pending_.pop_front();
        lock.unlock();
        deliver(line);
        lock.lock();
    }
}

void MonitorReporter::deliver(const std::string& line) {
    // Every server at once, in one bounded wait: a dead one costs the others nothing.
    asio::io_context io;
    struct Delivery {
        const ServerAddress* server;
        std::uint16_t port;
        tcp::socket sock;
        boost::system::error_code ec = asio::error::timed_out;
    };
    std::vector<std::unique_ptr<Delivery>> deliveries;
    for (const ServerAddress& server : servers_) {
        const std::uint16_t port = server.port != 0 ? server.port : port_;
        auto d = std::make_unique<Delivery>(Delivery{&server, port, tcp::socket(io)});
        boost::system::error_code ec;
        tcp::endpoint to(asio::ip::make_address(server.address, ec), port);
        if (!ec) {
            d->sock.open(tcp::v4(), ec);
        }
        if (!ec && !bind_.empty()) {
            d->sock.bind(tcp::endpoint(asio::ip::make_address(bind_, ec), 0), ec);
        }
        if (ec) {
            d->ec = ec;
        } else {
            Delivery* p = d.get();
            p->sock.async_connect(to, [p, &line](const boost::system::error_code& e) {
                p->ec = e ? e : asio::error::timed_out;
                if (!e) {
                    asio::async_write(
                        p->sock, asio::buffer(line),
                        [p](const boost::system::error_code& e2, std::size_t) { p->ec = e2; });
                }
            });
        }
        deliveries.push_back(std::move(d));
    }
    io.run_for(send_timeout);
    for (std::size_t i = 0; i < deliveries.size(); ++i) {
        const Delivery& d = *deliveries[i];
        if (d.ec && !warned_[i]) {
            warned_[i] = true;
            log_.warn("monitor " + d.server->address + ":" + std::to_string(d.port) + ": " +
                      d.ec.message() + " (reports go on being tried)");
        }
    }
}

}  // namespace si
