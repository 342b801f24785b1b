#pragma once
// The image server's end of SystemImager's monitor protocol (monitor_report.hpp): accepts
// one report line per TCP connection on the daemon's io_context, from si_btagent and from any
// SystemImager 4.x client (MONITOR_SERVER / MONITOR_PORT on their kernel command line).
// Bounded so that no sender can stop or slow the daemon: at most max_monitor_connections
// open (more are closed at once), each closed after monitor_read_timeout or max_report_bytes.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "server/view/monitor_report.hpp"

namespace si {

inline constexpr std::size_t max_monitor_connections = 256;
inline constexpr std::chrono::seconds monitor_read_timeout{5};

class MonitorListener {
  public:
    // Called on the io_context's thread with each parsed report and the sender's address.
    using OnReport = std::function<void(const MonitorReport& report, const std::string& from)>;
    // Called with why a line was dropped ("monitor report: no mac= field ...").
    using OnReject = std::function<void(const std::string& why, const std::string& from)>;

    MonitorListener(boost::asio::io_context& io, OnReport on_report, OnReject on_reject);
    ~MonitorListener();
    MonitorListener(const MonitorListener&) = delete;
    MonitorListener& operator=(const MonitorListener&) = delete;

    // Binds <address>:<port> and starts accepting. Fails (ErrorKind::bind) with
    // "monitor: bind 10.0.0.1:8181: Address already in use".
    Status start(const std::string& address, std::uint16_t port);
    // With a key (BT_MONITOR_KEY's raw bytes), each report's auth says whether its hmac=
    // verifies (common/monitor_auth.hpp); without one, auth is "". Call before start().
    void set_auth_key(std::string key);
    // Closes the listening socket and every open connection.
    void stop();
    // "10.0.0.1:8181" while listening, else "".
    std::string address() const;

  private:
    struct Core;
    std::shared_ptr<Core> core_;
};

}  // namespace si
