#include "common/agent_peer_id.hpp"

#include <gtest/gtest.h>

#include "common/lt_profile.hpp"

namespace si {
namespace {

TEST(AgentPeerId, FingerprintIsAzureusStyle) {
    EXPECT_EQ(agent_peer_fingerprint("0.1.0"), "-SI0100-");
    EXPECT_EQ(agent_peer_fingerprint("1.2.3"), "-SI1230-");
    // One digit per number: a larger one is written as 9, a missing one as 0.
    EXPECT_EQ(agent_peer_fingerprint("12.0.7"), "-SI9070-");
    EXPECT_EQ(agent_peer_fingerprint("2"), "-SI2000-");
    EXPECT_EQ(agent_peer_fingerprint(""), "-SI0000-");
}

TEST(AgentPeerId, OnlyTheAgentsPrefixIsAnAgent) {
    EXPECT_TRUE(is_agent_peer_id("-SI0100-abcdefghijkl"));
    EXPECT_TRUE(is_agent_peer_id(agent_peer_fingerprint("0.1.0")));
    // Other clients' peer ids (BEP 20): libtorrent, Transmission, qBittorrent, aria2, ctorrent.
    EXPECT_FALSE(is_agent_peer_id("-LT2080-abcdefghijkl"));
    EXPECT_FALSE(is_agent_peer_id("-TR3000-abcdefghijkl"));
    EXPECT_FALSE(is_agent_peer_id("-qB4520-abcdefghijkl"));
    EXPECT_FALSE(is_agent_peer_id("A2-1-36-0-abcdefghij"));
    EXPECT_FALSE(is_agent_peer_id("-CD0303-abcdefghijkl"));
    EXPECT_FALSE(is_agent_peer_id("SI0100-abcdefghijklm"));  // no leading dash
    EXPECT_FALSE(is_agent_peer_id("-S"));
    EXPECT_FALSE(is_agent_peer_id(""));
}

// The seeder tells agents from other clients by this prefix, so the agent must send it and the
// seeder need not.
TEST(AgentPeerId, TheAgentsSessionSendsIt) {
    const lt::settings_pack agent =
        lan_settings(LanProfile{"10.0.0.2", 6881, PeerRole::agent, false});
    EXPECT_TRUE(is_agent_peer_id(agent.get_str(lt::settings_pack::peer_fingerprint)));
    const lt::settings_pack seeder =
        lan_settings(LanProfile{"10.0.0.1", 6881, PeerRole::seeder, false});
    EXPECT_FALSE(is_agent_peer_id(seeder.get_str(lt::settings_pack::peer_fingerprint)));
}

}  // namespace
}  // namespace si
