#include "server/view/status_table.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace si {
namespace {

using json = nlohmann::json;

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return "";
    }
    return it->is_string() ? it->get<std::string>() : it->dump();
}

std::int64_t num(const json& j, const char* key, std::int64_t fallback = 0) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<std::int64_t>() : fallback;
}

std::string bytes(double n) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (n >= 1024 && i < 4) {
        n /= 1024;
        ++i;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s" : "%.1f %s", n, units[i]);
    return buf;
}

std::string rate(const json& n, const char* key) {
    auto it = n.find(key);
    if (it == n.end() || !it->is_number()) {
        return "";
    }
    const double kbs = it->get<double>();
    char buf[32];
    if (kbs >= 1024) {
        std::snprintf(buf, sizeof buf, "%.1f MB/s", kbs / 1024);
    } else {
        std::snprintf(buf, sizeof buf, "%.0f KB/s", kbs);
    }
    return buf;
}

std::string duration(std::int64_t s) {
    s = std::max<std::int64_t>(0, s);
    char buf[32];
    if (s >= 3600) {
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                      static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
    } else {
        std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                      static_cast<long long>(s % 60));
    }
    return buf;
}

std::string bar(int percent, int cells) {
    percent = std::clamp(percent, 0, 100);
    const int full = percent * cells / 100;
    return "[" + std::string(static_cast<std::size_t>(full), '#') +
           std::string(static_cast<std::size_t>(cells - full), '.') + "]";
}

int state_rank(const std::string& s) {
    static const char* order[] = {"failed", "stuck", "unverified", "installing", "done"};
    for (int i = 0; i < 5; ++i) {
        if (s == order[i]) {
            return i;
        }
    }
    return 5;
}

const char* state_color(const std::string& s) {
    if (s == "failed") {
        return "\033[31m";
    }
    if (s == "stuck" || s == "unverified") {
        return "\033[33m";
    }
    if (s == "done") {
        return "\033[32m";
    }
    return "";
}

std::string pad(std::string s, std::size_t w, bool right = false) {
    if (s.size() > w) {
        s.resize(w);
    }
    const std::string fill(w - s.size(), ' ');
    return right ? fill + s : s + fill;
}

// `s` cut to `w` characters (npos: whole).
std::string cut(std::string s, std::size_t w) {
    if (s.size() > w) {
        s.resize(w);
    }
    return s;
}

// The columns of the full table before the proof or error, with their separators; a terminal
// narrower than this and 20 more gets the narrow table.
constexpr std::size_t wide_fixed = 14 + 17 + 15 + 10 + 21 + 9 + 9 + 5 + 6 + 7 + 11;
constexpr std::size_t wide_columns = wide_fixed + 20;

std::string proof_or_error(const json& n) {
    const std::string state = str(n, "state");
    if (state == "failed") {
        return "error " + str(n, "status") + ": " + str(n, "error");
    }
    const json& p = n.contains("proof") ? n["proof"] : json(nullptr);
    if (p.is_null()) {
        return state == "unverified" ? "reported done without proof" : "";
    }
    std::string out = p.value("complete", false) ? "verified: " : "incomplete: ";
    out += str(p, "pieces_verified") + "/" + str(p, "pieces_total") + " pieces";
    if (p.value("archive_end", false)) {
        out += ", archive end";
    }
    out += ", " + str(p, "overrides_applied") + "/" + str(p, "overrides_fetched") + " overrides, " +
           str(p, "entries") + " entries";
    if (p.contains("bytes") && p["bytes"].is_number()) {
        out += ", " + bytes(p["bytes"].get<double>());
    }
    return out;
}

// What the node's boot file says and the image it names, then the nodes file's target image
// when that is another one: "boot local debian12", "boot install debian12-2, target debian12";
// "unlisted" for a MAC the nodes file does not list; "" without a nodes file.
std::string boot_text(const json& n) {
    if (!n.contains("boot") || !n["boot"].is_object()) {
        return "";
    }
    const json& b = n["boot"];
    if (!b.value("listed", false)) {
        return "unlisted";
    }
    const std::string image = str(b, "image");
    const std::string target = str(b, "target");
    return "boot " + str(b, "state") + (image.empty() ? "" : " " + image) +
           (target.empty() || target == image ? "" : ", target " + target);
}

// True when the narrow table has nothing to add under a node: done, and (with a nodes file)
// booting its own disk with the image it reported, its target.
bool nothing_to_add(const json& n) {
    if (str(n, "state") != "done") {
        return false;
    }
    if (!n.contains("boot") || !n["boot"].is_object()) {
        return true;
    }
    const json& b = n["boot"];
    return b.value("listed", false) && str(b, "state") == "local" &&
           str(b, "image") == str(n, "image") &&
           (str(b, "target").empty() || str(b, "target") == str(b, "image"));
}

// The last column of the wide table: the node's boot file (with a nodes file), then its proof
// or error.
std::string boot_and_proof(const json& n) {
    const std::string boot = boot_text(n);
    return boot.empty() ? proof_or_error(n) : "[" + boot + "] " + proof_or_error(n);
}

// The full table: a row per node with every column; the proof or error is cut to the width
// (0: never cut, for a pipe or a file).
std::string wide_rows(const std::vector<const json*>& rows, const TableOptions& opt) {
    std::string out = "\n" + pad("HOST", 14) + " " + pad("NODE", 17) + " " + pad("IP", 15) + " " +
                      pad("STATE", 10) + " " + pad("PROGRESS", 21) + " " + pad("DOWN", 9, true) +
                      " " + pad("UP", 9, true) + " " + pad("PEERS", 5, true) + " " +
                      pad("LAST", 6, true) + " " + pad("ELAPSED", 7, true) + "  PROOF / ERROR\n";
    const std::size_t rest = opt.width <= 0 ? std::string::npos
                             : opt.width > static_cast<int>(wide_fixed) + 10
                                 ? static_cast<std::size_t>(opt.width) - wide_fixed
                                 : 10;
    for (const json* np : rows) {
        const json& n = *np;
        const std::string state = str(n, "state");
        const int percent = static_cast<int>(num(n, "percent"));
        char pc[8];
        std::snprintf(pc, sizeof pc, "%3d%%", percent);
        std::string line = pad(str(n, "host"), 14) + " " + pad(str(n, "key"), 17) + " " +
                           pad(str(n, "ip"), 15) + " ";
        line += (opt.color ? std::string(state_color(state)) : "") + pad(state, 10) +
                (opt.color && *state_color(state) ? "\033[0m" : "") + " ";
        line += bar(percent, 14) + " " + pc + " " + pad(rate(n, "download_kbs"), 9, true) + " " +
                pad(rate(n, "upload_kbs"), 9, true) + " " + pad(str(n, "peers"), 5, true) + " " +
                pad(duration(num(n, "silent_s")), 6, true) + " " +
                pad(duration(num(n, "elapsed_s")), 7, true) + "  " + cut(boot_and_proof(n), rest);
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        out += line + "\n";
    }
    return out;
}

// The table for a narrow terminal: host (or MAC), state, progress, rates and the time since
// the last report on one line; on the next, the node's boot file (with a nodes file) and the
// proof or error of a node that is not done, unless it is done and boots its disk as expected.
std::string narrow_rows(const std::vector<const json*>& rows, const TableOptions& opt) {
    std::string out = "\n" + pad("HOST", 17) + " " + pad("STATE", 10) + " " + pad("PROGRESS", 17) +
                      " " + pad("DOWN", 9, true) + " " + pad("UP", 9, true) + " " +
                      pad("LAST", 6, true) + "\n";
    const std::size_t width = static_cast<std::size_t>(std::max(opt.width, 24));
    for (const json* np : rows) {
        const json& n = *np;
        const std::string state = str(n, "state");
        const int percent = static_cast<int>(num(n, "percent"));
        char pc[8];
        std::snprintf(pc, sizeof pc, "%3d%%", percent);
        const std::string host = str(n, "host").empty() ? str(n, "key") : str(n, "host");
        std::string line = pad(host, 17) + " ";
        line += (opt.color ? std::string(state_color(state)) : "") + pad(state, 10) +
                (opt.color && *state_color(state) ? "\033[0m" : "") + " ";
        line += bar(percent, 10) + " " + pc + " " + pad(rate(n, "download_kbs"), 9, true) + " " +
                pad(rate(n, "upload_kbs"), 9, true) + " " +
                pad(duration(num(n, "silent_s")), 6, true);
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        out += line + "\n";
        if (!nothing_to_add(n)) {
            // The boot file (with a nodes file), then the proof or error of a node not done.
            const std::string boot = boot_text(n);
            const std::string why = state != "done" ? proof_or_error(n) : std::string();
            const std::string under =
                boot.empty() ? why : "[" + boot + "]" + (why.empty() ? "" : " " + why);
            if (!under.empty()) {
                out += "  " + cut(under, width - 2) + "\n";
            }
        }
    }
    return out;
}

}  // namespace

Result<std::string> render_status_table(std::string_view text, const TableOptions& opt) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return Error{"not a si_btd status document: not a JSON object", ErrorKind::bad_data};
    }
    if (doc.value("schema", 0) != 1 || !doc.contains("nodes") || !doc["nodes"].is_array()) {
        return Error{"not a si_btd status document: no schema 1 with a node list",
                     ErrorKind::bad_data};
    }
    const std::int64_t now = num(doc, "now");
    std::string out;
    const json& server = doc.contains("server") ? doc["server"] : json::object();
    const json monitor = server.contains("monitor") ? server["monitor"] : json::object();
    // Below wide_columns the table leaves out the MAC and address columns and puts a node's
    // proof or error, and each line's second half, on a line of its own: 80 columns fit.
    const bool narrow = opt.width > 0 && opt.width < static_cast<int>(wide_columns);
    const std::string split = narrow ? "\n  " : "  ";
    out += "si_btd " + str(server, "version") + (opt.url.empty() ? "" : " at " + opt.url) +
           "  up " + duration(now - num(server, "started", now)) + split + "monitor " +
           (str(monitor, "address").empty() ? std::string("off") : str(monitor, "address")) + "  " +
           str(monitor, "reports") + " reports, " + str(monitor, "rejected") + " rejected\n";
    if (doc.contains("images") && doc["images"].is_array()) {
        for (const json& im : doc["images"]) {
            if (!opt.image.empty() && str(im, "name") != opt.image) {
                continue;
            }
            out += str(im, "kind") + " " + str(im, "name") + "  " +
                   bytes(static_cast<double>(num(im, "size_bytes")));
            if (str(im, "kind") == "image" && im.contains("nodes")) {
                const json& c = im["nodes"];
                out += "  done " + str(c, "done") + "  installing " + str(c, "installing") +
                       "  stuck " + str(c, "stuck") + "  failed " + str(c, "failed") +
                       "  unverified " + str(c, "unverified");
            }
            out += split + "from server " + bytes(static_cast<double>(num(im, "server_bytes"))) +
                   ", from peers " + bytes(static_cast<double>(num(im, "peer_bytes")));
            if (im.contains("swarm_ratio") && im["swarm_ratio"].is_number()) {
                char buf[32];
                std::snprintf(buf, sizeof buf, ", ratio %.2f", im["swarm_ratio"].get<double>());
                out += buf;
            }
            out += "\n";
        }
    }
    std::vector<const json*> rows;
    for (const json& n : doc["nodes"]) {
        if ((!opt.image.empty() && str(n, "image") != opt.image) ||
            (!opt.state.empty() && str(n, "state") != opt.state)) {
            continue;
        }
        rows.push_back(&n);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const json* a, const json* b) {
        const int ra = state_rank(str(*a, "state"));
        const int rb = state_rank(str(*b, "state"));
        return ra != rb ? ra < rb
                        : str(*a, "host") + str(*a, "key") < str(*b, "host") + str(*b, "key");
    });
    if (narrow) {
        out += narrow_rows(rows, opt);
    } else {
        out += wide_rows(rows, opt);
    }
    const json& sum = doc.contains("summary") ? doc["summary"] : json::object();
    out += "\n" + std::to_string(rows.size()) + " of " + str(sum, "nodes") + " nodes: done " +
           str(sum, "done") + ", installing " + str(sum, "installing") + ", stuck " +
           str(sum, "stuck") + ", failed " + str(sum, "failed") + ", unverified " +
           str(sum, "unverified") + "\n";
    if (doc.contains("inventory") && doc["inventory"].is_array() && !doc["inventory"].empty()) {
        std::map<std::string, int> boots;
        std::string unseen;
        for (const json& v : doc["inventory"]) {
            ++boots[str(v, "state")];
            if (!v.value("seen", false)) {
                unseen += (unseen.empty() ? "" : " ") + str(v, "hostname");
            }
        }
        out += "nodes file: " + std::to_string(doc["inventory"].size()) + " listed, boot";
        for (const auto& [b, count] : boots) {
            out += " " + b + " " + std::to_string(count);
        }
        out += unseen.empty() ? "\n" : "; never reported: " + unseen + "\n";
    }
    return out;
}

}  // namespace si
