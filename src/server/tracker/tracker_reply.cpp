#include "server/tracker/tracker_reply.hpp"

#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>

namespace si {
namespace {

namespace lt = libtorrent;

std::string encode(const lt::entry& e) {
    std::string out;
    lt::bencode(std::back_inserter(out), e);
    return out;
}

std::int64_t as_int(std::uint64_t v) {
    return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
}

void append_port(std::string& out, std::uint16_t port) {
    out += static_cast<char>(port >> 8);
    out += static_cast<char>(port & 0xff);
}

}  // namespace

std::string failure_reply(std::string_view reason) {
    lt::entry e(lt::entry::dictionary_t);
    e["failure reason"] = std::string(reason);
    return encode(e);
}

std::string announce_reply(const AnnounceReply& reply, bool compact, bool no_peer_id) {
    lt::entry e(lt::entry::dictionary_t);
    e["interval"] = reply.interval.count();
    e["min interval"] = reply.min_interval.count();
    e["complete"] = as_int(reply.counts.complete);
    e["incomplete"] = as_int(reply.counts.incomplete);
    if (compact) {
        std::string v4;
        std::string v6;
        for (const PeerEntry& p : reply.peers) {
            if (p.ip.is_v4()) {
                auto b = p.ip.to_v4().to_bytes();
                v4.append(b.begin(), b.end());
                append_port(v4, p.port);
            } else {
                auto b = p.ip.to_v6().to_bytes();
                v6.append(b.begin(), b.end());
                append_port(v6, p.port);
            }
        }
        e["peers"] = std::move(v4);
        e["peers6"] = std::move(v6);
    } else {
        lt::entry::list_type& list = e["peers"].list();
        for (const PeerEntry& p : reply.peers) {
            lt::entry peer(lt::entry::dictionary_t);
            peer["ip"] = p.ip.to_string();
            peer["port"] = p.port;
            if (!no_peer_id) {
                peer["peer id"] = p.peer_id;
            }
            list.push_back(std::move(peer));
        }
    }
    return encode(e);
}

std::string scrape_reply(const std::vector<ScrapeEntry>& entries) {
    lt::entry e(lt::entry::dictionary_t);
    lt::entry& files = e["files"];
    files = lt::entry(lt::entry::dictionary_t);
    for (const ScrapeEntry& s : entries) {
        lt::entry& f = files[s.info_hash];
        f["complete"] = as_int(s.counts.complete);
        f["incomplete"] = as_int(s.counts.incomplete);
        f["downloaded"] = as_int(s.counts.downloaded);
    }
    return encode(e);
}

}  // namespace si
