#include "server/image_catalog.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

PackJob job(PackKind kind, const std::string& name) {
    PackJob j;
    j.kind = kind;
    j.name = name;
    j.source_dir = "/images/" + name;
    j.tarball = "/tarballs/" + std::string(kind_word(kind)) + "-" + name + ".tar.gz";
    j.torrent = j.tarball + ".torrent";
    return j;
}

ServedTorrent served(const std::string& hash) {
    return ServedTorrent{hash, "x.torrent"};
}

std::vector<ImageView> views(const ImageCatalog& c) {
    return c.views(
        {}, [](const std::string&) { return std::nullopt; },
        [](const std::string&) { return std::int64_t{7}; });
}

TEST(ImageCatalog, ReplaceQueuesNewJobsAndDropsUnlisted) {
    ImageCatalog c;
    const PackJob a = job(PackKind::image, "a");
    const PackJob b = job(PackKind::image, "b");
    auto first = c.replace({a, b}, true, false);
    ASSERT_EQ(first.plan.packs.size(), 2u);
    EXPECT_TRUE(first.plan.packs[0].update);
    EXPECT_TRUE(first.plan.dropped.empty());
    ASSERT_NE(c.find(a.tarball), nullptr);
    EXPECT_FALSE(c.find(a.tarball)->served.has_value());

    c.set_served(a.tarball, served("aa"));
    auto second = c.replace({b}, true, true);
    ASSERT_EQ(second.plan.dropped.size(), 1u);
    EXPECT_EQ(second.plan.dropped[0].tarball, a.tarball);
    ASSERT_EQ(second.dropped_served.size(), 1u);  // a was served: the daemon says "dropped"
    EXPECT_EQ(c.find(a.tarball), nullptr);
    ASSERT_EQ(second.plan.packs.size(), 1u);  // b kept: re-checked, not forced
    EXPECT_FALSE(second.plan.packs[0].update);
}

TEST(ImageCatalog, KeptEntryKeepsWhatIsServedAndTakesItsNewJob) {
    ImageCatalog c;
    PackJob a = job(PackKind::image, "a");
    c.replace({a}, false, false);
    c.set_served(a.tarball, served("aa"));
    c.set_layout(a.tarball, "disk /dev/sda\n", "served");
    a.source_dir = "/elsewhere/a";
    c.replace({a}, false, true);
    const CatalogEntry* e = c.find(a.tarball);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->job.source_dir, "/elsewhere/a");
    ASSERT_TRUE(e->served.has_value());
    EXPECT_EQ(e->served->info_hash_hex, "aa");
    EXPECT_EQ(e->layout_state, "served");
}

TEST(ImageCatalog, ListedTwiceIsOneEntry) {
    ImageCatalog c;
    const PackJob a = job(PackKind::image, "a");
    auto change = c.replace({a, a}, false, false);
    EXPECT_EQ(change.plan.packs.size(), 1u);
    EXPECT_EQ(c.size(), 1u);
}

TEST(ImageCatalog, RepackTakesOnlyTheServedPairOnce) {
    ImageCatalog c;
    const PackJob a = job(PackKind::image, "a");
    c.replace({a}, false, false);
    EXPECT_FALSE(c.begin_repack(a.tarball, "").has_value()) << "not served yet";
    c.set_served(a.tarball, served("aa"));
    EXPECT_FALSE(c.begin_repack(a.tarball, "bb").has_value()) << "a pair replaced since";
    auto j = c.begin_repack(a.tarball, "aa");
    ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->source_dir, a.source_dir);
    EXPECT_FALSE(c.begin_repack(a.tarball, "").has_value()) << "repacking already";
    EXPECT_FALSE(c.begin_repack("/tarballs/other.tar.gz", "").has_value());
}

TEST(ImageCatalog, RepackingIsTrackedButNotScrubbedNorShownSeeding) {
    ImageCatalog c;
    const PackJob a = job(PackKind::image, "a");
    const PackJob o = job(PackKind::override_, "o");
    c.replace({a, o}, false, false);
    c.set_served(a.tarball, served("aa"));
    c.set_served(o.tarball, served("oo"));
    ASSERT_TRUE(c.begin_repack(a.tarball, "").has_value());

    EXPECT_EQ(c.served().size(), 2u);
    const auto targets = c.scrub_targets();
    ASSERT_EQ(targets.size(), 1u);
    EXPECT_EQ(targets[0].tarball, o.tarball);
    EXPECT_EQ(targets[0].torrent, o.torrent);
    EXPECT_EQ(targets[0].info_hash_hex, "oo");

    const auto v = views(c);
    ASSERT_EQ(v.size(), 2u);
    for (const ImageView& i : v) {
        EXPECT_EQ(i.seeding, i.name == "o") << i.name;
        EXPECT_EQ(i.size_bytes, 7);
    }

    EXPECT_TRUE(c.set_served(a.tarball, served("a2"))) << "it was repacking: call its leechers";
    EXPECT_FALSE(c.set_served(a.tarball, served("a2")));
    EXPECT_EQ(c.scrub_targets().size(), 2u);
}

TEST(ImageCatalog, LayoutPageServesAnImagesLayoutUntilItIsDropped) {
    ImageCatalog c;
    const PackJob a = job(PackKind::image, "a");
    c.replace({a}, false, false);
    EXPECT_FALSE(c.layout_page("/status.json").has_value());
    auto none = c.layout_page("/layouts/a");
    ASSERT_TRUE(none.has_value());
    EXPECT_EQ(none->status, 404u);
    EXPECT_EQ(views(c)[0].layout, "none");

    c.set_layout(a.tarball, "layout text\n", "served");
    auto page = c.layout_page("/layouts/a");
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->status, 200u);
    EXPECT_EQ(page->body, "layout text\n");
    EXPECT_EQ(views(c)[0].layout, "served");

    c.replace({}, false, true);
    EXPECT_EQ(c.layout_page("/layouts/a")->status, 404u);
}

TEST(ImageCatalog, ABadLayoutIsShownNotServed) {
    ImageCatalog c;
    const PackJob a = job(PackKind::image, "a");
    c.replace({a}, false, false);
    c.set_layout(a.tarball, std::nullopt, "autoinstallscript.conf:3: bad");
    EXPECT_EQ(c.layout_page("/layouts/a")->status, 404u);
    EXPECT_EQ(views(c)[0].layout, "autoinstallscript.conf:3: bad");
}

TEST(ImageCatalog, ViewsCarrySwarmAndServerBytesOfServedEntries) {
    ImageCatalog c;
    const PackJob a = job(PackKind::image, "a");
    c.replace({a}, false, false);
    c.set_served(a.tarball, served("aa"));
    std::string asked;
    auto v = c.views(
        {{a.tarball, 1234}},
        [&](const std::string& h) {
            asked = h;
            return std::optional<SwarmSnapshot>(SwarmSnapshot{});
        },
        [](const std::string&) { return std::int64_t{0}; });
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(asked, "aa");
    EXPECT_TRUE(v[0].swarm.has_value());
    EXPECT_EQ(v[0].server_bytes, 1234);
    EXPECT_EQ(v[0].kind, "image");
    EXPECT_EQ(v[0].tarball, "image-a.tar.gz");
}

}  // namespace
}  // namespace si
