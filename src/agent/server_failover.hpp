#pragma once
// The agent's walk over its image servers (IMAGESERVER=a,b,c): ask each in the order given,
// take the first that answers, go on to the next when one fails. Pure policy: the asking and
// the waiting are the caller's (torrent_fetch.cpp, the layout in si_btagent_main.cpp), so unit
// tests run it without sockets or sleeps.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "common/result.hpp"
#include "common/server_list.hpp"

namespace si {

// One server's answer: Ok, or an Error and whether to ask that server again. No answer at all
// (refused, timed out, reset) is asked again in the next round, after a backoff, until the
// deadline; an answer that asking again would not change (an HTTP error, the image not served
// there, a bad .torrent) is not.
struct ServerAnswer {
    Status status = Ok{};
    bool ask_again = false;
};
using ServerAttempt = std::function<ServerAnswer(const ServerAddress& server)>;

struct FailoverSeams {
    std::function<std::chrono::steady_clock::time_point()> now;
    std::function<void(std::chrono::milliseconds)> sleep;
};
FailoverSeams real_failover_seams();

// A round asks every server still in the game once; between rounds the wait doubles from 1 s
// to at most 10 s (a server restarting or still packing gets time; a dead one costs nothing).
inline constexpr std::chrono::milliseconds failover_first_backoff{1000};
inline constexpr std::chrono::milliseconds failover_max_backoff{10000};

// Returns the index in `servers` of the first that answered Ok; logs each failure as a warning
// ("image server 10.0.0.1:6969: connect ...: Connection refused; trying 10.0.0.2:6969").
// Fails when no server answers Ok:
//   - every server gave an answer not to ask again: the first lasting error of the most telling
//   kind
//     (not_found before the others: "image 'x' is not served by 10.0.0.1 (...)"), with the
//     other servers' errors after it when there are several;
//   - some were unreachable until `timeout` passed since the start: ErrorKind::unreachable,
//     "image server 10.0.0.1:6969 unreachable for 120 s: <its last error>" (for several:
//     "image servers 10.0.0.1:6969, 10.0.0.2:6969 unreachable for 120 s: <last error>").
// `default_port` completes a server written without a port, in messages.
Result<std::size_t> first_server_answering(const std::vector<ServerAddress>& servers,
                                           std::uint16_t default_port, std::chrono::seconds timeout,
                                           const ServerAttempt& attempt, Logger& log,
                                           const FailoverSeams& seams = real_failover_seams());

// The servers with `first` moved to the front and the others in their order: what was served
// by one server is asked of it first (the layout of the image whose .torrent it gave).
std::vector<ServerAddress> servers_starting_with(const std::vector<ServerAddress>& servers,
                                                 std::size_t first);

}  // namespace si
