// The trusted comment si_btd signs (common/signed_claim.hpp): what it says, and the agent's
// check that it was signed for what was asked for.
#include "common/signed_claim.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

const std::string hash40(40, 'a');
const std::string hash64(64, 'b');

SignedClaim torrent_claim() {
    return {"image", "rhel5", "image-rhel5.tar.gz.torrent", hash40, 1700000000};
}

TEST(SignedClaim, TextNamesEverythingAndParsesBack) {
    const std::string text = claim_text(torrent_claim());
    EXPECT_EQ(text,
              "systemimager-bittorrent kind=image name=rhel5 file=image-rhel5.tar.gz.torrent "
              "info_hash=" +
                  hash40 + " time=1700000000");
    auto c = parse_claim(text);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->kind, "image");
    EXPECT_EQ(c->name, "rhel5");
    EXPECT_EQ(c->file, "image-rhel5.tar.gz.torrent");
    EXPECT_EQ(c->digest, hash40);
    EXPECT_EQ(c->time, 1700000000);
}

TEST(SignedClaim, LayoutCarriesItsSha256) {
    const SignedClaim l{"layout", "rhel5", "", hash64, 5};
    EXPECT_EQ(claim_text(l),
              "systemimager-bittorrent kind=layout name=rhel5 sha256=" + hash64 + " time=5");
    auto c = parse_claim(claim_text(l));
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->digest, hash64);
}

TEST(SignedClaim, ForeignOrMalformedCommentsAreRefused) {
    for (std::string text :
         {std::string(""), std::string("timestamp:1700000000 file:x"),
          "systemimager-bittorrent kind=image name=x info_hash=" + hash40,  // no time
          "systemimager-bittorrent kind=disk name=x info_hash=" + hash40 + " time=1",
          "systemimager-bittorrent kind=image info_hash=" + hash40 + " time=1",
          "systemimager-bittorrent kind=image name=x info_hash=" + hash64 + " time=1",
          "systemimager-bittorrent kind=image name=x name=y info_hash=" + hash40 + " time=1",
          "systemimager-bittorrent kind=image name=x info_hash=" + hash40 + " time=1x"}) {
        auto c = parse_claim(text);
        ASSERT_FALSE(c.ok()) << text;
        EXPECT_EQ(c.error().kind, ErrorKind::untrusted);
    }
}

TEST(SignedClaim, AClaimForAnotherNameOrKindIsRefused) {
    const SignedClaim c = torrent_claim();
    EXPECT_TRUE(check_claim(c, "image", "rhel5", hash40).ok());
    auto other = check_claim(c, "image", "suse10", hash40);
    ASSERT_FALSE(other.ok());
    EXPECT_EQ(other.error().message,
              "signed for image 'rhel5', not for image 'suse10' (replayed?)");
    EXPECT_FALSE(check_claim(c, "override", "rhel5", hash40).ok());
    auto digest = check_claim(c, "image", "rhel5", std::string(40, 'c'));
    ASSERT_FALSE(digest.ok());
    EXPECT_NE(digest.error().message.find("is not this file's"), std::string::npos);
}

}  // namespace
}  // namespace si
