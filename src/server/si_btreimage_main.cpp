// si_btreimage: sends listed nodes back to install (their pxelinux files), powers them through
// BT_POWER_COMMAND, in batches, and waits for each one's verified install on si_btd's status.
// See si_btreimage(8).
#include <fcntl.h>
#include <getopt.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/bt_config.hpp"
#include "common/file_io.hpp"
#include "common/names.hpp"
#include "server/boot/nodes_file.hpp"
#include "server/boot/power_command.hpp"
#include "server/boot/pxe_boot_file.hpp"
#include "server/boot/reimage_plan.hpp"
#include "server/config/server_config.hpp"
#include "server/exit_codes.hpp"
#include "server/view/mac_address.hpp"
#include "server/view/status_client.hpp"

namespace {

using json = nlohmann::json;

constexpr const char* usage_text =
    "usage: si_btreimage [options] NODE|MAC|@GROUP|all ...\n"
    "       si_btreimage --help | --version\n"
    "\n"
    "Marks the nodes for reinstall (their pxelinux.cfg/01-<mac> files), powers them with\n"
    "BT_POWER_COMMAND, and waits until each has a verified install (si_btd then switches it\n"
    "to local boot). Prints one tab-separated line per node at the end.\n"
    "  --image NAME          install this image (default: each node's image in the nodes file)\n"
    "  --batch K             K nodes at a time; the next batch starts when one has ended\n"
    "  --max-concurrent C    at most C installs at once (default: the batch)\n"
    "  --timeout SECONDS     per node, from its power cycle to its verified install (1800)\n"
    "  --stop-on-failure     start no further batch after a node failed or timed out\n"
    "  --power-command CMD   the power cycle (default BT_POWER_COMMAND); %h %m %i %g %%\n"
    "  --no-power            do not power the nodes: they install at their next network boot\n"
    "  --no-wait             mark and power, then exit without waiting\n"
    "  --dry-run             print what would be done; change nothing\n"
    "  --force               also replace boot files that si_btd did not write\n"
    "  --reinstall           install in full even on nodes whose disk holds the image\n"
    "  --interval SECONDS    how often si_btd's status is read (default 2)\n"
    "  --config FILE         bittorrent.conf (default /etc/systemimager/bittorrent.conf)\n"
    "  --systemimager-conf FILE  systemimager.conf (default /etc/systemimager/systemimager.conf)\n";

volatile std::sig_atomic_t interrupted = 0;

struct Options {
    std::string config = si::default_bt_conf_path;
    std::string si_config = si::default_si_conf_path;
    std::string image;
    si::ReimageOptions plan;
    std::string power_command;
    bool power_command_set = false;
    bool no_power = false;
    bool no_wait = false;
    bool dry_run = false;
    bool force = false;
    bool reinstall = false;  // BITTORRENT_REINSTALL=y on each node's install entry
    double interval_s = 2;
    std::vector<std::string> targets;
};

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "si_btreimage: %s\n%s", msg.c_str(), usage_text);
    return si::exit_code::usage;
}

int fail(const si::Error& e) {
    std::fprintf(stderr, "si_btreimage: %s\n", e.message.c_str());
    return si::exit_code::code_for(e.kind);
}

bool parse_count(const char* text, long lo, long hi, long& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtol(text, &end, 10);
    return end != text && *end == '\0' && errno == 0 && out >= lo && out <= hi;
}

std::int64_t wall_now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

// One node of this run.
struct Target {
    si::ListedNode node;
    std::string image;
    std::string detail;  // why it failed, or what was done
    std::string boot;    // its boot file at the end: install, local, ...
    std::int64_t ended = 0;
};

// The nodes named on the command line, in the order named (groups in file order), once each.
si::Result<std::vector<si::ListedNode>> select_nodes(const si::NodeInventory& inv,
                                                     const std::vector<std::string>& names,
                                                     const std::string& file) {
    std::vector<si::ListedNode> out;
    std::set<std::string> seen;
    auto add = [&](const si::ListedNode& n) {
        if (seen.insert(n.mac).second) {
            out.push_back(n);
        }
    };
    for (const std::string& name : names) {
        if (name == "all") {
            for (const auto& n : inv.nodes) {
                add(n);
            }
        } else if (name.starts_with("@")) {
            bool any = false;
            for (const auto& n : inv.nodes) {
                if (n.group == name.substr(1)) {
                    add(n);
                    any = true;
                }
            }
            if (!any) {
                return si::Error{"no node of group '" + name.substr(1) + "' in " + file,
                                 si::ErrorKind::usage};
            }
        } else if (auto mac = si::normalize_mac(name); mac && inv.by_mac(*mac) != nullptr) {
            add(*inv.by_mac(*mac));
        } else if (const si::ListedNode* n = inv.by_hostname(name)) {
            add(*n);
        } else {
            return si::Error{"'" + name + "' is not a hostname, MAC or @group listed in " + file,
                             si::ErrorKind::usage};
        }
    }
    return out;
}

// Runs `command` with /bin/sh; returns "" on exit 0, else what went wrong with its last line
// of output. Bounded by `limit`: the command is killed past it.
std::string run_power_command(const std::string& command, std::chrono::seconds limit) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        return std::string("pipe: ") + std::strerror(errno);
    }
    const pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return std::string("fork: ") + std::strerror(errno);
    }
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        dup2(pipefd[1], STDERR_FILENO);
        setpgid(0, 0);
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(pipefd[1]);
    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    bool done = false;
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    while (!done) {
        char buf[4096];
        for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) {
            output.append(buf, static_cast<std::size_t>(n));
            if (output.size() > 65536) {
                output.erase(0, output.size() - 4096);
            }
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            done = true;
        } else if (std::chrono::steady_clock::now() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            close(pipefd[0]);
            return "did not end within " + std::to_string(limit.count()) + " s (killed)";
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    close(pipefd[0]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return "";
    }
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) {
        output.pop_back();
    }
    const auto nl = output.rfind('\n');
    const std::string last = nl == std::string::npos ? output : output.substr(nl + 1);
    const std::string how = WIFEXITED(status)
                                ? "exited " + std::to_string(WEXITSTATUS(status))
                                : "killed by signal " + std::to_string(WTERMSIG(status));
    return how + (last.empty() ? "" : ": " + last);
}

// The status.json entry of this MAC, or nullptr.
const json* status_node(const json& doc, const std::string& mac) {
    if (!doc.contains("nodes") || !doc["nodes"].is_array()) {
        return nullptr;
    }
    for (const json& n : doc["nodes"]) {
        if (n.value("mac", "") == mac) {
            return &n;
        }
    }
    return nullptr;
}

class Reimage {
  public:
    Reimage(Options o, si::LoadedConfig config, std::vector<Target> targets, std::string templ)
        : o_(std::move(o)),
          config_(std::move(config)),
          targets_(std::move(targets)),
          template_(std::move(templ)),
          dir_(config_.settings.netboot.config_dir),
          url_("http://" + config_.address + ":" + std::to_string(config_.bt.tracker_port)),
          nodes_(si::assign_batches(targets_.size(), o_.plan.batch_size)) {}

    int dry_run() {
        std::printf("si_btreimage: dry run: %zu node(s); nothing is written or powered\n",
                    targets_.size());
        for (std::size_t i = 0; i < targets_.size(); ++i) {
            const Target& t = targets_[i];
            std::printf("batch %zu: %s (%s): write %s to install %s%s", nodes_[i].batch + 1,
                        t.node.hostname.c_str(), t.node.mac.c_str(),
                        dir_.path_for(t.node.mac).c_str(), t.image.c_str(),
                        o_.reinstall ? " in full (BITTORRENT_REINSTALL=y)" : "");
            if (auto cmd = power_command(t)) {
                std::printf("; power: %s", cmd->c_str());
            }
            std::printf("\n");
        }
        return si::exit_code::ok;
    }

    int run() {
        const std::int64_t began = wall_now();
        json doc;
        if (!o_.no_wait) {
            auto st = read_status(doc);
            if (!st) {
                return fail(st.error());
            }
            if (auto served = check_images_served(doc); !served) {
                return fail(served.error());
            }
        }
        for (;;) {
            const std::int64_t now = wall_now();
            const si::ReimageStep step = si::next_reimage_step(nodes_, o_.plan, now);
            for (std::size_t i : step.time_out) {
                end(i, si::ReimageState::timed_out,
                    "no verified install within " + std::to_string(o_.plan.node_timeout_s) + " s");
            }
            for (std::size_t i : step.skip) {
                end(i, si::ReimageState::skipped, "not started: an earlier batch failed");
            }
            for (std::size_t i : step.start) {
                start(i);
            }
            if (o_.no_wait) {
                // Everything the plan would start at once has been marked; later batches need
                // the earlier ones' outcome, which only waiting can tell.
                for (std::size_t i = 0; i < nodes_.size(); ++i) {
                    if (nodes_[i].state == si::ReimageState::pending) {
                        end(i, si::ReimageState::skipped, "not started: --no-wait");
                    }
                }
                break;
            }
            if (step.finished || interrupted) {
                break;
            }
            for (double waited = 0; waited < o_.interval_s && !interrupted; waited += 0.1) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            if (interrupted) {
                break;
            }
            if (auto st = read_status(doc); !st) {
                std::fprintf(stderr, "si_btreimage: %s (trying again)\n",
                             st.error().message.c_str());
                continue;
            }
            follow(doc);
        }
        return summary(began);
    }

  private:
    si::Result<std::string> power_command(const Target& t) const {
        const std::string& templ =
            o_.power_command_set ? o_.power_command : config_.settings.netboot.power_command;
        if (o_.no_power || templ.empty()) {
            return si::Error{"", si::ErrorKind::usage};
        }
        return si::expand_power_command(
            templ, si::PowerTarget{t.node.hostname, t.node.mac, t.image, t.node.group});
    }

    si::Status read_status(json& doc) const {
        auto text = si::fetch_status(url_, "si_btreimage");
        if (!text) {
            return si::Error{text.error().message +
                                 " (is si_btd running? --no-wait does not "
                                 "wait for it)",
                             text.error().kind};
        }
        doc = json::parse(*text, nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) {
            return si::Error{url_ + "/status.json: not a JSON object", si::ErrorKind::unreachable};
        }
        return si::Ok{};
    }

    si::Status check_images_served(const json& doc) const {
        std::set<std::string> served;
        if (doc.contains("images") && doc["images"].is_array()) {
            for (const json& im : doc["images"]) {
                if (im.value("kind", "") == "image") {
                    served.insert(im.value("name", ""));
                }
            }
        }
        for (const Target& t : targets_) {
            if (!served.contains(t.image)) {
                return si::Error{"image '" + t.image + "' (for " + t.node.hostname +
                                     ") is not served by si_btd at " + url_ +
                                     " (BT_IMAGES of bittorrent.conf)",
                                 si::ErrorKind::config};
            }
        }
        return si::Ok{};
    }

    // Marks the node for install and powers it; on a failure the node ends failed and its
    // boot file is put back as it was.
    void start(std::size_t i) {
        Target& t = targets_[i];
        nodes_[i].state = si::ReimageState::installing;
        nodes_[i].started = wall_now();
        auto before = dir_.read(t.node.mac);
        if (!before) {
            end(i, si::ReimageState::failed, "boot file: " + before.error().message);
            return;
        }
        if (before->exists && !before->header && !o_.force) {
            end(i, si::ReimageState::failed,
                dir_.path_for(t.node.mac) +
                    " was not written by si_btd: left as it is (--force "
                    "replaces it)");
            return;
        }
        auto entry = si::render_install_boot_file(
            template_, {t.node.mac, t.node.hostname, t.image, t.node.overrides, o_.reinstall},
            nodes_[i].started, "si_btreimage");
        if (!entry) {
            end(i, si::ReimageState::failed, entry.error().message);
            return;
        }
        if (auto w = dir_.write(t.node.mac, *entry); !w) {
            end(i, si::ReimageState::failed, "boot file: " + w.error().message);
            return;
        }
        std::printf("si_btreimage: %s (%s): boot file set to install %s%s\n",
                    t.node.hostname.c_str(), t.node.mac.c_str(), t.image.c_str(),
                    o_.reinstall ? " in full" : "");
        auto cmd = power_command(t);
        if (!cmd) {
            if (!cmd.error().message.empty()) {
                put_back(t, *before);
                end(i, si::ReimageState::failed, cmd.error().message);
            } else {
                t.detail = "not powered: installs at its next network boot";
            }
            std::fflush(stdout);
            return;
        }
        const std::string why = run_power_command(*cmd, std::chrono::seconds(60));
        if (!why.empty()) {
            put_back(t, *before);
            end(i, si::ReimageState::failed,
                "power command " + why + "; boot file put back as it was");
            return;
        }
        std::printf("si_btreimage: %s: powered (%s)\n", t.node.hostname.c_str(), cmd->c_str());
        std::fflush(stdout);
    }

    void put_back(const Target& t, const si::BootFileState& before) {
        const std::string path = dir_.path_for(t.node.mac);
        if (before.exists) {
            (void)dir_.write(t.node.mac, before.text);
        } else {
            std::remove(path.c_str());
        }
    }

    // Reads each installing node's outcome from si_btd's status: an install that started
    // after the node was marked and ended done (with the proof) or failed.
    void follow(const json& doc) {
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            if (nodes_[i].state != si::ReimageState::installing) {
                continue;
            }
            const json* n = status_node(doc, targets_[i].node.mac);
            if (n == nullptr || !(*n)["started"].is_number_integer() ||
                (*n)["started"].get<std::int64_t>() < nodes_[i].started) {
                continue;  // not yet heard from since it was marked
            }
            const std::string state = n->value("state", "");
            const std::string image = n->value("image", "");
            if (state == "done" && image == targets_[i].image) {
                const bool held = n->contains("install") && (*n)["install"] == "held";
                end(i, si::ReimageState::done,
                    held ? "its disk already held the image: nothing downloaded"
                         : "verified install");
            } else if (state == "done") {
                end(i, si::ReimageState::failed,
                    "installed image '" + image + "', not '" + targets_[i].image + "'");
            } else if (state == "failed") {
                end(i, si::ReimageState::failed, "failed: " + n->value("error", "?"));
            } else if (state == "unverified") {
                end(i, si::ReimageState::failed,
                    "reported imaged without the proof of a whole install");
            }
        }
    }

    void end(std::size_t i, si::ReimageState state, const std::string& detail) {
        nodes_[i].state = state;
        targets_[i].detail = detail;
        targets_[i].ended = wall_now();
        std::printf("si_btreimage: %s: %s: %s\n", targets_[i].node.hostname.c_str(),
                    std::string(si::reimage_state_name(state)).c_str(), detail.c_str());
        std::fflush(stdout);
    }

    int summary(std::int64_t began) {
        std::map<si::ReimageState, int> count;
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            ++count[nodes_[i].state];
            auto st = dir_.read(targets_[i].node.mac);
            targets_[i].boot = !st          ? "error"
                               : st->header ? std::string(boot_mode_name(st->header->mode))
                               : st->exists ? "foreign"
                                            : "none";
        }
        std::printf(
            "si_btreimage: %zu node(s) in %lld s: %d done, %d failed, %d timed out, "
            "%d skipped, %d still installing, %d not started%s\n",
            nodes_.size(), static_cast<long long>(wall_now() - began),
            count[si::ReimageState::done], count[si::ReimageState::failed],
            count[si::ReimageState::timed_out], count[si::ReimageState::skipped],
            count[si::ReimageState::installing], count[si::ReimageState::pending],
            interrupted ? " (interrupted)" : "");
        if (count[si::ReimageState::installing] > 0) {
            std::printf(
                "si_btreimage: nodes still installing keep their install entry; si_btd "
                "switches each to local boot once its install is verified\n");
        }
        std::printf("# host\tmac\timage\tresult\tseconds\tboot\tdetail\n");
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            const Target& t = targets_[i];
            const si::ReimageNode& n = nodes_[i];
            const std::int64_t secs =
                n.started == 0 ? 0 : (t.ended != 0 ? t.ended : wall_now()) - n.started;
            std::printf("%s\t%s\t%s\t%s\t%lld\t%s\t%s\n", t.node.hostname.c_str(),
                        t.node.mac.c_str(), t.image.c_str(),
                        std::string(si::reimage_state_name(n.state)).c_str(),
                        static_cast<long long>(secs), t.boot.c_str(), t.detail.c_str());
        }
        std::fflush(stdout);
        if (interrupted) {
            return si::exit_code::interrupted;
        }
        const bool all_done = count[si::ReimageState::done] == static_cast<int>(nodes_.size());
        const bool marked_only = o_.no_wait && count[si::ReimageState::failed] == 0 &&
                                 count[si::ReimageState::skipped] == 0;
        return all_done || marked_only ? si::exit_code::ok : si::exit_code::incomplete;
    }

    Options o_;
    si::LoadedConfig config_;
    std::vector<Target> targets_;
    std::string template_;
    si::BootFileDir dir_;
    std::string url_;
    std::vector<si::ReimageNode> nodes_;
};

int run(int argc, char** argv) {
    Options o;
    enum {
        opt_image = 1,
        opt_batch,
        opt_concurrent,
        opt_timeout,
        opt_stop,
        opt_power,
        opt_nopower,
        opt_nowait,
        opt_dry,
        opt_force,
        opt_reinstall,
        opt_interval,
        opt_config,
        opt_siconfig,
        opt_help,
        opt_version
    };
    static const option longopts[] = {
        {"image", required_argument, nullptr, opt_image},
        {"batch", required_argument, nullptr, opt_batch},
        {"max-concurrent", required_argument, nullptr, opt_concurrent},
        {"timeout", required_argument, nullptr, opt_timeout},
        {"stop-on-failure", no_argument, nullptr, opt_stop},
        {"power-command", required_argument, nullptr, opt_power},
        {"no-power", no_argument, nullptr, opt_nopower},
        {"no-wait", no_argument, nullptr, opt_nowait},
        {"dry-run", no_argument, nullptr, opt_dry},
        {"force", no_argument, nullptr, opt_force},
        {"reinstall", no_argument, nullptr, opt_reinstall},
        {"interval", required_argument, nullptr, opt_interval},
        {"config", required_argument, nullptr, opt_config},
        {"systemimager-conf", required_argument, nullptr, opt_siconfig},
        {"help", no_argument, nullptr, opt_help},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0}};
    opterr = 0;
    long v = 0;
    for (int c; (c = getopt_long(argc, argv, "", longopts, nullptr)) != -1;) {
        switch (c) {
            case opt_image:
                o.image = optarg;
                if (!si::is_valid_image_name(o.image)) {
                    return usage_error("--image '" + o.image +
                                       "': not a valid name (letters, digits, . _ + -)");
                }
                break;
            case opt_batch:
            case opt_concurrent:
                if (!parse_count(optarg, 1, 100000, v)) {
                    return usage_error(
                        std::string(c == opt_batch ? "--batch" : "--max-concurrent") + " '" +
                        optarg + "': not a number of nodes from 1");
                }
                (c == opt_batch ? o.plan.batch_size : o.plan.max_concurrent) =
                    static_cast<std::size_t>(v);
                break;
            case opt_timeout:
                if (!parse_count(optarg, 10, 7 * 86400, v)) {
                    return usage_error(std::string("--timeout '") + optarg +
                                       "': not a number of seconds from 10 to 604800");
                }
                o.plan.node_timeout_s = v;
                break;
            case opt_stop:
                o.plan.stop_on_failure = true;
                break;
            case opt_power:
                o.power_command = optarg;
                o.power_command_set = true;
                break;
            case opt_nopower:
                o.no_power = true;
                break;
            case opt_nowait:
                o.no_wait = true;
                break;
            case opt_dry:
                o.dry_run = true;
                break;
            case opt_force:
                o.force = true;
                break;
            case opt_reinstall:
                o.reinstall = true;
                break;
            case opt_interval: {
                char* end = nullptr;
                o.interval_s = std::strtod(optarg, &end);
                if (end == optarg || *end != '\0' ||
                    !(o.interval_s >= 0.2 && o.interval_s <= 600)) {
                    return usage_error(std::string("--interval '") + optarg +
                                       "': not a number of seconds from 0.2 to 600");
                }
                break;
            }
            case opt_config:
                o.config = optarg;
                break;
            case opt_siconfig:
                o.si_config = optarg;
                break;
            case opt_help:
                std::fputs(usage_text, stdout);
                return si::exit_code::ok;
            case opt_version:
                std::printf("si_btreimage %s\n", SI_VERSION);
                return si::exit_code::ok;
            default:
                return usage_error(std::string("unknown option or missing value: '") +
                                   argv[optind - 1] + "'");
        }
    }
    for (int i = optind; i < argc; ++i) {
        o.targets.emplace_back(argv[i]);
    }
    if (o.targets.empty()) {
        return usage_error("name the nodes: hostnames, MACs, @group or all");
    }
    auto config = si::load_server_config(o.config, o.si_config);
    if (!config) {
        return fail(config.error());
    }
    const si::NetbootSettings& nb = config->settings.netboot;
    auto inv = si::load_nodes_file(nb.nodes_file);
    if (!inv) {
        return fail(inv.error());
    }
    if (inv->nodes.empty()) {
        return fail(si::Error{"no node is listed in " + nb.nodes_file + " (BT_NODES)",
                              si::ErrorKind::config});
    }
    auto selected = select_nodes(*inv, o.targets, nb.nodes_file);
    if (!selected) {
        return usage_error(selected.error().message);
    }
    auto templ = si::read_text_file(nb.template_path);
    if (!templ) {
        return fail(
            si::Error{"install template: " + templ.error().message + " (BT_NETBOOT_TEMPLATE)",
                      si::ErrorKind::config});
    }
    std::vector<Target> targets;
    for (const si::ListedNode& n : *selected) {
        Target t{n, o.image.empty() ? n.image : o.image, "", "", 0};
        // Every entry and command is checked before the first node is touched.
        if (auto e = si::render_install_boot_file(
                *templ, {n.mac, n.hostname, t.image, n.overrides, o.reinstall}, 0, "si_btreimage");
            !e) {
            return fail(si::Error{nb.template_path + ": " + e.error().message, e.error().kind});
        }
        const std::string& pc = o.power_command_set ? o.power_command : nb.power_command;
        if (!o.no_power && !pc.empty()) {
            if (auto cmd = si::expand_power_command(pc, {n.hostname, n.mac, t.image, n.group});
                !cmd) {
                return fail(cmd.error());
            }
        }
        targets.push_back(std::move(t));
    }
    const bool dry_run = o.dry_run;
    Reimage reimage(std::move(o), std::move(*config), std::move(targets), std::move(*templ));
    if (dry_run) {
        return reimage.dry_run();
    }
    std::signal(SIGINT, [](int) { interrupted = 1; });
    std::signal(SIGTERM, [](int) { interrupted = 1; });
    return reimage.run();
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "si_btreimage: internal error: %s\n", e.what());
    }
    return si::exit_code::failure;
}
