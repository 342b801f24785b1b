// si_btstatus: the operator's view in a terminal. Reads si_btd's /status.json and prints one
// row per node with a progress bar, refreshing until interrupted (or once with --once).
// See si_btstatus(8).
#include <getopt.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "common/bt_config.hpp"
#include "common/interface_address.hpp"
#include "server/exit_codes.hpp"
#include "server/view/status_client.hpp"
#include "server/view/status_table.hpp"

namespace {

constexpr const char* usage_text =
    "usage: si_btstatus [--url http://HOST:PORT] [--config FILE] [--once]\n"
    "                   [--interval SECONDS] [--image NAME] [--state STATE] [--no-color]\n"
    "       si_btstatus [--url http://HOST:PORT] [--config FILE] --forget NODE\n"
    "       si_btstatus --help | --version\n"
    "\n"
    "Shows si_btd's nodes (from /status.json on the tracker's port) as a table.\n"
    "  --url URL           si_btd's address (default: BT_INTERFACE and BT_TRACKER_PORT of\n"
    "                      bittorrent.conf)\n"
    "  --config FILE       bittorrent.conf (default /etc/systemimager/bittorrent.conf)\n"
    "  --once              print once and exit\n"
    "  --interval SECONDS  refresh period (default 2)\n"
    "  --image NAME        only the nodes of this image\n"
    "  --state STATE       only nodes that are installing, stuck, done, unverified or failed\n"
    "  --no-color          no ANSI colours (the default when not on a terminal)\n"
    "  --forget NODE       drop a node (MAC, hostname or address) from si_btd's table and\n"
    "                      page, then exit; run on the image server (si_btd takes it from\n"
    "                      there only); a node that reports again comes back\n";

volatile std::sig_atomic_t interrupted = 0;

struct Options {
    std::string url;
    std::string config = si::default_bt_conf_path;
    bool once = false;
    double interval = 2;
    si::TableOptions table;
    bool color_set = false;
    std::string forget;  // --forget NODE
};

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "si_btstatus: %s\n%s", msg.c_str(), usage_text);
    return si::exit_code::usage;
}

int terminal_width() {
    winsize w{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) {
        return w.ws_col;
    }
    return 120;
}

int run(int argc, char** argv) {
    Options o;
    enum {
        opt_url = 1,
        opt_config,
        opt_once,
        opt_interval,
        opt_image,
        opt_state,
        opt_nocolor,
        opt_forget,
        opt_help,
        opt_version
    };
    static const option longopts[] = {{"url", required_argument, nullptr, opt_url},
                                      {"config", required_argument, nullptr, opt_config},
                                      {"once", no_argument, nullptr, opt_once},
                                      {"interval", required_argument, nullptr, opt_interval},
                                      {"image", required_argument, nullptr, opt_image},
                                      {"state", required_argument, nullptr, opt_state},
                                      {"no-color", no_argument, nullptr, opt_nocolor},
                                      {"forget", required_argument, nullptr, opt_forget},
                                      {"help", no_argument, nullptr, opt_help},
                                      {"version", no_argument, nullptr, opt_version},
                                      {nullptr, 0, nullptr, 0}};
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "", longopts, nullptr)) != -1;) {
        switch (c) {
            case opt_url:
                o.url = optarg;
                break;
            case opt_config:
                o.config = optarg;
                break;
            case opt_once:
                o.once = true;
                break;
            case opt_interval: {
                char* end = nullptr;
                o.interval = std::strtod(optarg, &end);
                if (end == optarg || *end != '\0' || !(o.interval >= 0.2 && o.interval <= 3600)) {
                    return usage_error(std::string("--interval '") + optarg +
                                       "': not a number of seconds from 0.2 to 3600");
                }
                break;
            }
            case opt_image:
                o.table.image = optarg;
                break;
            case opt_state: {
                const std::string s = optarg;
                if (s != "installing" && s != "stuck" && s != "done" && s != "unverified" &&
                    s != "failed") {
                    return usage_error("--state '" + s +
                                       "': not one of installing, stuck, done, unverified, failed");
                }
                o.table.state = s;
                break;
            }
            case opt_nocolor:
                o.table.color = false;
                o.color_set = true;
                break;
            case opt_forget:
                o.forget = optarg;
                if (o.forget.empty()) {
                    return usage_error("--forget needs a node: its MAC, hostname or address");
                }
                break;
            case opt_help:
                std::fputs(usage_text, stdout);
                return si::exit_code::ok;
            case opt_version:
                std::printf("si_btstatus %s\n", SI_VERSION);
                return si::exit_code::ok;
            default:
                return usage_error(std::string("unknown option or missing value: '") +
                                   argv[optind - 1] + "'");
        }
    }
    if (optind < argc) {
        return usage_error(std::string("unexpected argument '") + argv[optind] + "'");
    }
    if (o.url.empty()) {
        auto bt = si::load_bt_config(o.config);
        if (!bt) {
            std::fprintf(stderr, "si_btstatus: %s (or give --url)\n", bt.error().message.c_str());
            return si::exit_code::config;
        }
        auto address = si::resolve_interface_address(bt->interface);
        if (!address) {
            std::fprintf(stderr, "si_btstatus: %s (or give --url)\n",
                         address.error().message.c_str());
            return si::exit_code::address;
        }
        o.url = "http://" + *address + ":" + std::to_string(bt->tracker_port);
    }
    if (!o.forget.empty()) {
        auto done = si::send_command(o.url, "/nodes/forget?node=" + si::percent_encode(o.forget),
                                     "si_btstatus");
        if (!done) {
            std::fprintf(stderr, "si_btstatus: %s\n", done.error().message.c_str());
            return done.error().kind == si::ErrorKind::not_found
                       ? si::exit_code::not_found
                       : si::exit_code::code_for(done.error().kind);
        }
        std::fputs(done->c_str(), stdout);
        return si::exit_code::ok;
    }
    const bool tty = isatty(STDOUT_FILENO) == 1;
    if (!o.color_set) {
        o.table.color = tty;
    }
    o.table.url = o.url;
    std::signal(SIGINT, [](int) { interrupted = 1; });
    std::signal(SIGTERM, [](int) { interrupted = 1; });
    for (;;) {
        auto text = si::fetch_status(o.url, "si_btstatus");
        std::string screen;
        int code = si::exit_code::ok;
        if (!text) {
            screen = "si_btstatus: " + text.error().message + "\n";
            code = si::exit_code::code_for(text.error().kind);
        } else {
            // Piped or redirected: whole lines, for grep and scripts.
            o.table.width = tty ? terminal_width() : 0;
            auto table = si::render_status_table(*text, o.table);
            if (!table) {
                screen = "si_btstatus: " + o.url + "/status.json: " + table.error().message + "\n";
                code = si::exit_code::unreachable;
            } else {
                screen = std::move(*table);
            }
        }
        if (o.once) {
            std::fputs(screen.c_str(), code == 0 ? stdout : stderr);
            return code;
        }
        if (tty) {
            std::fputs("\033[H\033[2J", stdout);  // home, clear: redraw in place
        }
        std::fputs(screen.c_str(), stdout);
        std::fflush(stdout);
        for (double waited = 0; waited < o.interval && !interrupted; waited += 0.1) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (interrupted) {
            return si::exit_code::ok;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "si_btstatus: internal error: %s\n", e.what());
    }
    return si::exit_code::failure;
}
