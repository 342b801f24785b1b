#include "torrent_fetch.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "http_get.hpp"
#include "server_failover.hpp"
#include "torrent_check.hpp"

namespace si {
namespace {

using namespace std::chrono_literals;

// One request may take this long; the whole walk over the servers is bounded by
// server_timeout_s (server_failover.hpp).
constexpr auto request_timeout = 10s;

std::string host_port(const AgentSettings& s, const ServerAddress& server) {
    return server.address + ":" + std::to_string(server.port != 0 ? server.port : s.tracker_port);
}

// One GET of one server. No answer: ask again later; an answer that is too big for a .torrent
// of ours (torrent_check.hpp): asking again brings the same.
Result<HttpResponse> get_once(const AgentSettings& s, const ServerAddress& server,
                              const std::string& target, const std::string& bind, bool* ask_again) {
    auto r = http_get(server.address, server.port != 0 ? server.port : s.tracker_port, target, bind,
                      std::chrono::milliseconds(request_timeout), max_torrent_bytes);
    if (r) {
        return r;
    }
    if (r.error().kind == ErrorKind::bad_data) {
        *ask_again = false;
        return Error{"GET " + target + ": " + r.error().message +
                         " (a .torrent of si_btd's "
                         "is at most " +
                         std::to_string(max_torrent_bytes >> 20) + " MiB)",
                     ErrorKind::bad_data};
    }
    *ask_again = true;
    return Error{r.error().message, ErrorKind::unreachable};
}

std::string served_names(const std::string& listing) {
    std::istringstream in(listing);
    std::string line, images, overrides;
    while (std::getline(in, line)) {
        for (PackKind kind : {PackKind::image, PackKind::override_}) {
            std::string prefix = std::string(kind_word(kind)) + "-";
            if (line.rfind(prefix, 0) != 0) {
                continue;
            }
            std::string name = line.substr(prefix.size());
            name = name.substr(0, name.find(".tar"));
            std::string& list = kind == PackKind::image ? images : overrides;
            list += (list.empty() ? "" : ", ") + name;
        }
    }
    return "it serves images: " + (images.empty() ? "none" : images) +
           "; overrides: " + (overrides.empty() ? "none" : overrides);
}

}  // namespace

Result<FetchedTorrent> fetch_torrent(const AgentSettings& s, PackKind kind, const std::string& name,
                                     const std::string& bind, Logger& log,
                                     const TorrentVerifier& verify) {
    FetchedTorrent out;
    const auto ask = [&](const ServerAddress& server) -> ServerAnswer {
        ServerAnswer answer;
        auto listing = get_once(s, server, "/torrents/", bind, &answer.ask_again);
        if (!listing) {
            answer.status = listing.error();
            return answer;
        }
        if (listing->status != 200) {
            answer.status =
                Error{"image server " + server.address + ": GET /torrents/ answered HTTP " +
                          std::to_string(listing->status) + " (is it si_btd?)",
                      ErrorKind::unreachable};
            return answer;
        }
        out.file_name.clear();
        for (Compression c : {Compression::gzip, Compression::zstd, Compression::none}) {
            std::string tarball = tarball_name(kind, name, c);
            std::string file = torrent_name(tarball);
            std::istringstream in(listing->body);
            std::string line;
            while (std::getline(in, line)) {
                if (line == file) {
                    out.file_name = file;
                    out.tarball = tarball;
                }
            }
            if (!out.file_name.empty()) {
                break;
            }
        }
        if (out.file_name.empty()) {
            answer.status =
                Error{std::string(kind_word(kind)) + " '" + name + "' is not served by " +
                          server.address + " (" + served_names(listing->body) + ")",
                      ErrorKind::not_found};
            return answer;
        }
        auto got = get_once(s, server, "/torrents/" + out.file_name, bind, &answer.ask_again);
        if (!got) {
            answer.status = got.error();
            return answer;
        }
        if (got->status != 200) {
            answer.status =
                Error{"GET /torrents/" + out.file_name + ": HTTP " + std::to_string(got->status),
                      ErrorKind::not_found};
            return answer;
        }
        if (verify) {
            if (auto st = verify(server, "/torrents/" + out.file_name, got->body); !st) {
                answer.status = st.error();
                answer.ask_again = st.error().kind == ErrorKind::unreachable;
                return answer;
            }
        }
        auto info = check_torrent(got->body, out.file_name, out.tarball);
        if (!info) {
            answer.status = info.error();
            return answer;
        }
        out.info = std::move(*info);
        out.bytes = std::move(got->body);
        return answer;
    };
    auto served = first_server_answering(s.image_servers, s.tracker_port,
                                         std::chrono::seconds(s.server_timeout_s), ask, log);
    if (!served) {
        return served.error();
    }
    out.server = *served;
    log.info(out.file_name + " from image server " + host_port(s, s.image_servers[*served]));
    return out;
}

}  // namespace si
