// si_btd's keys and signatures (server/signing.hpp): what it writes verifies with the public
// key and names what was signed; missing or bad key files are clear configuration errors.
#include "server/signing.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/file_io.hpp"
#include "common/monitor_auth.hpp"
#include "common/signed_claim.hpp"

namespace si {
namespace {

namespace fs = std::filesystem;

class SigningTest : public ::testing::Test {
  protected:
    fs::path dir;
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("si-signing-test-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string write(const std::string& name, const std::string& text) {
        const auto p = (dir / name).string();
        std::ofstream(p) << text;
        fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
        return p;
    }
};

TEST_F(SigningTest, TorrentSignatureVerifiesAndNamesTheTorrent) {
    auto key = make_secret_key();
    ASSERT_TRUE(key.ok());
    const std::string torrent = write("image-demo.tar.torrent", "d4:infod4:name3:xyzee");
    const std::string hash(40, 'a');
    ASSERT_TRUE(write_torrent_signature(*key, PackKind::image, "demo", torrent, hash).ok());
    auto sig = read_text_file(torrent + ".minisig");
    ASSERT_TRUE(sig.ok());
    auto v = verify_file(*sig, "d4:infod4:name3:xyzee", {key->pub});
    ASSERT_TRUE(v.ok()) << v.error().message;
    auto claim = parse_claim(v->trusted_comment);
    ASSERT_TRUE(claim.ok()) << claim.error().message;
    EXPECT_TRUE(check_claim(*claim, "image", "demo", hash).ok());
    EXPECT_EQ(claim->file, "image-demo.tar.torrent");
    EXPECT_GT(claim->time, 0);
    remove_torrent_signature(torrent);
    EXPECT_FALSE(fs::exists(torrent + ".minisig"));
}

TEST_F(SigningTest, LayoutSignatureCarriesItsSha256) {
    auto key = make_secret_key();
    ASSERT_TRUE(key.ok());
    auto sig = layout_signature(*key, "demo", "layout text\n", 42);
    ASSERT_TRUE(sig.ok());
    auto v = verify_file(*sig, "layout text\n", {key->pub});
    ASSERT_TRUE(v.ok());
    auto claim = parse_claim(v->trusted_comment);
    ASSERT_TRUE(claim.ok());
    EXPECT_EQ(claim->kind, "layout");
    EXPECT_EQ(claim->time, 42);
    EXPECT_FALSE(verify_file(*sig, "layout text!\n", {key->pub}).ok());
}

TEST_F(SigningTest, KeysAreReadWhenPresentAndRequiredWhenNamed) {
    KeySettings bt;
    bt.signing_key = (dir / "absent.key").string();
    bt.monitor_key = (dir / "absent-monitor.key").string();
    auto none = load_server_keys(bt);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->signing);
    EXPECT_EQ(none->monitor_key, "");

    bt.signing_key_required = true;
    auto missing = load_server_keys(bt);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::config);
    EXPECT_NE(missing.error().message.find("BT_SIGNING_KEY " + bt.signing_key +
                                           ": No such file or directory (make one with si_btkey"),
              std::string::npos)
        << missing.error().message;

    auto key = make_secret_key();
    ASSERT_TRUE(key.ok());
    bt.signing_key = write("s.key", secret_key_text(*key));
    auto monitor = make_monitor_key_text();
    ASSERT_TRUE(monitor.ok());
    bt.monitor_key = write("m.key", *monitor);
    auto keys = load_server_keys(bt);
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    ASSERT_TRUE(keys->signing);
    EXPECT_EQ(keys->signing->id, key->id);
    EXPECT_EQ(keys->monitor_key.size(), 32u);
    EXPECT_TRUE(keys->warnings.empty());

    bt.monitor_key = write("bad.key", "not a key\n");
    auto bad = load_server_keys(bt);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("not a monitor key"), std::string::npos);
}

}  // namespace
}  // namespace si
