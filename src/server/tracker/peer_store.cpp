#include "server/tracker/peer_store.hpp"

#include <algorithm>
#include <boost/system/error_code.hpp>
#include <cstring>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>
#include <limits>

#include "server/tracker/peer_selection.hpp"

namespace si {
namespace {

using Peer = PeerStore::Peer;
using Swarm = PeerStore::Swarm;
using PeerId = PeerStore::PeerId;
using EndpointKey = PeerStore::EndpointKey;
using steady = std::chrono::steady_clock;

// A saved state of 10,000 peers holds ~100,000 bencode tokens; leave room for many more.
constexpr int state_token_limit = 20'000'000;

PeerId make_id(std::string_view raw) {
    PeerId id{};
    std::memcpy(id.data(), raw.data(), std::min(raw.size(), id.size()));
    return id;
}

EndpointKey make_key(const boost::asio::ip::address& ip, std::uint16_t port) {
    EndpointKey key{};
    auto v6 = ip.is_v4() ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, ip.to_v4())
                         : ip.to_v6();
    auto bytes = v6.to_bytes();
    std::copy(bytes.begin(), bytes.end(), key.begin());
    key[16] = static_cast<unsigned char>(port >> 8);
    key[17] = static_cast<unsigned char>(port & 0xff);
    return key;
}

void insert_peer(Swarm& s, Peer p) {
    auto idx = static_cast<std::uint32_t>(s.peers.size());
    s.by_id[p.id] = idx;
    s.by_endpoint[make_key(p.ip, p.port)] = idx;
    if (p.left == 0) {
        ++s.seeds;
    }
    s.peers.push_back(std::move(p));
}

// Removes peers[idx] by moving the last peer into its slot.
void remove_at(Swarm& s, std::uint32_t idx) {
    Peer& victim = s.peers[idx];
    s.gone_downloaded += victim.downloaded;
    s.gone_uploaded += victim.uploaded;
    if (victim.left == 0) {
        --s.seeds;
    }
    s.by_id.erase(victim.id);
    s.by_endpoint.erase(make_key(victim.ip, victim.port));
    auto last = static_cast<std::uint32_t>(s.peers.size() - 1);
    if (idx != last) {
        victim = std::move(s.peers[last]);
        s.by_id[victim.id] = idx;
        s.by_endpoint[make_key(victim.ip, victim.port)] = idx;
    }
    s.peers.pop_back();
}

// The peer's new uploaded/downloaded figures. A figure smaller than the last one is a client
// that started counting again (a restart under the same peer id): the old figure moves to the
// swarm's gone totals, so the swarm's sums never go down.
void update_totals(Swarm& s, Peer& p, const AnnounceRequest& req) {
    if (req.downloaded < p.downloaded) {
        s.gone_downloaded += p.downloaded;
    }
    if (req.uploaded < p.uploaded) {
        s.gone_uploaded += p.uploaded;
    }
    p.downloaded = req.downloaded;
    p.uploaded = req.uploaded;
}

template <typename Map, typename Key>
std::optional<std::uint32_t> find_in(const Map& m, const Key& k) {
    auto it = m.find(k);
    if (it == m.end()) {
        return std::nullopt;
    }
    return it->second;
}

SwarmCounts counts_of(const Swarm& s) {
    return {s.seeds, s.peers.size() - s.seeds, s.downloaded};
}

PeerEntry entry_of(const Peer& p) {
    return {std::string(p.id.data(), p.id.size()), p.ip, p.port, p.left == 0};
}

// Up to `want` distinct indexes of [0, n) other than `self`, uniformly at random
// (Floyd's sampling: O(want) draws whatever n is).
void merge_into(Swarm& dst, Swarm&& src) {
    dst.downloaded = std::max(dst.downloaded, src.downloaded);
    for (Peer& p : src.peers) {
        if (!dst.by_id.contains(p.id) && !dst.by_endpoint.contains(make_key(p.ip, p.port))) {
            insert_peer(dst, std::move(p));
        }
    }
}

std::int64_t to_unix(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string_view std_view(libtorrent::string_view s) {
    return {s.data(), s.size()};
}

Error corrupt(std::string what) {
    return Error{"bad tracker state: " + std::move(what), ErrorKind::bad_data};
}

}  // namespace

PeerStore::PeerStore(const Clock& clock, std::uint64_t seed)
    : clock_(clock), rng_(seed != 0 ? seed : std::random_device{}()) {}

void PeerStore::add_torrent(std::string_view info_hash) {
    std::string key(info_hash);
    if (swarms_.contains(key)) {
        return;
    }
    Swarm& s = swarms_[key];
    if (auto it = restored_.find(key); it != restored_.end()) {
        s = std::move(it->second);
        restored_.erase(it);
    }
}

void PeerStore::set_torrents(const std::vector<std::string>& info_hashes) {
    std::unordered_map<std::string, Swarm> next;
    for (const std::string& h : info_hashes) {
        if (next.contains(h)) {
            continue;
        }
        if (auto it = swarms_.find(h); it != swarms_.end()) {
            next[h] = std::move(it->second);
        } else if (auto r = restored_.find(h); r != restored_.end()) {
            next[h] = std::move(r->second);
            restored_.erase(r);
        } else {
            next[h];
        }
    }
    swarms_ = std::move(next);
}

bool PeerStore::tracks(std::string_view info_hash) const {
    return swarms_.contains(std::string(info_hash));
}

std::optional<AnnounceResult> PeerStore::announce(const AnnounceRequest& req) {
    auto it = swarms_.find(std::string(req.info_hash));
    if (it == swarms_.end()) {
        return std::nullopt;
    }
    Swarm& s = it->second;
    const PeerId id = make_id(req.peer_id);
    const EndpointKey key = make_key(req.ip, req.port);

    // Another entry at this ip:port is the same client under an older peer_id.
    auto by_key = find_in(s.by_endpoint, key);
    if (by_key && s.peers[*by_key].id != id) {
        remove_at(s, *by_key);
    }
    auto self = find_in(s.by_id, id);
    AnnounceResult result;
    // A download counts once per peer: on event=completed, or when a peer seen with bytes
    // left reports none (also on its last, stopped announce).
    auto finishes = [&](const Peer& p) {
        return !p.completed &&
               (req.event == AnnounceEvent::completed || (p.left > 0 && req.left == 0));
    };
    if (req.event == AnnounceEvent::stopped) {
        if (self) {
            if (finishes(s.peers[*self])) {
                ++s.downloaded;
                result.completed_now = true;
            }
            update_totals(s, s.peers[*self], req);
            remove_at(s, *self);
        }
        result.counts = counts_of(s);
        return result;
    }

    if (!self) {
        Peer p;
        p.id = id;
        p.ip = req.ip;
        p.port = req.port;
        p.left = req.left;
        insert_peer(s, std::move(p));
        self = static_cast<std::uint32_t>(s.peers.size() - 1);
        result.new_peer = true;
    }
    Peer& p = s.peers[*self];
    if (p.ip != req.ip || p.port != req.port) {
        s.by_endpoint.erase(make_key(p.ip, p.port));
        p.ip = req.ip;
        p.port = req.port;
        s.by_endpoint[key] = *self;
    }
    if (finishes(p)) {
        p.completed = true;
        ++s.downloaded;
        result.completed_now = true;
    }
    if ((p.left == 0) != (req.left == 0)) {
        req.left == 0 ? ++s.seeds : --s.seeds;
    }
    p.left = req.left;
    update_totals(s, p, req);
    p.seen = clock_.now();

    auto want = static_cast<std::uint32_t>(std::clamp(req.numwant, 0, max_numwant));
    std::vector<PeerCandidate> candidates;
    candidates.reserve(s.peers.size());
    const auto now = clock_.now();
    for (std::uint32_t i = 0; i < s.peers.size(); ++i) {
        if (i != *self) {
            candidates.push_back(
                {i, std::chrono::duration_cast<std::chrono::seconds>(now - s.peers[i].seen),
                 s.peers[i].left == 0});
        }
    }
    auto picks = select_peers(candidates, want, peer_live_within, rng_, req.left == 0);
    result.peers.reserve(picks.size());
    for (std::uint32_t i : picks) {
        result.peers.push_back(entry_of(s.peers[i]));
    }
    result.counts = counts_of(s);
    return result;
}

std::optional<SwarmCounts> PeerStore::counts(std::string_view info_hash) const {
    auto it = swarms_.find(std::string(info_hash));
    if (it == swarms_.end()) {
        return std::nullopt;
    }
    return counts_of(it->second);
}

std::vector<TrackedPeer> PeerStore::peers(std::string_view info_hash) const {
    std::vector<TrackedPeer> out;
    auto it = swarms_.find(std::string(info_hash));
    if (it == swarms_.end()) {
        return out;
    }
    const auto now = clock_.now();
    for (const Peer& p : it->second.peers) {
        out.push_back({p.ip, p.port, p.left, p.uploaded, p.downloaded,
                       std::chrono::duration_cast<std::chrono::seconds>(now - p.seen)});
    }
    return out;
}

std::uint64_t PeerStore::downloaded_bytes(std::string_view info_hash) const {
    auto it = swarms_.find(std::string(info_hash));
    if (it == swarms_.end()) {
        return 0;
    }
    std::uint64_t sum = it->second.gone_downloaded;
    for (const Peer& p : it->second.peers) {
        sum += p.downloaded;
    }
    return sum;
}

std::uint64_t PeerStore::uploaded_bytes(std::string_view info_hash) const {
    auto it = swarms_.find(std::string(info_hash));
    if (it == swarms_.end()) {
        return 0;
    }
    std::uint64_t sum = it->second.gone_uploaded;
    for (const Peer& p : it->second.peers) {
        sum += p.uploaded;
    }
    return sum;
}

std::vector<std::string> PeerStore::torrents() const {
    std::vector<std::string> out;
    out.reserve(swarms_.size());
    for (const auto& [hash, swarm] : swarms_) {
        out.push_back(hash);
    }
    return out;
}

std::size_t PeerStore::sweep() {
    const auto now = clock_.now();
    std::size_t dropped = 0;
    auto sweep_swarm = [&](Swarm& s) {
        // Backwards, so the peer moved into a freed slot has already been looked at.
        for (std::size_t i = s.peers.size(); i-- > 0;) {
            if (now - s.peers[i].seen > peer_expiry) {
                remove_at(s, static_cast<std::uint32_t>(i));
                ++dropped;
            }
        }
    };
    for (auto& [hash, s] : swarms_) {
        sweep_swarm(s);
    }
    for (auto it = restored_.begin(); it != restored_.end();) {
        sweep_swarm(it->second);
        it = it->second.peers.empty() ? restored_.erase(it) : std::next(it);
    }
    return dropped;
}

std::size_t PeerStore::peer_count() const {
    std::size_t n = 0;
    for (const auto& [hash, s] : swarms_) {
        n += s.peers.size();
    }
    return n;
}

std::string PeerStore::save() const {
    namespace lt = libtorrent;
    const auto now = clock_.now();
    const auto wall = clock_.wall_now();
    lt::entry root(lt::entry::dictionary_t);
    root["version"] = peer_store_format_version;
    root["saved"] = to_unix(wall);
    lt::entry& torrents = root["torrents"];
    torrents = lt::entry(lt::entry::dictionary_t);
    auto save_swarm = [&](const std::string& hash, const Swarm& s) {
        lt::entry& t = torrents[hash];
        t["downloaded"] = static_cast<std::int64_t>(s.downloaded);
        lt::entry::list_type& peers = t["peers"].list();
        peers.reserve(s.peers.size());
        for (const Peer& p : s.peers) {
            lt::entry e(lt::entry::dictionary_t);
            e["id"] = std::string(p.id.data(), p.id.size());
            e["ip"] = p.ip.to_string();
            e["port"] = p.port;
            e["left"] = static_cast<std::int64_t>(p.left);
            e["uploaded"] = static_cast<std::int64_t>(p.uploaded);
            e["downloaded"] = static_cast<std::int64_t>(p.downloaded);
            auto age =
                std::chrono::duration_cast<std::chrono::system_clock::duration>(now - p.seen);
            e["seen"] = to_unix(wall - age);
            e["completed"] = p.completed ? 1 : 0;
            peers.push_back(std::move(e));
        }
    };
    for (const auto& [hash, s] : restored_) {
        save_swarm(hash, s);
    }
    for (const auto& [hash, s] : swarms_) {
        save_swarm(hash, s);
    }
    std::string out;
    lt::bencode(std::back_inserter(out), root);
    return out;
}

Status PeerStore::load(std::string_view data) {
    namespace lt = libtorrent;
    lt::error_code ec;
    int error_pos = 0;
    lt::bdecode_node root = lt::bdecode({data.data(), static_cast<std::ptrdiff_t>(data.size())}, ec,
                                        &error_pos, 100, state_token_limit);
    if (ec) {
        return corrupt("not bencoded: " + ec.message() + " at byte " + std::to_string(error_pos));
    }
    if (root.type() != lt::bdecode_node::dict_t) {
        return corrupt("not a dictionary");
    }
    std::int64_t version = root.dict_find_int_value("version", -1);
    if (version != peer_store_format_version) {
        return corrupt("unsupported version " + std::to_string(version));
    }
    lt::bdecode_node torrents = root.dict_find_dict("torrents");
    if (!torrents) {
        return corrupt("no torrents dictionary");
    }
    const auto now = clock_.now();
    const std::int64_t wall = to_unix(clock_.wall_now());
    const std::int64_t expiry = peer_expiry.count();
    std::unordered_map<std::string, Swarm> loaded;
    for (int i = 0; i < torrents.dict_size(); ++i) {
        auto [hash_lt, t] = torrents.dict_at(i);
        std::string_view hash_sv = std_view(hash_lt);
        if (hash_sv.size() != info_hash_bytes || t.type() != lt::bdecode_node::dict_t) {
            return corrupt("bad torrent entry");
        }
        Swarm& s = loaded[std::string(hash_sv)];
        std::int64_t downloaded = t.dict_find_int_value("downloaded", 0);
        s.downloaded = downloaded > 0 ? static_cast<std::uint64_t>(downloaded) : 0;
        lt::bdecode_node peers = t.dict_find_list("peers");
        if (!peers) {
            return corrupt("torrent without a peer list");
        }
        for (int j = 0; j < peers.list_size(); ++j) {
            lt::bdecode_node e = peers.list_at(j);
            if (e.type() != lt::bdecode_node::dict_t) {
                return corrupt("bad peer entry");
            }
            std::string_view id = std_view(e.dict_find_string_value("id"));
            boost::system::error_code aec;
            auto ip = boost::asio::ip::make_address(
                std::string(std_view(e.dict_find_string_value("ip"))), aec);
            std::int64_t port = e.dict_find_int_value("port", 0);
            std::int64_t left = e.dict_find_int_value("left", -1);
            std::int64_t up = e.dict_find_int_value("uploaded", 0);
            std::int64_t down = e.dict_find_int_value("downloaded", 0);
            std::int64_t seen =
                e.dict_find_int_value("seen", std::numeric_limits<std::int64_t>::min());
            if (id.size() != peer_id_bytes || aec || port < 1 || port > 65535 || left < 0 ||
                seen == std::numeric_limits<std::int64_t>::min()) {
                return corrupt("bad peer entry");
            }
            std::int64_t age = std::max<std::int64_t>(0, wall - seen);  // a clock set back: fresh
            if (age >= expiry) {
                continue;
            }
            Peer p;
            p.id = make_id(id);
            p.ip = ip;
            p.port = static_cast<std::uint16_t>(port);
            if (s.by_id.contains(p.id) || s.by_endpoint.contains(make_key(p.ip, p.port))) {
                continue;
            }
            p.left = static_cast<std::uint64_t>(left);
            p.uploaded = static_cast<std::uint64_t>(std::max<std::int64_t>(0, up));
            p.downloaded = static_cast<std::uint64_t>(std::max<std::int64_t>(0, down));
            p.seen = now - std::chrono::seconds(age);
            p.completed = e.dict_find_int_value("completed", 0) != 0;
            insert_peer(s, std::move(p));
        }
    }
    for (auto& [hash, s] : loaded) {
        if (auto it = swarms_.find(hash); it != swarms_.end()) {
            merge_into(it->second, std::move(s));
        } else if (!s.peers.empty() || s.downloaded != 0) {
            merge_into(restored_[hash], std::move(s));
        }
    }
    return Ok{};
}

}  // namespace si
