#pragma once
// Readiness for systemd's Type=notify, without libsystemd: one datagram to the AF_UNIX socket
// named by NOTIFY_SOCKET (sd_notify(3) describes the protocol: "READY=1" once serving).
#include <string_view>

#include "common/log.hpp"
#include "common/result.hpp"

namespace si {

// Sends `state` ("READY=1", "STOPPING=1", ...) to $NOTIFY_SOCKET. Ok when the variable is
// unset or empty (not started by systemd); an error (ErrorKind::io) when the socket is
// unusable. A path starting with '@' names an abstract socket.
Status notify_systemd(std::string_view state);

// "READY=1" with our pid, logging a failure as a warning (the daemon serves anyway; systemd
// then times the start out and says so).
void notify_systemd_ready(Logger& log);

}  // namespace si
