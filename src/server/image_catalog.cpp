#include "server/image_catalog.hpp"

#include <filesystem>

#include "common/minisign.hpp"

namespace si {

ImageCatalog::Change ImageCatalog::replace(const std::vector<PackJob>& jobs, bool update_new,
                                           bool recheck_kept) {
    std::map<std::string, PackJob> wanted;
    for (const auto& [tarball, e] : entries_) {
        wanted.emplace(tarball, e.job);
    }
    Change change;
    change.plan = plan_packs(wanted, jobs, update_new, recheck_kept);
    for (const PackJob& job : change.plan.dropped) {
        auto it = entries_.find(job.tarball);
        if (it->second.served) {
            change.dropped_served.push_back(job);
        }
        entries_.erase(it);
    }
    std::map<std::string, CatalogEntry> next;
    for (const PackJob& j : jobs) {
        if (next.contains(j.tarball)) {
            continue;  // listed twice: the first one counts
        }
        CatalogEntry e;
        if (auto it = entries_.find(j.tarball); it != entries_.end()) {
            e = std::move(it->second);
        }
        e.job = j;
        next.emplace(j.tarball, std::move(e));
    }
    entries_ = std::move(next);
    return change;
}

const CatalogEntry* ImageCatalog::find(const std::string& tarball) const {
    auto it = entries_.find(tarball);
    return it == entries_.end() ? nullptr : &it->second;
}

bool ImageCatalog::set_served(const std::string& tarball, ServedTorrent t) {
    auto it = entries_.find(tarball);
    if (it == entries_.end()) {
        return false;
    }
    const bool was_repacking = it->second.repacking;
    it->second.repacking = false;
    it->second.served = std::move(t);
    return was_repacking;
}

std::optional<PackJob> ImageCatalog::begin_repack(const std::string& tarball,
                                                  const std::string& info_hash_hex) {
    auto it = entries_.find(tarball);
    if (it == entries_.end() || !it->second.served || it->second.repacking ||
        (!info_hash_hex.empty() && it->second.served->info_hash_hex != info_hash_hex)) {
        return std::nullopt;
    }
    it->second.repacking = true;
    return it->second.job;
}

std::vector<ServedTorrent> ImageCatalog::served() const {
    std::vector<ServedTorrent> out;
    for (const auto& [tarball, e] : entries_) {
        if (e.served) {
            out.push_back(*e.served);
        }
    }
    return out;
}

std::vector<ScrubTarget> ImageCatalog::scrub_targets() const {
    std::vector<ScrubTarget> out;
    for (const auto& [tarball, e] : entries_) {
        if (e.served && !e.repacking) {
            out.push_back({tarball, e.job.torrent, e.served->info_hash_hex});
        }
    }
    return out;
}

std::vector<PublishedFile> ImageCatalog::web_files() const {
    std::vector<PublishedFile> out;
    for (const auto& [tarball, e] : entries_) {
        if (e.served && !e.repacking) {
            out.push_back({std::filesystem::path(tarball).filename().string(), tarball,
                           e.served->info_hash_hex});
        }
    }
    return out;
}

void ImageCatalog::set_layout(const std::string& tarball, std::optional<std::string> text,
                              std::string state, std::optional<std::string> signature) {
    if (auto it = entries_.find(tarball); it != entries_.end()) {
        it->second.layout_text = std::move(text);
        it->second.layout_state = std::move(state);
        it->second.layout_signature = it->second.layout_text ? std::move(signature) : std::nullopt;
    }
}

std::optional<HttpReply> ImageCatalog::layout_page(std::string_view path) const {
    constexpr std::string_view prefix = "/layouts/";
    if (!path.starts_with(prefix)) {
        return std::nullopt;
    }
    const std::string name(path.substr(prefix.size()));
    const bool signature = name.ends_with(signature_suffix);
    const std::string image =
        signature ? name.substr(0, name.size() - signature_suffix.size()) : name;
    for (const auto& [tarball, e] : entries_) {
        if (e.job.kind != PackKind::image || e.job.name != image) {
            continue;
        }
        if (!signature && e.layout_text) {
            return HttpReply{200, text_content_type, *e.layout_text, {}};
        }
        if (signature && e.layout_signature) {
            return HttpReply{200, text_content_type, *e.layout_signature, {}};
        }
    }
    return HttpReply{404, text_content_type, "no disk layout for image '" + name + "'\n", {}};
}

std::vector<ImageView> ImageCatalog::views(const std::map<std::string, std::int64_t>& uploaded,
                                           const SwarmOf& swarm, const SizeOf& file_size) const {
    std::vector<ImageView> out;
    for (const auto& [tarball, e] : entries_) {
        ImageView v;
        v.name = e.job.name;
        v.kind = std::string(kind_word(e.job.kind));
        v.tarball = std::filesystem::path(tarball).filename().string();
        v.size_bytes = file_size(tarball);
        if (e.served) {
            v.info_hash_hex = e.served->info_hash_hex;
            v.seeding = !e.repacking;
            v.swarm = swarm(v.info_hash_hex);
        }
        if (auto up = uploaded.find(tarball); up != uploaded.end()) {
            v.server_bytes = up->second;
        }
        if (e.job.kind == PackKind::image && !e.layout_state.empty()) {
            v.layout = e.layout_state;
        }
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace si
