#include "common/lt_profile.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

// transmission-cli's default (encryption preferred) opens with an encrypted handshake; a peer
// that refused it left SystemImager 4.9's client idle for 20 s and more over uTP (issue 28).
TEST(LanProfile, AnswersEncryptedHandshakesButNeverStartsOne) {
    for (const PeerRole role : {PeerRole::seeder, PeerRole::agent}) {
        const lt::settings_pack s = lan_settings(LanProfile{"10.0.0.1", 6881, role, false});
        EXPECT_EQ(s.get_int(lt::settings_pack::in_enc_policy), lt::settings_pack::pe_enabled);
        EXPECT_EQ(s.get_int(lt::settings_pack::out_enc_policy), lt::settings_pack::pe_disabled);
        // Plaintext whenever the client offers it.
        EXPECT_EQ(s.get_int(lt::settings_pack::allowed_enc_level), lt::settings_pack::pe_both);
        EXPECT_FALSE(s.get_bool(lt::settings_pack::prefer_rc4));
    }
}

TEST(LanProfile, AnswersUtpButConnectsOverTcp) {
    const lt::settings_pack s = lan_settings(LanProfile{"10.0.0.1", 6881, PeerRole::seeder, false});
    EXPECT_TRUE(s.get_bool(lt::settings_pack::enable_incoming_utp));
    EXPECT_FALSE(s.get_bool(lt::settings_pack::enable_outgoing_utp));
    EXPECT_TRUE(s.get_bool(lt::settings_pack::enable_incoming_tcp));
    EXPECT_TRUE(s.get_bool(lt::settings_pack::enable_outgoing_tcp));
}

}  // namespace
}  // namespace si
