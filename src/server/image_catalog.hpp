#pragma once
// si_btd's images and overrides: one entry per tarball of the running configuration, with what
// is served of it (the torrent the tracker lists), whether it is being packed again after a
// bad piece, and, for an image, the disk layout served at /layouts/<image>. No I/O: the daemon
// carries out what a change returns (seeder, tracker, scrubber, packing queue).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/config/server_settings.hpp"
#include "server/reload_plan.hpp"
#include "server/seed/tarball_scrub.hpp"
#include "server/tracker/served_torrent.hpp"
#include "server/view/status_view.hpp"
#include "server/web/http_reply.hpp"
#include "server/web/served_files.hpp"

namespace si {

struct CatalogEntry {
    PackJob job;
    // What the tracker serves for it; nullopt until its first pack is seeded.
    std::optional<ServedTorrent> served;
    // Found damaged and being packed again: still tracked (the nodes' announces keep working
    // and they trade what they have), not seeded, not scrubbed.
    bool repacking = false;
    // Images only: the disk layout's text as served (nullopt: none served), and what the
    // status shows of it: "served", "none", or the error ("" until the image is packed).
    std::optional<std::string> layout_text;
    std::string layout_state;
    // The layout's signature file (server/signing.hpp), served at /layouts/<image>.minisig;
    // nullopt: not signed.
    std::optional<std::string> layout_signature;
};

class ImageCatalog {
  public:
    // Makes `jobs` the wanted set (reload_plan.hpp's plan_packs): entries no longer listed go,
    // kept ones take their new job and keep what is served. Returns the plan; `dropped` holds
    // the jobs whose entry had been served.
    struct Change {
        PackPlan plan;
        std::vector<PackJob> dropped_served;
    };
    Change replace(const std::vector<PackJob>& jobs, bool update_new, bool recheck_kept);

    // nullptr: `tarball` is not wanted (dropped by a reload, or never listed).
    const CatalogEntry* find(const std::string& tarball) const;

    // `tarball` is now served as `t`. Returns true when it had been repacking (its leechers
    // lost the server meanwhile: call them). Ignored for a tarball not wanted.
    bool set_served(const std::string& tarball, ServedTorrent t);

    // A piece of `tarball` does not match its hash. Returns its job, now marked repacking, when
    // it is served and not repacking already, and `info_hash_hex` (when not empty) names the
    // pair served; else nullopt (dropped, repacking already, or replaced since the check).
    std::optional<PackJob> begin_repack(const std::string& tarball,
                                        const std::string& info_hash_hex);

    // What the tracker lists: every served entry, by tarball path.
    std::vector<ServedTorrent> served() const;
    // What the background check reads: served entries that are not repacking.
    std::vector<ScrubTarget> scrub_targets() const;
    // What the web front serves under /tarballs/ (a BEP 19 web seed): the tarballs of served
    // entries that are not repacking, each under its file name, its version the info-hash.
    std::vector<PublishedFile> web_files() const;

    // The image's disk layout as read at its pack: `text` served, or not (nullopt), `state`
    // shown ("served", "none" or the error), and its signature file (nullopt: unsigned).
    void set_layout(const std::string& tarball, std::optional<std::string> text, std::string state,
                    std::optional<std::string> signature = std::nullopt);
    // GET /layouts/<image>: its layout text (200); GET /layouts/<image>.minisig: its signature
    // (200); 404 with a line when the image has none served; nullopt for any other path.
    std::optional<HttpReply> layout_page(std::string_view path) const;

    // One view per entry, by tarball path. `file_size` gives a tarball's size (0: missing),
    // `uploaded` the seeder's bytes per tarball, `swarm` the tracker's swarm of an info-hash.
    using SwarmOf = std::function<std::optional<SwarmSnapshot>(const std::string& info_hash_hex)>;
    using SizeOf = std::function<std::int64_t(const std::string& path)>;
    std::vector<ImageView> views(const std::map<std::string, std::int64_t>& uploaded,
                                 const SwarmOf& swarm, const SizeOf& file_size) const;

    std::size_t size() const { return entries_.size(); }

  private:
    std::map<std::string, CatalogEntry> entries_;  // by tarball path
};

}  // namespace si
