// Ed25519 signatures in minisign's format (common/minisign.hpp): ours verify, what minisign
// 0.11 itself wrote verifies, and any change to the file, the comment or the key is refused.
#include "common/minisign.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

// Written by `minisign -G -W` and `minisign -S -m msg.txt -t '...'` (minisign 0.11, Debian 12),
// for a file holding "hello from minisign\n".
constexpr const char* minisign_public_key =
    "untrusted comment: minisign public key 8237C734FE15DFC\n"
    "RWT8XeFPc3wjCGUOMuNZNdiyCm/CsT2l7gwiXlkJMA9i0Bib+EMm6hAV\n";
constexpr const char* minisign_signature =
    "untrusted comment: signature from minisign secret key\n"
    "RUT8XeFPc3wjCMHPn618xNWTztPSLeruLzo69p0bOJ+LqAwOCJRhXCxD3B6Hhk2H8YuEHoJMdwb/GNqjjXiMi9aP2T+9"
    "mRDMBQ8=\n"
    "trusted comment: systemimager-bittorrent kind=image name=demo time=1\n"
    "CibrCql+YtYw4x8iRJj1ZlzHZmiGcUjeCZi2nB1L4CjqWMgoi15OiPE6v8hoKZtxN6KTp334gNyQPVJ8Zl3zCw==\n";

SecretKey key() {
    auto k = make_secret_key();
    EXPECT_TRUE(k.ok());
    return *k;
}

TEST(Minisign, OwnSignatureVerifiesAndCarriesTheTrustedComment) {
    const SecretKey k = key();
    auto sig = sign_file(k, "torrent bytes", "kind=image name=x", "signature from si_btd");
    ASSERT_TRUE(sig.ok());
    auto v = verify_file(*sig, "torrent bytes", {k.pub});
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->trusted_comment, "kind=image name=x");
    EXPECT_EQ(v->key_id, k.id);
}

TEST(Minisign, WhatMinisignItselfSignedVerifies) {
    auto pub = parse_public_key(minisign_public_key, "mk.pub");
    ASSERT_TRUE(pub.ok()) << pub.error().message;
    auto v = verify_file(minisign_signature, "hello from minisign\n", {*pub});
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->trusted_comment, "systemimager-bittorrent kind=image name=demo time=1");
    EXPECT_FALSE(verify_file(minisign_signature, "hello from minisign!\n", {*pub}).ok());
}

TEST(Minisign, AnAlteredFileIsRefused) {
    const SecretKey k = key();
    auto sig = sign_file(k, "layout text", "c", "u");
    ASSERT_TRUE(sig.ok());
    auto v = verify_file(*sig, "layout texT", {k.pub});
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().kind, ErrorKind::untrusted);
    EXPECT_NE(v.error().message.find("does not match the file"), std::string::npos);
}

TEST(Minisign, AnAlteredTrustedCommentIsRefused) {
    const SecretKey k = key();
    auto sig = sign_file(k, "bytes", "kind=image name=a", "u");
    ASSERT_TRUE(sig.ok());
    std::string forged = *sig;
    forged.replace(forged.find("name=a"), 6, "name=b");
    auto v = verify_file(forged, "bytes", {k.pub});
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.error().message.find("trusted comment"), std::string::npos);
}

TEST(Minisign, AnotherKeyIsRefusedByItsId) {
    const SecretKey ours = key();
    const SecretKey rogue = key();
    auto sig = sign_file(rogue, "bytes", "c", "u");
    ASSERT_TRUE(sig.ok());
    auto v = verify_file(*sig, "bytes", {ours.pub});
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.error().message.find(
                  "signed by key " + key_id_text(rogue.id) +
                  ", which is not trusted here (trusted: " + key_id_text(ours.id) + ")"),
              std::string::npos)
        << v.error().message;
}

TEST(Minisign, AnotherKeyUnderOurIdIsRefused) {
    const SecretKey ours = key();
    SecretKey rogue = key();
    rogue.id = ours.id;  // a rogue server copying our key id gains nothing
    auto sig = sign_file(rogue, "bytes", "c", "u");
    ASSERT_TRUE(sig.ok());
    EXPECT_FALSE(verify_file(*sig, "bytes", {ours.pub}).ok());
}

TEST(Minisign, EitherOfTwoTrustedKeysVerifies) {
    const SecretKey old_key = key();
    const SecretKey new_key = key();
    auto sig = sign_file(new_key, "bytes", "c", "u");
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(verify_file(*sig, "bytes", {old_key.pub, new_key.pub}).ok());
}

TEST(Minisign, KeyFilesRoundTrip) {
    const SecretKey k = key();
    auto pub = parse_public_key(public_key_text(k.pub), "k.pub");
    ASSERT_TRUE(pub.ok());
    EXPECT_EQ(pub->key, k.pub.key);
    EXPECT_EQ(pub->id, k.id);
    auto sec = parse_secret_key(secret_key_text(k), "k.key");
    ASSERT_TRUE(sec.ok()) << sec.error().message;
    EXPECT_EQ(sec->seed, k.seed);
    EXPECT_EQ(public_key_text(sec->pub), public_key_text(k.pub));
}

TEST(Minisign, BadKeyFilesNameTheFile) {
    for (const char* text :
         {"", "untrusted comment: x\n", "untrusted comment: x\nnot base64!\n",
          "no comment\nRWT8XeFPc3wjCGUOMuNZNdiyCm/CsT2l7gwiXlkJMA9i0Bib+EMm6hAV\n"}) {
        auto k = parse_public_key(text, "/etc/si/trusted-keys/a.pub");
        ASSERT_FALSE(k.ok()) << text;
        EXPECT_EQ(k.error().kind, ErrorKind::config);
        EXPECT_EQ(k.error().message.rfind("/etc/si/trusted-keys/a.pub: not a minisign public "
                                          "key",
                                          0),
                  0u)
            << k.error().message;
    }
    // A secret key whose public half was swapped for another key's.
    SecretKey k = key();
    k.pub.key = key().pub.key;
    EXPECT_FALSE(parse_secret_key(secret_key_text(k), "k.key").ok());
}

TEST(Minisign, GarbageSignatureFilesAreRefused) {
    const SecretKey k = key();
    for (const char* text : {"", "<html>404</html>",
                             "untrusted comment: a\nAAAA\ntrusted comment: "
                             "b\nAAAA\n"}) {
        auto v = verify_file(text, "bytes", {k.pub});
        ASSERT_FALSE(v.ok());
        EXPECT_EQ(v.error().kind, ErrorKind::untrusted);
    }
}

// Found by tests/fuzz/fuzz_minisig: a base64 line with more '=' than a block can hold made
// the decoded length wrap around, and std::string threw length_error, which ended the agent
// with an abort instead of its exit 14. Padding is at most two '=' at the end of the line.
TEST(Minisign, PaddingOutOfPlaceIsRefusedNotThrown) {
    const SecretKey k = key();
    for (const char* line :
         {"WTS9================", "================", "AB=C", "A===", "AA=A=="}) {
        const std::string sig =
            std::string("untrusted comment: a\n") + line + "\ntrusted comment: b\n" + line + "\n";
        Result<VerifiedFile> v = Error{"", ErrorKind::internal};
        ASSERT_NO_THROW(v = verify_file(sig, "bytes", {k.pub})) << line;
        ASSERT_FALSE(v.ok()) << line;
        EXPECT_EQ(v.error().kind, ErrorKind::untrusted);
        const std::string pub = std::string("untrusted comment: x\n") + line + "\n";
        Result<PublicKey> p = Error{"", ErrorKind::internal};
        ASSERT_NO_THROW(p = parse_public_key(pub, "a.pub")) << line;
        ASSERT_FALSE(p.ok()) << line;
        EXPECT_EQ(p.error().kind, ErrorKind::config);
    }
}

}  // namespace
}  // namespace si
