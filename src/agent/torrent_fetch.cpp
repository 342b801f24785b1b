#include "torrent_fetch.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "http_get.hpp"
#include "torrent_check.hpp"

namespace si {
namespace {

using namespace std::chrono_literals;

// One request may take this long; the whole retry loop is bounded by server_timeout_s.
constexpr auto request_timeout = 10s;
constexpr auto first_backoff = 1s;
constexpr auto max_backoff = 10s;

// GET with retries while the server cannot be reached; an HTTP answer of any status ends it.
Result<HttpResponse> get_with_retries(const AgentSettings& s, const std::string& target,
                                      const std::string& bind, Logger& log) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(s.server_timeout_s);
    auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(first_backoff);
    for (int attempt = 1;; ++attempt) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto r = http_get(s.image_server, s.tracker_port, target, bind,
                          std::clamp(left, std::chrono::milliseconds(500),
                                     std::chrono::milliseconds(request_timeout)),
                          max_torrent_bytes);
        if (r) {
            return r;
        }
        if (r.error().kind == ErrorKind::bad_data) {
            // The server answered, with more than a .torrent of ours may be (torrent_check.hpp):
            // no retry brings better.
            return Error{"GET " + target + ": " + r.error().message +
                             " (a .torrent of si_btd's "
                             "is at most " +
                             std::to_string(max_torrent_bytes >> 20) + " MiB)",
                         ErrorKind::bad_data};
        }
        if (std::chrono::steady_clock::now() + backoff >= deadline) {
            return Error{"image server " + s.image_server + ":" + std::to_string(s.tracker_port) +
                             " unreachable for " + std::to_string(s.server_timeout_s) +
                             " s: " + r.error().message,
                         ErrorKind::unreachable};
        }
        log.warn(r.error().message + " (attempt " + std::to_string(attempt) + ", retrying in " +
                 std::to_string(backoff.count() / 1000.0).substr(0, 3) + " s)");
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2,
                           std::chrono::duration_cast<std::chrono::milliseconds>(max_backoff));
    }
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
    auto listing = get_with_retries(s, "/torrents/", bind, log);
    if (!listing) {
        return listing.error();
    }
    if (listing->status != 200) {
        return Error{"image server " + s.image_server + ": GET /torrents/ answered HTTP " +
                         std::to_string(listing->status) + " (is it si_btd?)",
                     ErrorKind::unreachable};
    }
    FetchedTorrent out;
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
        return Error{std::string(kind_word(kind)) + " '" + name + "' is not served by " +
                         s.image_server + " (" + served_names(listing->body) + ")",
                     ErrorKind::not_found};
    }
    auto got = get_with_retries(s, "/torrents/" + out.file_name, bind, log);
    if (!got) {
        return got.error();
    }
    if (got->status != 200) {
        return Error{"GET /torrents/" + out.file_name + ": HTTP " + std::to_string(got->status),
                     ErrorKind::not_found};
    }
    if (verify) {
        if (auto st = verify("/torrents/" + out.file_name, got->body); !st) {
            return st.error();
        }
    }
    auto info = check_torrent(got->body, out.file_name, out.tarball);
    if (!info) {
        return info.error();
    }
    out.info = std::move(*info);
    out.bytes = std::move(got->body);
    return out;
}

}  // namespace si
