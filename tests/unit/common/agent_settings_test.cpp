#include "common/agent_settings.hpp"

#include <gtest/gtest.h>

#include "common/kernel_cmdline.hpp"

namespace si {
namespace {

TEST(KernelCmdline, TokensQuotesAndFlags) {
    auto c = parse_kernel_cmdline(
        "vga=extended initrd=initrd.img root=/dev/ram BITTORRENT=y quiet "
        "OVERRIDES=\"a b\" \"MONITOR_CONSOLE=yes please\" X= IMAGENAME=old IMAGENAME=new\n");
    EXPECT_EQ(*c.find("vga"), "extended");
    EXPECT_EQ(*c.find("root"), "/dev/ram");
    EXPECT_EQ(*c.find("OVERRIDES"), "a b");
    EXPECT_EQ(*c.find("MONITOR_CONSOLE"), "yes please");
    EXPECT_EQ(*c.find("X"), "");
    EXPECT_EQ(*c.find("IMAGENAME"), "new");
    EXPECT_EQ(c.find("quiet"), nullptr);
    EXPECT_EQ(c.flags, (std::vector<std::string>{"quiet"}));
}

Result<AgentSettings> from(std::string_view cmdline) {
    return agent_settings_from(parse_kernel_cmdline(cmdline));
}

TEST(AgentSettings, DisabledWithoutBittorrentY) {
    for (auto line : {"", "BITTORRENT=n IMAGESERVER=1.2.3.4", "BITTORRENT IMAGENAME=x"}) {
        auto s = from(line);
        ASSERT_TRUE(s.ok()) << line;
        EXPECT_FALSE(s->enabled) << line;
    }
}

TEST(AgentSettings, TheOriginalsDefaults) {
    auto s = from("BITTORRENT=y IMAGESERVER=10.0.0.1 IMAGENAME=rhel5");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE(s->enabled);
    EXPECT_EQ(s->image_server, "10.0.0.1");
    EXPECT_EQ(s->image_name, "rhel5");
    EXPECT_TRUE(s->overrides.empty());
    EXPECT_EQ(s->polling_time_s, 5);
    EXPECT_FALSE(s->seed_wait);
    EXPECT_EQ(s->upload_min_kbs, 50);
    EXPECT_EQ(s->monitor_port, 8181);
    EXPECT_EQ(s->tracker_port, 6969);
    EXPECT_TRUE(s->staging.empty());
    EXPECT_TRUE(s->monitor_server.empty());
    EXPECT_EQ(s->max_peers, 16);
    EXPECT_FALSE(s->reinstall);
}

TEST(AgentSettings, EveryVariable) {
    auto s = from(
        "BITTORRENT=y IMAGESERVER=10.0.0.1 IMAGENAME=rhel5 OVERRIDES=\"site rack1\" "
        "BITTORRENT_STAGING=/a/tmp BITTORRENT_POLLING_TIME=2 BITTORRENT_SEED_WAIT=y "
        "BITTORRENT_UPLOAD_MIN=100 MONITOR_SERVER=10.0.0.2 MONITOR_PORT=9000 MONITOR_CONSOLE=yes "
        "BITTORRENT_TRACKER_PORT=7000 BITTORRENT_TIMEOUT=60 BITTORRENT_SEED_MAX=30 "
        "BITTORRENT_SERVER_TIMEOUT=10 BITTORRENT_MAX_PEERS=40 BITTORRENT_REINSTALL=y");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->overrides, (std::vector<std::string>{"site", "rack1"}));
    EXPECT_EQ(s->staging, "/a/tmp");
    EXPECT_EQ(s->polling_time_s, 2);
    EXPECT_TRUE(s->seed_wait);
    EXPECT_EQ(s->upload_min_kbs, 100);
    EXPECT_EQ(s->monitor_server, "10.0.0.2");
    EXPECT_EQ(s->monitor_port, 9000);
    EXPECT_TRUE(s->monitor_console);
    EXPECT_EQ(s->tracker_port, 7000);
    EXPECT_EQ(s->stall_timeout_s, 60);
    EXPECT_EQ(s->seed_max_s, 30);
    EXPECT_EQ(s->server_timeout_s, 10);
    EXPECT_EQ(s->max_peers, 40);
    EXPECT_TRUE(s->reinstall);
    EXPECT_FALSE(
        from("BITTORRENT=y IMAGESERVER=1.1.1.1 IMAGENAME=a BITTORRENT_REINSTALL=n")->reinstall);
    EXPECT_EQ(
        from("BITTORRENT=y IMAGESERVER=1.1.1.1 IMAGENAME=a BITTORRENT_MAX_PEERS=0")->max_peers, 0);
    EXPECT_EQ(from("BITTORRENT=y IMAGESERVER=1.1.1.1 IMAGENAME=a OVERRIDES=x,y")->overrides,
              (std::vector<std::string>{"x", "y"}));
}

TEST(AgentSettings, BlankDiskVariables) {
    auto s = from(
        "BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=a "
        "SI_DISK_MAP=/dev/sda=/dev/vdb,/dev/sdb=/dev/nvme0n1 SI_DISK_WAIT=5 "
        "HOSTNAME=node-17.cluster");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->disk_map, (std::map<std::string, std::string>{{"/dev/sda", "/dev/vdb"},
                                                               {"/dev/sdb", "/dev/nvme0n1"}}));
    EXPECT_EQ(s->disk_wait_s, 5);
    EXPECT_EQ(s->hostname, "node-17.cluster");
}

TEST(AgentSettings, ErrorsNameTheVariable) {
    struct Case {
        const char* line;
        const char* needle;
    };
    for (auto [line, needle] : {
             Case{"BITTORRENT=y IMAGENAME=a", "IMAGESERVER: not set"},
             Case{"BITTORRENT=y IMAGESERVER=server IMAGENAME=a", "IMAGESERVER: 'server'"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4", "IMAGENAME: not set"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=../x", "IMAGENAME: '../x'"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=a BITTORRENT_POLLING_TIME=often",
                  "BITTORRENT_POLLING_TIME: 'often' is not a number from 1 to 3600"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=a MONITOR_PORT=0", "MONITOR_PORT"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=a BITTORRENT_MAX_PEERS=501",
                  "BITTORRENT_MAX_PEERS: '501' is not a number from 0 to 500"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=a BITTORRENT_STAGING=tmp",
                  "BITTORRENT_STAGING: 'tmp' is not an absolute path"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=a OVERRIDES=ok,/bad",
                  "OVERRIDES: '/bad'"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=a SI_DISK_MAP=/dev/sda:/dev/vda",
                  "SI_DISK_MAP: '/dev/sda:/dev/vda' is not <layout disk>=<this node's disk>"},
             Case{"BITTORRENT=y IMAGESERVER=1.2.3.4 IMAGENAME=a HOSTNAME=bad_name",
                  "HOSTNAME: 'bad_name' is not a host name"},
         }) {
        auto s = from(line);
        ASSERT_FALSE(s.ok()) << line;
        EXPECT_EQ(s.error().kind, ErrorKind::config);
        EXPECT_NE(s.error().message.find(std::string("kernel command line: ") + needle),
                  std::string::npos)
            << s.error().message;
    }
}

}  // namespace
}  // namespace si
