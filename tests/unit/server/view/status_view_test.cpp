#include "server/view/status_view.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/view/status_pages.hpp"

namespace si {
namespace {

using json = nlohmann::json;

MonitorReport report(const std::string& line) {
    auto r = parse_monitor_report(line);
    EXPECT_TRUE(r) << line;
    return r ? *r : MonitorReport{};
}

struct Fixture {
    NodeTable nodes;
    StatusInput in;

    Fixture() {
        nodes.apply(report("mac=52.54.00.00.00.01:ip=10.0.0.1:host=n1:os=rhel:status=0"),
                    "10.0.0.1", 1000);
        nodes.apply(report("mac=52.54.00.00.00.01:status=100:pieces=4/4:archive=end:"
                           "overrides=1/1:entries=9:bytes=1000"),
                    "10.0.0.1", 1100);
        nodes.apply(report("mac=52.54.00.00.00.02:ip=10.0.0.2:host=n2:os=rhel:status=40:"
                           "speed=2048:up=512:peers=3"),
                    "10.0.0.2", 1190);
        nodes.apply(report("mac=52.54.00.00.00.03:host=n3:os=rhel:status=-8:error=stalled"),
                    "10.0.0.3", 1150);
        nodes.apply(report("mac=52.54.00.00.00.04:host=si4:os=rhel:status=100"), "10.0.0.4", 1150);
        nodes.apply(report("mac=52.54.00.00.00.05:host=quiet:os=rhel:status=20"), "10.0.0.5", 1000);
        in.now = 1200;
        in.stuck_after_s = 60;
        in.nodes = &nodes;
        in.daemon.version = "0.1.0";
        in.daemon.started = 900;
        in.daemon.announces = 77;
        in.daemon.counters.packs_made = 2;
        in.daemon.counters.reports_accepted = 6;
        in.daemon.counters.reports_rejected = 1;
        in.daemon.monitor_address = "10.0.0.254:8181";
        ImageView im;
        im.name = "rhel";
        im.kind = "image";
        im.tarball = "image-rhel.tar.gz";
        im.info_hash_hex = std::string(40, 'a');
        im.size_bytes = 4000;
        im.seeding = true;
        im.server_bytes = 5000;
        SwarmSnapshot sw;
        sw.counts = {2, 1, 1};
        sw.peers.push_back({boost::asio::ip::make_address("10.0.0.2"), 6881, 2000, 300, 2000,
                            std::chrono::seconds(4)});
        // The nodes' announced uploads are what came from peers; their downloads (which lag the
        // server's live count) are not used for it.
        sw.downloaded_bytes = 9000;
        sw.uploaded_bytes = 15000;
        im.swarm = sw;
        in.images.push_back(im);
        ImageView ov;
        ov.name = "site\"x";
        ov.kind = "override";
        ov.tarball = "override-site.tar.gz";
        in.images.push_back(ov);
    }
};

const json* node_by_mac(const json& doc, const std::string& mac) {
    for (const json& n : doc["nodes"]) {
        if (n["mac"] == mac) {
            return &n;
        }
    }
    return nullptr;
}

TEST(StatusJson, ShowsEachNodesStateProofAndTrackerView) {
    Fixture f;
    json doc = json::parse(status_json(f.in, false));
    EXPECT_EQ(doc["schema"], status_schema_version);
    EXPECT_EQ(doc["summary"]["nodes"], 5);
    EXPECT_EQ(doc["summary"]["done"], 1);
    EXPECT_EQ(doc["summary"]["installing"], 1);
    EXPECT_EQ(doc["summary"]["stuck"], 1);
    EXPECT_EQ(doc["summary"]["failed"], 1);
    EXPECT_EQ(doc["summary"]["unverified"], 1);
    const json* n1 = node_by_mac(doc, "52:54:00:00:00:01");
    ASSERT_NE(n1, nullptr);
    EXPECT_EQ((*n1)["state"], "done");
    EXPECT_EQ((*n1)["proof"]["complete"], true);
    EXPECT_EQ((*n1)["proof"]["pieces_total"], 4);
    EXPECT_EQ((*n1)["elapsed_s"], 100);
    EXPECT_FALSE(n1->contains("history"));
    const json* n2 = node_by_mac(doc, "52:54:00:00:00:02");
    EXPECT_EQ((*n2)["percent"], 40);
    EXPECT_EQ((*n2)["download_kbs"], 2048);
    EXPECT_EQ((*n2)["tracker"]["left"], 2000);
    EXPECT_EQ((*n2)["tracker"]["idle_s"], 4);
    EXPECT_EQ((*node_by_mac(doc, "52:54:00:00:00:03"))["error"], "stalled");
    EXPECT_EQ((*node_by_mac(doc, "52:54:00:00:00:04"))["proof"], nullptr);
    EXPECT_EQ((*node_by_mac(doc, "52:54:00:00:00:05"))["state"], "stuck");
    const json& im = doc["images"][0];
    EXPECT_EQ(im["nodes"]["done"], 1);
    EXPECT_EQ(im["nodes"]["failed"], 1);
    EXPECT_EQ(im["server_bytes"], 5000);
    EXPECT_EQ(im["peer_bytes"], 15000);
    EXPECT_DOUBLE_EQ(im["swarm_ratio"].get<double>(), 3.0);
    EXPECT_EQ(im["tracker"]["seeds"], 2);
    EXPECT_EQ(doc["images"][1]["swarm_ratio"], nullptr);
    EXPECT_EQ(doc["server"]["monitor"]["address"], "10.0.0.254:8181");
}

TEST(StatusJson, ListedNodesShowTheirBootFileUnlistedOnesSayNotListed) {
    Fixture f;
    EXPECT_EQ((*node_by_mac(json::parse(status_json(f.in, false)), "52:54:00:00:00:01"))["boot"],
              nullptr);  // no nodes file
    const std::vector<NodeBootView> listed = {
        {"52:54:00:00:00:01", "n1", "rhel", "rack1", "local", "rhel", 1100},
        {"52:54:00:00:00:99", "spare", "rhel", "", "install", "rhel", 900}};
    f.in.listed = &listed;
    json doc = json::parse(status_json(f.in, false));
    const json& b1 = (*node_by_mac(doc, "52:54:00:00:00:01"))["boot"];
    EXPECT_EQ(b1["listed"], true);
    EXPECT_EQ(b1["state"], "local");
    EXPECT_EQ(b1["target"], "rhel");
    EXPECT_EQ(b1["group"], "rack1");
    EXPECT_EQ(b1["since"], 1100);
    EXPECT_EQ((*node_by_mac(doc, "52:54:00:00:00:02"))["boot"], (json{{"listed", false}}));
    ASSERT_EQ(doc["inventory"].size(), 2u);
    EXPECT_EQ(doc["inventory"][0]["seen"], true);
    EXPECT_EQ(doc["inventory"][1]["hostname"], "spare");
    EXPECT_EQ(doc["inventory"][1]["seen"], false);
    EXPECT_EQ(doc["inventory"][1]["state"], "install");
    const std::string m = metrics_text(f.in);
    EXPECT_NE(m.find("si_btd_listed_nodes{boot=\"local\"} 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("si_btd_listed_nodes{boot=\"install\"} 1\n"), std::string::npos);
    EXPECT_NE(m.find("si_btd_listed_nodes{boot=\"foreign\"} 0\n"), std::string::npos);
}

TEST(StatusJson, HistoryOnlyWhenAskedAndHostileTextStaysData) {
    Fixture f;
    f.nodes.apply(report("mac=52.54.00.00.00.09:host=<script>\xff\xfe:os=rhel:status=1"), "x",
                  1200);
    json doc = json::parse(status_json(f.in, true));
    const json* n1 = node_by_mac(doc, "52:54:00:00:00:01");
    ASSERT_TRUE(n1->contains("history"));
    EXPECT_EQ((*n1)["history"].size(), 2u);
    EXPECT_EQ((*n1)["history"][1][3], 100);
    const std::string host = (*node_by_mac(doc, "52:54:00:00:00:09"))["host"];
    EXPECT_EQ(host.rfind("<script>", 0), 0u);  // text, escaped by whoever shows it
}

TEST(StatusJson, AgesAreNeverNegativeWhenTheClockWentBack) {
    Fixture f;
    f.nodes.apply(report("mac=52.54.00.00.00.0a:status=40"), "x", f.in.now + 5000);
    json doc = json::parse(status_json(f.in, false));
    const json* n = node_by_mac(doc, "52:54:00:00:00:0a");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ((*n)["silent_s"], 0);
    EXPECT_EQ((*n)["elapsed_s"], 0);
    for (const json& node : doc["nodes"]) {
        EXPECT_GE(node["silent_s"].get<std::int64_t>(), 0) << node.dump();
        EXPECT_GE(node["elapsed_s"].get<std::int64_t>(), 0) << node.dump();
    }
}

TEST(StatusJson, ReportsThatWereNotUtf8AreShownWithReplacementCharacters) {
    Fixture f;
    f.nodes.apply(report("mac=52.54.00.00.00.0b:host=caf\xe9:status=-11:error=donn\xe9"
                         "es"),
                  "x", 1200);
    const std::string text = status_json(f.in, true);
    json doc = json::parse(text);
    const json* n = node_by_mac(doc, "52:54:00:00:00:0b");
    EXPECT_EQ((*n)["host"], "caf\xef\xbf\xbd");
    EXPECT_EQ((*n)["error"],
              "donn\xef\xbf\xbd"
              "es");
    EXPECT_NE(metrics_text(f.in).find("si_btd_"), std::string::npos);
}

TEST(Metrics, PrometheusLinesPerImageAndDaemon) {
    Fixture f;
    const std::string m = metrics_text(f.in);
    for (const char* line : {
             "si_btd_nodes{image=\"rhel\",state=\"done\"} 1\n",
             "si_btd_nodes{image=\"rhel\",state=\"stuck\"} 1\n",
             "si_btd_nodes{image=\"rhel\",state=\"failed\"} 1\n",
             "si_btd_image_server_bytes_total{image=\"rhel\",kind=\"image\"} 5000\n",
             "si_btd_image_peer_bytes_total{image=\"rhel\",kind=\"image\"} 15000\n",
             "si_btd_image_swarm_ratio{image=\"rhel\",kind=\"image\"} 3\n",
             "si_btd_image_peers{image=\"rhel\",kind=\"image\",role=\"seed\"} 2\n",
             "si_btd_image_size_bytes{image=\"site\\\"x\",kind=\"override\"} 0\n",
             "si_btd_announces_total 77\n",
             "si_btd_packs_total{result=\"made\"} 2\n",
             "si_btd_monitor_reports_total{result=\"rejected\"} 1\n",
             "si_btd_nodes_download_bytes_per_second 2097152\n",
             "# TYPE si_btd_image_server_bytes_total counter\n",
         }) {
        EXPECT_NE(m.find(line), std::string::npos) << line << "\n---\n" << m;
    }
}

TEST(StatusPages, ServesThePageTheDataAndNothingElse) {
    Fixture f;
    StatusPages pages([&] { return f.in; });
    auto index = pages.handle("/", "");
    ASSERT_TRUE(index);
    EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
    EXPECT_NE(index->body.find("<script src=\"/app.js\""), std::string::npos);
    bool csp = false;
    for (const auto& [name, value] : index->headers) {
        csp = csp || (name == "Content-Security-Policy" && value.find("default-src 'none'") == 0);
    }
    EXPECT_TRUE(csp);
    EXPECT_TRUE(pages.handle("/app.js", ""));
    EXPECT_TRUE(pages.handle("/style.css", ""));
    auto st = pages.handle("/status.json", "history=1");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->content_type, "application/json");
    EXPECT_TRUE(json::parse(st->body)["nodes"][0].contains("history"));
    EXPECT_FALSE(
        json::parse(pages.handle("/status.json", "")->body)["nodes"][0].contains("history"));
    EXPECT_NE(pages.handle("/metrics", "")->body.find("si_btd_nodes{"), std::string::npos);
    EXPECT_FALSE(pages.handle("/etc/passwd", ""));
    EXPECT_FALSE(pages.handle("/../CMakeLists.txt", ""));
    EXPECT_FALSE(pages.handle("/index.html/", ""));
}

}  // namespace
}  // namespace si
