// si_btagent: installs a SystemImager image over BitTorrent from the initrd. See si_btagent(8).
#include <getopt.h>
#include <signal.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "agent/exit_codes.hpp"
#include "agent/install.hpp"
#include "agent/monitor.hpp"
#include "agent/trust.hpp"
#include "common/agent_settings.hpp"
#include "common/file_io.hpp"
#include "common/kernel_cmdline.hpp"
#include "common/log.hpp"
#include "common/monitor_auth.hpp"

namespace {

struct Args {
    std::string cmdline = "/proc/cmdline";
    std::string root = "/a";
    std::string staging;
    std::string bind;
    bool verbose = false;
    bool prepare_disks = false;  // blank disks: partition, mkfs and mount from the image's layout
    // What the initrd trusts (agent/trust.hpp); a path given on the command line must exist.
    std::string trusted_keys = si::default_trusted_keys_dir;
    std::string monitor_key = si::default_monitor_key_file;
    bool trusted_keys_given = false;
    bool monitor_key_given = false;
    bool seal_report = false;  // only: seal the report line on stdin with the monitor key
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: si_btagent [--cmdline FILE] [--root DIR] [--staging DIR]\n"
                 "                  [--bind ADDRESS|INTERFACE] [--prepare-disks] [--verbose]\n"
                 "                  [--trusted-keys DIR] [--monitor-key FILE]\n"
                 "                  [--help] [--version]\n"
                 "       si_btagent --seal-report [--monitor-key FILE] < LINE\n"
                 "Installs IMAGENAME and OVERRIDES from IMAGESERVER over BitTorrent into the\n"
                 "root, as the kernel command line says (BITTORRENT=y). With --prepare-disks,\n"
                 "first partitions, formats and mounts this node's disks under the root as the\n"
                 "image's disk layout says (WIPING them), and afterwards writes fstab and the\n"
                 "hostname and installs GRUB. With public keys in --trusted-keys (default\n"
                 "/etc/si/trusted-keys), refuses a .torrent or layout not signed by one of them\n"
                 "before writing anything. See si_btagent(8).\n");
}

// Returns -1 to go on, or an exit code. getopt_long, as every program of the project.
int parse_args(int argc, char** argv, Args& a) {
    enum {
        opt_cmdline = 1,
        opt_root,
        opt_staging,
        opt_bind,
        opt_prepare_disks,
        opt_seal_report,
        opt_trusted_keys,
        opt_monitor_key,
        opt_version
    };
    static const option longopts[] = {
        {"cmdline", required_argument, nullptr, opt_cmdline},
        {"root", required_argument, nullptr, opt_root},
        {"staging", required_argument, nullptr, opt_staging},
        {"bind", required_argument, nullptr, opt_bind},
        {"prepare-disks", no_argument, nullptr, opt_prepare_disks},
        {"seal-report", no_argument, nullptr, opt_seal_report},
        {"trusted-keys", required_argument, nullptr, opt_trusted_keys},
        {"monitor-key", required_argument, nullptr, opt_monitor_key},
        {"verbose", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "vh", longopts, nullptr)) != -1;) {
        switch (c) {
            case 'h':
                usage(stdout);
                return si::agent_exit::ok;
            case opt_version:
                std::printf("si_btagent %s\n", SI_VERSION);
                return si::agent_exit::ok;
            case 'v':
                a.verbose = true;
                break;
            case opt_prepare_disks:
                a.prepare_disks = true;
                break;
            case opt_seal_report:
                a.seal_report = true;
                break;
            case opt_cmdline:
                a.cmdline = optarg;
                break;
            case opt_root:
                a.root = optarg;
                break;
            case opt_staging:
                a.staging = optarg;
                break;
            case opt_bind:
                a.bind = optarg;
                break;
            case opt_trusted_keys:
                a.trusted_keys = optarg;
                a.trusted_keys_given = true;
                break;
            case opt_monitor_key:
                a.monitor_key = optarg;
                a.monitor_key_given = true;
                break;
            default:
                std::fprintf(stderr, "si_btagent: unknown option or missing value: '%s'\n",
                             argv[optind - 1]);
                usage(stderr);
                return si::agent_exit::usage;
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "si_btagent: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return si::agent_exit::usage;
    }
    return -1;
}

// --seal-report: /init's own reports (rebooting, a failure of its own) get the HMAC the agent's
// carry (common/monitor_auth.hpp), so that si_btd takes them from a node that authenticates.
// Prints the first line of stdin, sealed when there is a monitor key, as it came when not.
int seal_report(const Args& args) {
    auto key = si::load_monitor_key(args.monitor_key, args.monitor_key_given);
    if (!key) {
        std::fprintf(stderr, "si_btagent: %s\n", key.error().message.c_str());
        return si::agent_exit::code_for(key.error().kind);
    }
    std::string line;
    for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar()) {
        line += static_cast<char>(c);
    }
    if (!key->empty()) {
        line = si::seal_report_line(line, *key);
    }
    std::printf("%s\n", line.c_str());
    return si::agent_exit::ok;
}

int run(int argc, char** argv) {
    Args args;
    if (int code = parse_args(argc, argv, args); code >= 0) {
        return code;
    }
    if (args.seal_report) {
        return seal_report(args);
    }
    auto text = si::read_text_file(args.cmdline);
    if (!text) {
        std::fprintf(stderr, "si_btagent: %s\n", text.error().message.c_str());
        return si::agent_exit::io;
    }
    auto settings = si::agent_settings_from(si::parse_kernel_cmdline(*text));
    if (!settings) {
        std::fprintf(stderr, "si_btagent: %s\n", settings.error().message.c_str());
        return si::agent_exit::code_for(settings.error().kind);
    }
    if (!settings->enabled) {
        std::fprintf(stderr,
                     "si_btagent: BITTORRENT=y is not on the kernel command line: not using "
                     "BitTorrent (fall back to another transport)\n");
        return si::agent_exit::disabled;
    }
    signal(SIGPIPE, SIG_IGN);
    si::Logger log;
    if (settings->monitor_console) {
        log.keep_tail(si::console_lines);
    }
    si::InstallOptions options{args.root,          args.staging,          args.bind,
                               args.prepare_disks, args.trusted_keys,     args.trusted_keys_given,
                               args.monitor_key,   args.monitor_key_given};
    // An image repacked on the server while this node installs it (ErrorKind::superseded):
    // the install starts again from the .torrent, as a reboot of the node would, up to
    // BITTORRENT_RESTARTS times. Each start has an install of its own: the one before has
    // unmounted its disks and closed its session when it is destroyed.
    for (int restart = 0;; ++restart) {
        options.restart_follows_superseded = restart < settings->restarts;
        std::optional<si::StepFailure> failed;
        {
            auto steps = si::make_install_steps(options, *settings, log);
            failed = si::run_install(*steps, args.prepare_disks);
        }
        if (!failed) {
            return si::agent_exit::ok;
        }
        if (failed->error.kind == si::ErrorKind::superseded && options.restart_follows_superseded) {
            log.warn(failed->step + ": " + failed->error.message + "; starting again (restart " +
                     std::to_string(restart + 1) + " of " + std::to_string(settings->restarts) +
                     ", BITTORRENT_RESTARTS)");
            continue;
        }
        std::fprintf(stderr, "si_btagent: %s: %s\n", failed->step.c_str(),
                     failed->error.message.c_str());
        return si::agent_exit::code_for(failed->error.kind);
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "si_btagent: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "si_btagent: internal error\n");
    }
    return si::agent_exit::failure;
}
