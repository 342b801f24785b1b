// si_btd: the SystemImager BitTorrent image server daemon. See si_btd(8).
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "common/bt_config.hpp"
#include "common/log.hpp"
#include "server/config/server_config.hpp"
#include "server/config_check.hpp"
#include "server/daemon.hpp"
#include "server/exit_codes.hpp"
#include "server/pidfile.hpp"
#include "server/sd_notify.hpp"

namespace {

constexpr const char* default_pidfile = "/var/run/systemimager-server-bittorrent.pid";

struct Args {
    si::DaemonOptions daemon{si::default_bt_conf_path, si::default_si_conf_path, default_pidfile};
    bool foreground = false;
    bool check = false;  // --check: check the configuration and exit
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: si_btd [--config FILE] [--systemimager-conf FILE] [--foreground]\n"
                 "              [--pidfile FILE] [--check] [--help] [--version]\n"
                 "Packs the images and overrides listed in bittorrent.conf, runs the tracker\n"
                 "and seeds them. See si_btd(8).\n");
}

// Returns -1 to go on, or an exit code. getopt_long, as every program of the project.
int parse_args(int argc, char** argv, Args& args) {
    enum { opt_config = 1, opt_si_conf, opt_pidfile, opt_version };
    static const option longopts[] = {
        {"config", required_argument, nullptr, opt_config},
        {"systemimager-conf", required_argument, nullptr, opt_si_conf},
        {"pidfile", required_argument, nullptr, opt_pidfile},
        {"foreground", no_argument, nullptr, 'f'},
        {"check", no_argument, nullptr, 't'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "fth", longopts, nullptr)) != -1;) {
        switch (c) {
            case 'h':
                usage(stdout);
                return si::exit_code::ok;
            case opt_version:
                std::printf("si_btd %s\n", SI_VERSION);
                return si::exit_code::ok;
            case 'f':
                args.foreground = true;
                break;
            case 't':
                args.check = true;
                break;
            case opt_config:
                args.daemon.bt_conf_path = optarg;
                break;
            case opt_si_conf:
                args.daemon.si_conf_path = optarg;
                break;
            case opt_pidfile:
                args.daemon.pidfile = optarg;
                break;
            default:
                std::fprintf(stderr, "si_btd: unknown option or missing value: '%s'\n",
                             argv[optind - 1]);
                usage(stderr);
                return si::exit_code::usage;
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "si_btd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return si::exit_code::usage;
    }
    return -1;
}

// The parent waits on a pipe until the child reports that it is serving (or why it is not),
// so that `si_btd` and the init script return only once the daemon really runs.
class ReadyPipe {
  public:
    // In the child: report success ("") or an error line with its exit code.
    void report(int code, const std::string& message) {
        if (fd_ < 0) {
            return;
        }
        std::string line = std::to_string(code) + " " + message;
        (void)!write(fd_, line.data(), line.size());
        close(fd_);
        fd_ = -1;
    }
    ~ReadyPipe() {
        if (fd_ >= 0) {
            close(fd_);
        }
    }

    // Forks. Returns in the child (with the pipe open); the parent exits here.
    void daemonize() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
            std::fprintf(stderr, "si_btd: pipe: %s\n", std::strerror(errno));
            std::exit(si::exit_code::failure);
        }
        pid_t pid = fork();
        if (pid < 0) {
            std::fprintf(stderr, "si_btd: fork: %s\n", std::strerror(errno));
            std::exit(si::exit_code::failure);
        }
        if (pid > 0) {
            close(fds[1]);
            std::string got;
            char buf[512];
            ssize_t n;
            while ((n = read(fds[0], buf, sizeof buf)) > 0) {
                got.append(buf, static_cast<size_t>(n));
            }
            if (got.empty()) {
                int status = 0;
                waitpid(pid, &status, 0);
                std::fprintf(stderr, "si_btd: the daemon died while starting\n");
                std::exit(si::exit_code::failure);
            }
            int code = std::atoi(got.c_str());
            auto space = got.find(' ');
            std::string msg = space == std::string::npos ? "" : got.substr(space + 1);
            if (code != 0) {
                std::fprintf(stderr, "si_btd: %s\n", msg.c_str());
                waitpid(pid, nullptr, 0);
            }
            std::exit(code);
        }
        close(fds[0]);
        fd_ = fds[1];
        setsid();
        umask(022);
        if (chdir("/") != 0) {
            // not fatal: all paths in use are absolute
        }
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            close(null);
        }
    }

  private:
    int fd_ = -1;
};

// The log, for the last words of a process that ends otherwise than by returning from run():
// an uncaught exception (std::terminate) or a fatal signal. Set while the log is open.
si::Logger* last_words_log = nullptr;
int last_words_fd = -1;

// A fatal signal: one line to the log file with write(2), the only safe call here, then the
// signal's default action (a core dump where enabled).
extern "C" void on_fatal_signal(int sig) {
    if (last_words_fd >= 0) {
        char line[96] = "si_btd: exiting: fatal signal ";
        std::size_t n = std::strlen(line);
        const char* name = sigabbrev_np(sig);
        for (const char* p = name != nullptr ? name : "?"; *p != '\0' && n < 80; ++p) {
            line[n++] = *p;
        }
        line[n++] = '\n';
        (void)!::write(last_words_fd, line, n);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

// An exception no one caught, on any thread: said in the log before the process ends.
void on_terminate() {
    std::string why = "std::terminate called";
    if (std::exception_ptr e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            why = std::string("uncaught exception: ") + x.what();
        } catch (...) {
            why = "uncaught exception";
        }
    }
    if (last_words_log != nullptr) {
        last_words_log->error("si_btd: exiting: internal error: " + why);
        last_words_fd = -1;  // said; the SIGABRT that follows need not say more
    }
    std::abort();
}

void say_last_words_on_crash(si::Logger& log) {
    last_words_log = &log;
    last_words_fd = log.file_descriptor();
    std::set_terminate(on_terminate);
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
        sigaction(sig, &sa, nullptr);
    }
}

// --check: one line per problem on stderr (warnings too), "configuration OK" on stdout, and
// the exit code a start would have returned for the first problem.
int check_only(const Args& args) {
    const si::ConfigCheck check =
        si::check_server_config(args.daemon.bt_conf_path, args.daemon.si_conf_path);
    for (const std::string& w : check.warnings) {
        std::fprintf(stderr, "si_btd: warning: %s\n", w.c_str());
    }
    for (const si::Error& e : check.problems) {
        std::fprintf(stderr, "si_btd: %s\n", e.message.c_str());
    }
    if (!check.problems.empty()) {
        return si::exit_code::code_for(check.problems.front().kind);
    }
    std::printf("si_btd: configuration OK (%s, %s)\n", args.daemon.bt_conf_path.c_str(),
                args.daemon.si_conf_path.c_str());
    return si::exit_code::ok;
}

int run(int argc, char** argv, si::Logger& log) {
    Args args;
    if (int code = parse_args(argc, argv, args); code >= 0) {
        return code;
    }
    if (args.check) {
        return check_only(args);
    }
    auto config = si::load_server_config(args.daemon.bt_conf_path, args.daemon.si_conf_path);
    if (!config) {
        std::fprintf(stderr, "si_btd: %s\n", config.error().message.c_str());
        return si::exit_code::code_for(config.error().kind);
    }
    if (auto pid = si::running_daemon(args.daemon.pidfile)) {
        std::fprintf(stderr, "si_btd: already running (pid %d, %s)\n", static_cast<int>(*pid),
                     args.daemon.pidfile.c_str());
        return si::exit_code::already_running;
    }
    if (auto st = log.open_file(config->bt.tracker_log); !st) {
        std::fprintf(stderr, "si_btd: %s: BT_TRACKER_LOG: %s\n", config->bt.file.c_str(),
                     st.error().message.c_str());
        return si::exit_code::config;
    }
    say_last_words_on_crash(log);
    signal(SIGPIPE, SIG_IGN);
    // The signals the daemon handles are blocked until its io_context waits for them.
    ReadyPipe ready;
    if (!args.foreground) {
        ready.daemonize();
        log.set_stderr(false);
    }
    log.info("si_btd " SI_VERSION " starting (config " + args.daemon.bt_conf_path + ", address " +
             config->address + ")");
    si::Daemon daemon(args.daemon, std::move(*config), log);
    if (auto st = daemon.start(); !st) {
        log.error(st.error().message);
        const int code = si::exit_code::code_for(st.error().kind);
        log.flush_repeated();
        log.info("si_btd: exiting with code " + std::to_string(code) + " (could not start)");
        ready.report(code, st.error().message);
        return code;
    }
    ready.report(0, "");
    si::notify_systemd_ready(log);
    const int code = daemon.run();
    log.flush_repeated();
    log.info("si_btd: exiting with code " + std::to_string(code));
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    // Declared before everything run() builds: an exception thrown there still finds the log
    // open, also in daemon mode, where stderr is /dev/null.
    si::Logger log;
    std::string why;
    try {
        return run(argc, argv, log);
    } catch (const std::exception& e) {
        why = std::string("internal error: ") + e.what();
    } catch (...) {
        why = "internal error";
    }
    std::fprintf(stderr, "si_btd: %s\n", why.c_str());
    log.set_stderr(false);
    log.flush_repeated();
    log.error("si_btd: exiting with code " + std::to_string(si::exit_code::failure) + ": " + why);
    return si::exit_code::failure;
}
