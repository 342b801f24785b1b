#include "server/tracker/tracker_service.hpp"

#include "common/file_io.hpp"
#include "common/hex_string.hpp"
#include "common/minisign.hpp"
#include "common/tracker_reason.hpp"
#include "server/tracker/announce_query.hpp"
#include "server/tracker/tracker_reply.hpp"
#include "server/web/request_target.hpp"

namespace si {
namespace {

HttpReply bencoded(std::string body) {
    return {200, bencode_content_type, std::move(body), {}};
}
HttpReply failure(std::string_view reason) {
    return bencoded(failure_reply(reason));
}
HttpReply text(unsigned status, std::string body) {
    return {status, text_content_type, std::move(body), {}};
}

boost::asio::ip::address unmapped(const boost::asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
    }
    return a;
}

std::string endpoint_text(const boost::asio::ip::address& ip, std::uint16_t port) {
    std::string host = ip.to_string();
    if (ip.is_v6()) {
        host = "[" + host + "]";
    }
    return host + ":" + std::to_string(port);
}

bool servable_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

}  // namespace

TrackerService::TrackerService(PeerStore& store, std::string torrent_dir, Logger& log)
    : store_(store), torrent_dir_(std::move(torrent_dir)), log_(log) {}

void TrackerService::set_torrents(const std::vector<ServedTorrent>& torrents) {
    file_by_hash_.clear();
    files_.clear();
    std::vector<std::string> hashes;
    for (const ServedTorrent& t : torrents) {
        auto raw = from_hex(t.info_hash_hex);
        if (!raw || raw->size() != info_hash_bytes) {
            log_.warn("tracker: not tracking " + t.file_name + ": bad info-hash '" +
                      t.info_hash_hex + "'");
            continue;
        }
        hashes.push_back(*raw);
        file_by_hash_[*raw] = t.file_name;
        if (servable_name(t.file_name)) {
            files_.insert(t.file_name);
        } else {
            log_.warn("tracker: not serving file '" + t.file_name + "': not a plain file name");
        }
    }
    store_.set_torrents(hashes);
}

HttpReply TrackerService::handle(std::string_view method, std::string_view target,
                                 const boost::asio::ip::address& remote) {
    if (method != "GET") {
        return text(405, "method not allowed: only GET\n");
    }
    const RequestTarget split = split_request_target(target);
    const std::string_view path = tracker_page(split.path);
    const std::string_view query = split.query;
    if (path == "/announce") {
        ++announces_;
        return announce(query, unmapped(remote));
    }
    if (path == "/scrape") {
        return scrape(query);
    }
    if (path == "/torrents/" || path == "/torrents") {
        return torrent_list();
    }
    constexpr std::string_view prefix = "/torrents/";
    if (path.starts_with(prefix)) {
        return torrent_file(path.substr(prefix.size()));
    }
    if (pages_) {
        if (auto page = pages_(path, query)) {
            return std::move(*page);
        }
    }
    return text(404, "not found\n");
}

HttpReply TrackerService::announce(std::string_view query, const boost::asio::ip::address& remote) {
    auto q = parse_announce_query(query);
    if (!q) {
        log_.warn_repeated("bad announce", "tracker: bad announce from " + remote.to_string() +
                                               ": " + q.error().message);
        return failure(q.error().message);
    }
    AnnounceRequest req;
    req.info_hash = q->info_hash;
    req.peer_id = q->peer_id;
    req.ip = remote;
    req.port = q->port;
    req.uploaded = q->uploaded;
    req.downloaded = q->downloaded;
    req.left = q->left;
    req.event = q->event;
    req.numwant = q->numwant;
    auto result = store_.announce(req);
    if (!result) {
        std::string reason =
            "unknown info_hash " + hex_string(q->info_hash) + ": " + std::string(not_served_reason);
        log_.warn_repeated("refused announce",
                           "tracker: " + endpoint_text(remote, q->port) + ": " + reason);
        return failure(reason);
    }
    if (q->event != AnnounceEvent::none || result->completed_now) {
        std::string what(event_name(q->event));
        if (result->completed_now && q->event != AnnounceEvent::completed) {
            what = (q->event == AnnounceEvent::none ? "" : what + ", ") + "completed";
        }
        log_.info("tracker: " + endpoint_text(remote, q->port) + " " + what + " " +
                  file_by_hash_[q->info_hash]);
    }
    if (result->new_peer && q->left > 0 && new_leecher_) {
        new_leecher_(q->info_hash, remote, q->port);
    }
    AnnounceReply reply;
    reply.interval = announce_interval;
    reply.min_interval = announce_min_interval;
    reply.counts = result->counts;
    reply.peers = std::move(result->peers);
    return bencoded(announce_reply(reply, q->compact, q->no_peer_id));
}

HttpReply TrackerService::scrape(std::string_view query) {
    auto q = parse_scrape_query(query);
    if (!q) {
        return failure(q.error().message);
    }
    std::vector<ScrapeEntry> entries;
    // No info_hash: every served torrent (BEP 48). Unknown hashes are left out.
    std::vector<std::string> hashes = q->info_hashes.empty() ? store_.torrents() : q->info_hashes;
    for (const std::string& h : hashes) {
        if (auto c = store_.counts(h)) {
            entries.push_back({h, *c});
        }
    }
    return bencoded(scrape_reply(entries));
}

HttpReply TrackerService::torrent_list() const {
    std::string body;
    for (const std::string& name : files_) {
        body += name;
        body += '\n';
    }
    return text(200, std::move(body));
}

HttpReply TrackerService::torrent_file(std::string_view encoded_name) {
    // Only names in the served set are ever opened, compared after decoding: "..", "%2e%2e",
    // "a/../b" and the like match none of them.
    auto name = percent_decode(encoded_name, false);
    // <served>.minisig: si_btd's signature of a served torrent (server/signing.hpp), when
    // signing is on; it is not listed.
    const bool signature = name && !files_.contains(*name) && name->ends_with(signature_suffix) &&
                           files_.contains(name->substr(0, name->size() - signature_suffix.size()));
    if (!name || (!files_.contains(*name) && !signature)) {
        return text(404, "no such torrent\n");
    }
    std::string path = torrent_dir_ + "/" + *name;
    auto data = read_text_file(path);
    if (!data) {
        if (!signature) {
            log_.error("tracker: " + data.error().message);
        }
        return text(404, signature ? "not signed\n" : "no such torrent\n");
    }
    return {200, signature ? text_content_type : torrent_content_type, std::move(*data), {}};
}

}  // namespace si
