#include "server/pack/torrent_maker.hpp"

#include <iterator>

#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/hex_string.hpp"

namespace si {
namespace {

Error torrent_error(std::string msg) {
    return Error{std::move(msg), ErrorKind::bad_data};
}

}  // namespace

std::string torrent_creator() {
    return std::string("si_btd ") + SI_VERSION;
}

Result<std::string> torrent_info_hash(const std::string& bytes) {
    lt::error_code ec;
    lt::bdecode_node root = lt::bdecode(bytes, ec);
    if (ec || root.type() != lt::bdecode_node::dict_t) {
        return torrent_error("not a torrent: " + (ec ? ec.message() : std::string("not a dict")));
    }
    lt::bdecode_node info = root.dict_find_dict("info");
    if (!info) {
        return torrent_error("not a torrent: no info dictionary");
    }
    lt::span<const char> section = info.data_section();
    return hex_string(lt::hasher(section).final());
}

Result<TorrentFile> make_torrent(const TorrentSpec& spec) {
    if (spec.piece_size <= 0 || spec.file_size == 0) {
        return torrent_error("torrent: empty file or no piece size");
    }
    lt::file_storage fs;
    fs.add_file(spec.file_name, static_cast<std::int64_t>(spec.file_size));
    lt::create_torrent ct(fs, spec.piece_size, lt::create_torrent::v1_only);
    if (static_cast<std::size_t>(ct.num_pieces()) != spec.piece_hashes.size()) {
        return torrent_error("torrent: " + std::to_string(spec.piece_hashes.size()) +
                             " piece hashes for " + std::to_string(ct.num_pieces()) + " pieces");
    }
    for (std::size_t i = 0; i < spec.piece_hashes.size(); ++i) {
        ct.set_hash(lt::piece_index_t(static_cast<int>(i)), spec.piece_hashes[i]);
    }
    ct.add_tracker(spec.announce_url, 0);
    for (std::size_t i = 0; i < spec.more_trackers.size(); ++i) {
        ct.add_tracker(spec.more_trackers[i], static_cast<int>(i + 1));
    }
    for (const std::string& url : spec.web_seeds) {
        ct.add_url_seed(url);
    }
    std::string creator = torrent_creator();
    ct.set_creator(creator.c_str());
    ct.set_creation_date(0);  // no clock in the bytes
    TorrentFile out;
    try {
        lt::entry e = ct.generate();
        lt::bencode(std::back_inserter(out.bytes), e);
    } catch (const std::exception& ex) {
        return torrent_error(std::string("torrent: ") + ex.what());
    }
    auto hash = torrent_info_hash(out.bytes);
    if (!hash) {
        return hash.error();
    }
    out.info_hash_hex = *hash;
    return out;
}

Result<TorrentFile> reannounce_torrent(const std::string& bytes, const std::string& announce_url,
                                       const std::vector<std::string>& more_trackers,
                                       const std::vector<std::string>& web_seeds) {
    lt::error_code ec;
    lt::bdecode_node root = lt::bdecode(bytes, ec);
    if (ec || root.type() != lt::bdecode_node::dict_t || !root.dict_find_dict("info")) {
        return torrent_error("not a torrent");
    }
    lt::entry out_entry(lt::entry::dictionary_t);
    for (int i = 0; i < root.dict_size(); ++i) {
        auto [key, value] = root.dict_at(i);
        if (key == "announce" || key == "announce-list" || key == "url-list") {
            continue;
        }
        lt::span<const char> raw = value.data_section();
        // Every other key (the info dictionary above all) is copied byte for byte.
        out_entry[key] = lt::entry(lt::entry::preformatted_type(raw.begin(), raw.end()));
    }
    out_entry["announce"] = announce_url;
    if (!more_trackers.empty()) {
        // BEP 12: a list of tiers, each a list of URLs; ours one URL per tier, the first tier
        // the "announce" URL (as libtorrent's create_torrent writes it).
        lt::entry::list_type tiers;
        tiers.emplace_back(lt::entry::list_type{lt::entry(announce_url)});
        for (const std::string& url : more_trackers) {
            tiers.emplace_back(lt::entry::list_type{lt::entry(url)});
        }
        out_entry["announce-list"] = std::move(tiers);
    }
    if (web_seeds.size() == 1) {
        out_entry["url-list"] = web_seeds.front();  // a string, as create_torrent writes one
    } else if (!web_seeds.empty()) {
        lt::entry::list_type urls;
        for (const std::string& url : web_seeds) {
            urls.emplace_back(url);
        }
        out_entry["url-list"] = std::move(urls);
    }
    TorrentFile out;
    lt::bencode(std::back_inserter(out.bytes), out_entry);
    auto hash = torrent_info_hash(out.bytes);
    if (!hash) {
        return hash.error();
    }
    out.info_hash_hex = *hash;
    return out;
}

}  // namespace si
