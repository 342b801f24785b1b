#include "server_failover.hpp"

#include <algorithm>
#include <thread>

namespace si {
namespace {

std::string with_port(const ServerAddress& s, std::uint16_t default_port) {
    return s.address + ":" + std::to_string(s.port != 0 ? s.port : default_port);
}

// The kinds in the order a failure of every server is reported: a missing image says most.
int telling(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::not_found:
            return 0;
        case ErrorKind::bad_data:
            return 1;
        default:
            return 2;
    }
}

}  // namespace

FailoverSeams real_failover_seams() {
    return FailoverSeams{[] { return std::chrono::steady_clock::now(); },
                         [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }};
}

Result<std::size_t> first_server_answering(const std::vector<ServerAddress>& servers,
                                           std::uint16_t default_port, std::chrono::seconds timeout,
                                           const ServerAttempt& attempt, Logger& log,
                                           const FailoverSeams& seams) {
    if (servers.empty()) {
        return Error{"no image server given", ErrorKind::config};
    }
    const auto deadline = seams.now() + timeout;
    std::vector<bool> settled(servers.size(), false);  // a lasting answer: not asked again
    std::vector<Error> lasting;
    Error last_unreachable{"", ErrorKind::unreachable};
    auto backoff = failover_first_backoff;
    for (int round = 1;; ++round) {
        for (std::size_t i = 0; i < servers.size(); ++i) {
            if (settled[i]) {
                continue;
            }
            const ServerAnswer answer = attempt(servers[i]);
            const Status& got = answer.status;
            if (got) {
                return i;
            }
            if (answer.ask_again) {
                last_unreachable = got.error();
            } else {
                settled[i] = true;
                lasting.push_back(got.error());
            }
            if (servers.size() > 1) {
                log.warn("image server " + with_port(servers[i], default_port) + ": " +
                         got.error().message +
                         (i + 1 < servers.size() ? "; trying the next one" : ""));
            }
        }
        if (std::all_of(settled.begin(), settled.end(), [](bool s) { return s; })) {
            std::stable_sort(lasting.begin(), lasting.end(), [](const Error& a, const Error& b) {
                return telling(a.kind) < telling(b.kind);
            });
            Error out = lasting.front();
            for (std::size_t k = 1; k < lasting.size(); ++k) {
                out.message += "; " + lasting[k].message;
            }
            return out;
        }
        if (seams.now() + backoff >= deadline) {
            std::string names;
            for (std::size_t i = 0; i < servers.size(); ++i) {
                if (!settled[i]) {
                    names += (names.empty() ? "" : ", ") + with_port(servers[i], default_port);
                }
            }
            const bool several = names.find(',') != std::string::npos;
            return Error{std::string(several ? "image servers " : "image server ") + names +
                             " unreachable for " + std::to_string(timeout.count()) +
                             " s: " + last_unreachable.message,
                         ErrorKind::unreachable};
        }
        if (servers.size() == 1) {
            log.warn(last_unreachable.message + " (attempt " + std::to_string(round) +
                     ", retrying in " + std::to_string(backoff.count() / 1000.0).substr(0, 3) +
                     " s)");
        }
        seams.sleep(backoff);
        backoff = std::min(backoff * 2, failover_max_backoff);
    }
}

std::vector<ServerAddress> servers_starting_with(const std::vector<ServerAddress>& servers,
                                                 std::size_t first) {
    std::vector<ServerAddress> out;
    if (first < servers.size()) {
        out.push_back(servers[first]);
    }
    for (std::size_t i = 0; i < servers.size(); ++i) {
        if (i != first) {
            out.push_back(servers[i]);
        }
    }
    return out;
}

}  // namespace si
