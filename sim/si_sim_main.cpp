// si_sim: one deployment in libtorrent's own simulator (swarm_sim.hpp), in virtual time. Writes
// <out>/result-n<N>.json (the figures bench/deploy reports) and <out>/samples-sim-n<N>.dat (the
// link counters in bench/deploy's samples format, for its plots). sim/run drives it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "swarm_sim.hpp"

namespace {

const char* const usage =
    "usage: si_sim --nodes N [--pieces P] [--piece-size BYTES] [--rate BITS/S]\n"
    "              [--server-rate BITS/S] [--tracker-rate BITS/S] [--delay-ms MS]\n"
    "              [--queue-bytes B] [--mss BYTES]\n"
    "              [--super-seed y|n] [--deadlines y|n] [--policy-piece-size BYTES]\n"
    "              [--max-peers K (BITTORRENT_MAX_PEERS; 0: no cap)]\n"
    "              [--die-share F] [--die-at X]\n"
    "              [--time-limit X] [--seed N] [--report SECONDS] [--out DIR]\n";

double percentile(std::vector<double> v, double q) {
    if (v.empty()) {
        return NAN;
    }
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(pos));
    const auto hi = static_cast<size_t>(std::ceil(pos));
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::string num(double v) {
    if (!std::isfinite(v)) {
        return "null";
    }
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.6g", v);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    si::simnet::SwarmParams p;
    std::string out = ".";
    std::map<std::string, std::string> args;
    for (int i = 1; i < argc; ++i) {
        const std::string key = argv[i];
        if (key == "-h" || key == "--help") {
            std::cout << usage;
            return 0;
        }
        if (key.rfind("--", 0) != 0 || i + 1 >= argc) {
            std::cerr << usage;
            return 2;
        }
        args[key.substr(2)] = argv[++i];
    }
    try {
        for (const auto& [k, v] : args) {
            if (k == "nodes")
                p.nodes = std::stoi(v);
            else if (k == "pieces")
                p.pieces = std::stoi(v);
            else if (k == "piece-size")
                p.piece_bytes = std::stoi(v);
            else if (k == "rate")
                p.rate_bps = std::stod(v);
            else if (k == "server-rate")
                p.server_rate_bps = std::stod(v);
            else if (k == "tracker-rate")
                p.tracker_rate_bps = std::stod(v);
            else if (k == "delay-ms")
                p.delay_ms = std::stod(v);
            else if (k == "queue-bytes")
                p.queue_bytes = std::stoi(v);
            else if (k == "mss")
                p.mss = std::stoi(v);
            else if (k == "super-seed")
                p.super_seed = v == "y";
            else if (k == "deadlines")
                p.deadlines = v == "y";
            else if (k == "max-peers")
                p.max_peers = std::stoi(v);
            else if (k == "policy-piece-size")
                p.policy_piece_bytes = std::stoll(v);
            else if (k == "die-share")
                p.die_share = std::stod(v);
            else if (k == "die-at")
                p.die_at_floor = std::stod(v);
            else if (k == "time-limit")
                p.time_limit_floors = std::stod(v);
            else if (k == "seed")
                p.seed = std::stoull(v);
            else if (k == "report")
                p.report_period_s = std::stod(v);
            else if (k == "out")
                out = v;
            else {
                std::cerr << "si_sim: unknown option --" << k << "\n" << usage;
                return 2;
            }
        }
    } catch (const std::exception&) {
        std::cerr << "si_sim: bad number\n" << usage;
        return 2;
    }
    if (p.nodes < 1 || p.pieces < 1 || p.piece_bytes < 16384 || p.piece_bytes % 16384 != 0 ||
        p.rate_bps <= 0 || p.tracker_rate_bps < 0 || p.max_peers < 0) {
        std::cerr << "si_sim: need --nodes >= 1, --pieces >= 1, --piece-size a multiple of "
                     "16 KiB, --rate > 0, --tracker-rate >= 0, --max-peers >= 0\n";
        return 2;
    }

    si::simnet::SwarmResult r;
    try {
        r = si::simnet::run_swarm(p);
    } catch (const std::exception& e) {
        std::cerr << "si_sim: " << e.what() << "\n";
        return 1;
    }

    std::vector<double> done;
    int died = 0;
    for (size_t k = 0; k < r.done_s.size(); ++k) {
        if (r.died[k]) {
            ++died;
        } else if (r.done_s[k] >= 0) {
            done.push_back(r.done_s[k]);
        }
    }
    const int live = p.nodes - died;
    const bool all_done = static_cast<int>(done.size()) == live;
    const double total = all_done ? percentile(done, 1.0) : NAN;
    const double S = static_cast<double>(r.image_bytes);

    std::filesystem::create_directories(out);
    const std::string stem = "sim-n" + std::to_string(p.nodes);
    {
        std::ofstream f(out + "/result-n" + std::to_string(p.nodes) + ".json");
        f << "{\n"
          << "  \"transport\": \"sim\", \"nodes\": " << p.nodes
          << ", \"S_bytes\": " << r.image_bytes << ", \"pieces\": " << p.pieces
          << ", \"piece_bytes\": " << p.piece_bytes << ", \"rate_bps\": " << num(p.rate_bps)
          << ", \"server_rate_bps\": "
          << num(p.server_rate_bps > 0 ? p.server_rate_bps : p.rate_bps)
          << ", \"tracker_rate_bps\": " << num(p.tracker_rate_bps)
          << ", \"delay_ms\": " << num(p.delay_ms) << ",\n"
          << "  \"super_seed\": " << (p.super_seed ? "true" : "false")
          << ", \"deadlines\": " << (p.deadlines ? "true" : "false")
          << ", \"max_peers\": " << p.max_peers << ", \"die_share\": " << num(p.die_share)
          << ", \"died\": " << died << ",\n"
          << "  \"floor_s\": " << num(r.floor_s) << ", \"total_s\": " << num(total)
          << ", \"x_floor\": " << num(total / r.floor_s) << ",\n"
          << "  \"done\": " << done.size() << ", \"live\": " << live
          << ", \"done_min_s\": " << num(percentile(done, 0))
          << ", \"done_median_s\": " << num(percentile(done, 0.5))
          << ", \"done_p99_s\": " << num(percentile(done, 0.99))
          << ", \"done_max_s\": " << num(percentile(done, 1.0)) << ",\n"
          << "  \"p50_x_floor\": " << num(percentile(done, 0.5) / r.floor_s)
          << ", \"p99_x_floor\": " << num(percentile(done, 0.99) / r.floor_s) << ",\n"
          << "  \"server_tx_bytes\": " << r.server_tx_bytes
          << ", \"server_tx_xS\": " << num(static_cast<double>(r.server_wire_bytes) / S)
          << ", \"server_bt_xS\": " << num(static_cast<double>(r.server_tx_bytes) / S)
          << ", \"server_payload_xS\": " << num(static_cast<double>(r.server_payload_bytes) / S)
          << ", \"nodes_tx_xS\": " << num(static_cast<double>(r.nodes_tx_bytes) / S)
          << ", \"nodes_redundant_xS\": " << num(static_cast<double>(r.nodes_redundant_bytes) / S)
          << ", \"announces\": " << r.announces << ", \"end_s\": " << num(r.end_s) << ",\n"
          << "  \"flag\": \"" << (all_done ? "ok" : "INCOMPLETE") << "\", \"done_s\": [";
        for (size_t k = 0; k < r.done_s.size(); ++k) {
            f << (k ? ", " : "") << num(r.done_s[k] >= 0 ? r.done_s[k] : NAN);
        }
        f << "]\n}\n";
    }
    {
        // bench/deploy/plots.py's columns: t, node 1..N rx Mbit/s, their sum, server tx, CPU,
        // as the bench's veth counters count them (BitTorrent bytes plus packet headers).
        const double wire = (p.mss + 66.0) / p.mss;
        std::ofstream f(out + "/samples-" + stem + ".dat");
        f << "# t";
        for (int k = 1; k <= p.nodes; ++k)
            f << " node" << k;
        f << " sum server_tx cpu_busy\n";
        char buf[32];
        for (size_t i = 1; i < r.samples.size(); ++i) {
            const auto& a = r.samples[i - 1];
            const auto& b = r.samples[i];
            const double dt = b.t - a.t;
            if (dt <= 0)
                continue;
            double sum = 0;
            std::snprintf(buf, sizeof(buf), "%.2f", b.t);
            f << buf;
            for (size_t k = 0; k < b.node_rx.size(); ++k) {
                const double mbit =
                    wire * static_cast<double>(b.node_rx[k] - a.node_rx[k]) * 8 / dt / 1e6;
                sum += mbit;
                std::snprintf(buf, sizeof(buf), " %.2f", mbit);
                f << buf;
            }
            std::snprintf(buf, sizeof(buf), " %.2f %.2f 0\n", sum,
                          wire * static_cast<double>(b.server_tx - a.server_tx) * 8 / dt / 1e6);
            f << buf;
        }
    }
    std::printf(
        "sim N=%d S=%.1f MiB (%d pieces of %d KiB) R=%.3g bit/s: %s, total %s s = %s x S/R,"
        " p50 %s, p99 %s x S/R, server sent %s x S\n",
        p.nodes, S / 1048576.0, p.pieces, p.piece_bytes / 1024, p.rate_bps,
        all_done ? "all done" : "NOT all done", num(total).c_str(), num(total / r.floor_s).c_str(),
        num(percentile(done, 0.5) / r.floor_s).c_str(),
        num(percentile(done, 0.99) / r.floor_s).c_str(),
        num(static_cast<double>(r.server_wire_bytes) / S).c_str());
    return all_done ? 0 : 3;
}
