#include "agent/server_failover.hpp"

#include <gtest/gtest.h>

#include <map>

#include "common/agent_settings.hpp"

namespace si {
namespace {

using namespace std::chrono_literals;

// Servers that answer as scripted: per address, the answers of its successive requests (the
// last one repeats). Time moves only when the policy sleeps.
class Cluster {
  public:
    void script(const std::string& address, std::vector<ServerAnswer> answers) {
        answers_[address] = std::move(answers);
    }
    ServerAnswer ask(const ServerAddress& s) {
        asked.push_back(s.address);
        auto& list = answers_.at(s.address);
        ServerAnswer a = list.front();
        if (list.size() > 1) {
            list.erase(list.begin());
        }
        return a;
    }
    FailoverSeams seams() {
        return {[this] { return now_; },
                [this](std::chrono::milliseconds d) {
                    now_ += d;
                    slept += d;
                }};
    }
    std::vector<std::string> asked;
    std::chrono::milliseconds slept{0};

  private:
    std::map<std::string, std::vector<ServerAnswer>> answers_;
    std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

const ServerAnswer ok{};
const ServerAnswer refused{
    Error{"connect 10.0.0.1:6969: Connection refused", ErrorKind::unreachable}, true};
ServerAnswer missing(const std::string& at) {
    return {Error{"image 'a' is not served by " + at, ErrorKind::not_found}, false};
}

std::vector<ServerAddress> servers(std::initializer_list<const char*> addresses) {
    std::vector<ServerAddress> out;
    for (const char* a : addresses) {
        out.push_back({a, 0});
    }
    return out;
}

Result<std::size_t> walk(Cluster& c, const std::vector<ServerAddress>& list,
                         std::chrono::seconds timeout = 120s) {
    Logger log;
    log.set_stderr(false);
    return first_server_answering(
        list, 6969, timeout, [&](const ServerAddress& s) { return c.ask(s); }, log, c.seams());
}

TEST(ServerFailover, TheFirstThatAnswersServesInTheOrderGiven) {
    Cluster c;
    c.script("10.0.0.1", {ok});
    c.script("10.0.0.2", {ok});
    auto r = walk(c, servers({"10.0.0.1", "10.0.0.2"}));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 0u);
    EXPECT_EQ(c.asked, (std::vector<std::string>{"10.0.0.1"}));
}

TEST(ServerFailover, AFirstServerDownCostsNoWait) {
    Cluster c;
    c.script("10.0.0.1", {refused});
    c.script("10.0.0.2", {ok});
    auto r = walk(c, servers({"10.0.0.1", "10.0.0.2"}));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1u);
    EXPECT_EQ(c.slept, 0ms);
}

TEST(ServerFailover, AnAnswerIsNotAskedAgainNoAnswerIs) {
    // .1 does not serve the image yet, .2 is down then comes up.
    Cluster c;
    c.script("10.0.0.1", {missing("10.0.0.1")});
    c.script("10.0.0.2", {refused, refused, ok});
    auto r = walk(c, servers({"10.0.0.1", "10.0.0.2"}));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1u);
    EXPECT_EQ(c.asked, (std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2"}));
    EXPECT_EQ(c.slept, 3s);  // 1 s, then 2 s
}

TEST(ServerFailover, NoServerServingTheImageSaysSoAtOnce) {
    Cluster c;
    c.script("10.0.0.1", {{Error{"GET /torrents/: HTTP 500", ErrorKind::unreachable}, false}});
    c.script("10.0.0.2", {missing("10.0.0.2")});
    auto r = walk(c, servers({"10.0.0.1", "10.0.0.2"}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::not_found);
    EXPECT_EQ(r.error().message, "image 'a' is not served by 10.0.0.2; GET /torrents/: HTTP 500");
    EXPECT_EQ(c.slept, 0ms);
}

TEST(ServerFailover, AllDownUntilTheDeadlineNamesThem) {
    Cluster c;
    c.script("10.0.0.1", {refused});
    c.script("10.0.0.2", {refused});
    auto r = walk(c, servers({"10.0.0.1", "10.0.0.2"}), 20s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::unreachable);
    EXPECT_EQ(r.error().message,
              "image servers 10.0.0.1:6969, 10.0.0.2:6969 unreachable for 20 s: connect "
              "10.0.0.1:6969: Connection refused");
    EXPECT_LE(c.slept, 20s);
    // 1 + 2 + 4 + 8 s, then the next 10 s wait would pass the deadline.
    EXPECT_EQ(c.slept, 15s);
}

TEST(ServerFailover, OneServerKeepsTheOneServerWording) {
    Cluster c;
    c.script("10.0.0.1", {refused});
    auto r = walk(c, servers({"10.0.0.1"}), 4s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("image server 10.0.0.1:6969 unreachable for 4 s: ", 0), 0u)
        << r.error().message;
}

TEST(ServerFailover, TheServerThatGaveTheTorrentIsAskedFirstAfter) {
    const auto list = servers({"10.0.0.1", "10.0.0.2", "10.0.0.3"});
    const auto order = servers_starting_with(list, 1);
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order[0].address, "10.0.0.2");
    EXPECT_EQ(order[1].address, "10.0.0.1");
    EXPECT_EQ(order[2].address, "10.0.0.3");
    EXPECT_EQ(servers_starting_with(list, 0), list);
}

AgentSettings settings(const std::string& cmdline) {
    auto s = agent_settings_from(parse_kernel_cmdline(cmdline));
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : AgentSettings{};
}

TEST(ServerFailover, ImageServerAndMonitorServerTakeLists) {
    AgentSettings s = settings(
        "BITTORRENT=y IMAGENAME=a IMAGESERVER=10.0.0.2,10.0.0.1:7000 "
        "MONITOR_SERVER=10.0.0.2,10.0.0.1");
    ASSERT_EQ(s.image_servers.size(), 2u);
    EXPECT_EQ(s.image_server, "10.0.0.2");
    EXPECT_EQ(s.image_servers[1], (ServerAddress{"10.0.0.1", 7000}));
    EXPECT_EQ(s.monitor_servers.size(), 2u);
    EXPECT_EQ(s.monitor_server, "10.0.0.2");
    // One address reads as it always did.
    AgentSettings one = settings("BITTORRENT=y IMAGENAME=a IMAGESERVER=10.0.0.9");
    EXPECT_EQ(one.image_servers, (std::vector<ServerAddress>{{"10.0.0.9", 0}}));
    EXPECT_TRUE(one.monitor_servers.empty());
}

TEST(ServerFailover, BadListsNameTheVariable) {
    auto bad = agent_settings_from(
        parse_kernel_cmdline("BITTORRENT=y IMAGENAME=a IMAGESERVER=10.0.0.1,server2"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message,
              "kernel command line: IMAGESERVER: 'server2' is not an IPv4 address");
    auto empty =
        agent_settings_from(parse_kernel_cmdline("BITTORRENT=y IMAGENAME=a IMAGESERVER=,"));
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().message, "kernel command line: IMAGESERVER: ',' names no server");
}

}  // namespace
}  // namespace si
