// What the initrd trusts (agent/trust.hpp): its key files, read or refused.
#include "agent/trust.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/monitor_auth.hpp"

namespace si {
namespace {

namespace fs = std::filesystem;

class TrustTest : public ::testing::Test {
  protected:
    fs::path dir;
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("si-trust-test-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir / "keys");
    }
    void TearDown() override { fs::remove_all(dir); }
    void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
};

TEST_F(TrustTest, NoDirectoryIsNoKeyUnlessNamed) {
    auto none = load_trusted_keys((dir / "absent").string(), false);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    auto named = load_trusted_keys((dir / "absent").string(), true);
    ASSERT_FALSE(named.ok());
    EXPECT_EQ(named.error().kind, ErrorKind::untrusted);
}

TEST_F(TrustTest, EveryPubFileIsAKeyAndABadOneStopsEverything) {
    auto a = make_secret_key();
    auto b = make_secret_key();
    ASSERT_TRUE(a.ok() && b.ok());
    write(dir / "keys" / "old.pub", public_key_text(a->pub));
    write(dir / "keys" / "new.pub", public_key_text(b->pub));
    write(dir / "keys" / "README", "not a key, not read");
    auto keys = load_trusted_keys((dir / "keys").string(), true);
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    ASSERT_EQ(keys->size(), 2u);
    EXPECT_EQ((*keys)[0].id, b->id);  // new.pub sorts first
    write(dir / "keys" / "zz.pub", "garbage\n");
    auto bad = load_trusted_keys((dir / "keys").string(), true);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::untrusted);
    EXPECT_NE(bad.error().message.find("zz.pub: not a minisign public key"), std::string::npos);
}

TEST_F(TrustTest, MonitorKey) {
    EXPECT_EQ(*load_monitor_key((dir / "absent").string(), false), "");
    EXPECT_FALSE(load_monitor_key((dir / "absent").string(), true).ok());
    write(dir / "m.key", *make_monitor_key_text());
    auto k = load_monitor_key((dir / "m.key").string(), false);
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->size(), 32u);
}

}  // namespace
}  // namespace si
