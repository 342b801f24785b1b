// si_btkey: makes si_btd's signing key pair and the cluster's monitor key. See si_btkey(8) and
// docs/server-howto.md, "Security".
#include <getopt.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "common/atomic_file.hpp"
#include "common/bt_config.hpp"
#include "common/file_io.hpp"
#include "common/minisign.hpp"
#include "common/monitor_auth.hpp"
#include "server/exit_codes.hpp"

#include <sys/stat.h>

namespace {

constexpr const char* usage_text =
    "usage: si_btkey signing [--key FILE] [--force]\n"
    "       si_btkey monitor [--key FILE] [--force]\n"
    "       si_btkey public [--key FILE]\n"
    "       si_btkey --help | --version\n"
    "\n"
    "  signing   a new Ed25519 signing key for si_btd (BT_SIGNING_KEY): FILE (0600, default\n"
    "            /etc/systemimager/bittorrent-signing.key) and its public key beside it\n"
    "            (FILE without .key, plus .pub), for build-initrd --trust-key\n"
    "  monitor   a new cluster key for the nodes' reports (BT_MONITOR_KEY; default\n"
    "            /etc/systemimager/bittorrent-monitor.key), for build-initrd --monitor-key\n"
    "  public    prints the public key of the signing key FILE\n"
    "  --force   replaces an existing key (nodes whose initrd holds the old one refuse\n"
    "            what the new one signs: see key rotation in si_btkey(8))\n";

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "si_btkey: %s\n%s", msg.c_str(), usage_text);
    return si::exit_code::usage;
}

int fail(const std::string& msg) {
    std::fprintf(stderr, "si_btkey: %s\n", msg.c_str());
    return si::exit_code::failure;
}

std::string public_path(const std::string& key) {
    const std::string_view suffix = ".key";
    if (key.size() > suffix.size() && key.ends_with(suffix)) {
        return key.substr(0, key.size() - suffix.size()) + ".pub";
    }
    return key + ".pub";
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

int make_signing(const std::string& key_file, bool force) {
    const std::string pub_file = public_path(key_file);
    if (!force && exists(key_file)) {
        return fail(key_file + " exists; not replacing it (--force replaces it)");
    }
    auto key = si::make_secret_key();
    if (!key) {
        return fail(key.error().message);
    }
    // The public key first: a secret key never exists without the file that says which it is.
    if (auto st = si::write_file_atomically(pub_file, si::public_key_text(key->pub), 0644); !st) {
        return fail(st.error().message);
    }
    if (auto st = si::write_file_atomically(key_file, si::secret_key_text(*key), 0600); !st) {
        return fail(st.error().message);
    }
    std::printf("si_btkey: signing key %s written to %s (secret, 0600) and %s (public)\n",
                si::key_id_text(key->id).c_str(), key_file.c_str(), pub_file.c_str());
    return si::exit_code::ok;
}

int make_monitor(const std::string& key_file, bool force) {
    if (!force && exists(key_file)) {
        return fail(key_file + " exists; not replacing it (--force replaces it)");
    }
    auto text = si::make_monitor_key_text();
    if (!text) {
        return fail(text.error().message);
    }
    if (auto st = si::write_file_atomically(key_file, *text, 0600); !st) {
        return fail(st.error().message);
    }
    std::printf("si_btkey: monitor key written to %s (secret, 0600)\n", key_file.c_str());
    return si::exit_code::ok;
}

int print_public(const std::string& key_file) {
    auto text = si::read_text_file(key_file);
    if (!text) {
        return fail(text.error().message);
    }
    auto key = si::parse_secret_key(*text, key_file);
    if (!key) {
        return fail(key.error().message);
    }
    std::fputs(si::public_key_text(key->pub).c_str(), stdout);
    return si::exit_code::ok;
}

int run(int argc, char** argv) {
    if (argc < 2) {
        return usage_error("no command");
    }
    const std::string_view command = argv[1];
    if (command == "--help" || command == "-h") {
        std::fputs(usage_text, stdout);
        return si::exit_code::ok;
    }
    if (command == "--version") {
        std::printf("si_btkey %s\n", SI_VERSION);
        return si::exit_code::ok;
    }
    std::string key_file;
    bool force = false;
    // The command's options: getopt_long, as every program of the project, over the
    // arguments after the command.
    enum { opt_key = 1, opt_force };
    static const option longopts[] = {
        {"key", required_argument, nullptr, opt_key},
        {"force", no_argument, nullptr, opt_force},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    char** args = argv + 1;
    const int nargs = argc - 1;
    for (int c; (c = getopt_long(nargs, args, "", longopts, nullptr)) != -1;) {
        if (c == opt_key) {
            key_file = optarg;
        } else if (c == opt_force) {
            force = true;
        } else {
            return usage_error("unknown option or missing value: '" +
                               std::string(args[optind - 1]) + "'");
        }
    }
    if (optind < nargs) {
        return usage_error("unexpected argument '" + std::string(args[optind]) + "'");
    }
    if (command == "signing" || command == "public") {
        if (key_file.empty()) {
            key_file = si::default_signing_key_path;
        }
        return command == "signing" ? make_signing(key_file, force) : print_public(key_file);
    }
    if (command == "monitor") {
        return make_monitor(key_file.empty() ? si::default_monitor_key_path : key_file, force);
    }
    return usage_error("unknown command '" + std::string(command) + "'");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "si_btkey: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "si_btkey: internal error\n");
    }
    return si::exit_code::failure;
}
