// si_installbtimage: packs the named images and overrides into their tarballs and .torrents
// (what si_btd does at start) and exits. The command line of SystemImager 4's tool, plus
// --compress=zstd, --config and --systemimager-conf.
#include <getopt.h>

#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "common/list_split.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "server/config/server_config.hpp"
#include "server/config/server_settings.hpp"
#include "server/exit_codes.hpp"
#include "server/pack/autoinstallscript.hpp"
#include "server/pack/packer.hpp"

namespace {

constexpr const char* usage_text =
    "usage: si_installbtimage --images A,B [--overrides C,D] [--update]\n"
    "                         [--compress[=gzip|zstd]] [--quiet]\n"
    "                         [--config FILE] [--systemimager-conf FILE]\n"
    "       si_installbtimage --help | --version\n"
    "\n"
    "Packs each image and override into its tarball and .torrent (see si_installbtimage(8)).\n"
    "  --images A,B          images to pack (from DEFAULT_IMAGE_DIR)\n"
    "  --overrides C,D       overrides to pack (from DEFAULT_OVERRIDE_DIR)\n"
    "  --update              repack even when the existing pair matches its tree\n"
    "  --compress[=gzip|zstd]  compress the tarballs (gzip when no value); default: plain .tar\n"
    "  --quiet               print only warnings and errors\n"
    "  --config FILE         bittorrent.conf (default /etc/systemimager/bittorrent.conf)\n"
    "  --systemimager-conf FILE  systemimager.conf (default "
    "/etc/systemimager/systemimager.conf)\n";

struct Options {
    bool have_images = false;
    std::string images;
    std::string overrides;
    bool update = false;
    si::Compression compression = si::Compression::none;
    bool quiet = false;
    std::string config = si::default_bt_conf_path;
    std::string si_config = si::default_si_conf_path;
};

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "si_installbtimage: %s\n%s", msg.c_str(), usage_text);
    return si::exit_code::usage;
}

// Returns -1 to go on, or the exit code.
int parse_options(int argc, char** argv, Options& o) {
    enum {
        opt_images = 1,
        opt_overrides,
        opt_update,
        opt_compress,
        opt_quiet,
        opt_config,
        opt_si_config,
        opt_help,
        opt_version
    };
    static const option longopts[] = {
        {"images", required_argument, nullptr, opt_images},
        {"overrides", required_argument, nullptr, opt_overrides},
        {"update", no_argument, nullptr, opt_update},
        {"compress", optional_argument, nullptr, opt_compress},
        {"quiet", no_argument, nullptr, opt_quiet},
        {"config", required_argument, nullptr, opt_config},
        {"systemimager-conf", required_argument, nullptr, opt_si_config},
        {"help", no_argument, nullptr, opt_help},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    for (;;) {
        int index = 0;
        int c = getopt_long(argc, argv, "", longopts, &index);
        if (c == -1) {
            break;
        }
        switch (c) {
            case opt_images:
                o.have_images = true;
                o.images = optarg;
                break;
            case opt_overrides:
                o.overrides = optarg;
                break;
            case opt_update:
                o.update = true;
                break;
            case opt_compress: {
                std::string v = optarg != nullptr ? optarg : "gzip";
                if (v == "gzip") {
                    o.compression = si::Compression::gzip;
                } else if (v == "zstd") {
                    o.compression = si::Compression::zstd;
                } else {
                    return usage_error("--compress: '" + v + "' is not gzip or zstd");
                }
                break;
            }
            case opt_quiet:
                o.quiet = true;
                break;
            case opt_config:
                o.config = optarg;
                break;
            case opt_si_config:
                o.si_config = optarg;
                break;
            case opt_help:
                std::fputs(usage_text, stdout);
                return si::exit_code::ok;
            case opt_version:
                std::printf("si_installbtimage %s\n", SI_VERSION);
                return si::exit_code::ok;
            default: {
                std::string arg = optind - 1 < argc ? argv[optind - 1] : "?";
                return usage_error("bad option " + arg);
            }
        }
    }
    if (optind < argc) {
        return usage_error(std::string("unexpected argument ") + argv[optind]);
    }
    if (!o.have_images) {
        return usage_error("--images is required");
    }
    return -1;
}

int run(int argc, char** argv) {
    Options o;
    if (int rc = parse_options(argc, argv, o); rc >= 0) {
        return rc;
    }
    // One line per image on stdout (below) says what was done: the packer's own info lines
    // would repeat it, so stderr carries only warnings and errors.
    si::Logger log;
    log.set_quiet(true);
    si::SplitList images = si::split_list(o.images);
    si::SplitList overrides = si::split_list(o.overrides);
    if (images.items.empty() && overrides.items.empty()) {
        return usage_error("--images names no image (and no --overrides given)");
    }
    for (const auto* list : {&images, &overrides}) {
        if (list->had_spaces) {
            log.warn("spaces in a list of names; read as separators");
        }
        for (const std::string& name : list->items) {
            if (!si::is_valid_image_name(name)) {
                return usage_error("'" + name + "' is not a valid name (letters, digits, . _ + -)");
            }
        }
    }

    // si_btd's loader: bittorrent.conf, systemimager.conf's directories, BT_INTERFACE.
    auto config = si::load_server_config(o.config, o.si_config);
    if (!config) {
        std::fprintf(stderr, "si_installbtimage: %s\n", config.error().message.c_str());
        return si::exit_code::code_for(config.error().kind);
    }
    for (const std::string& w : config->warnings) {
        log.warn(w);
    }
    // Only the announce address and port come from bittorrent.conf: what to pack and how
    // comes from the command line, as in SystemImager 4.
    si::PackerSettings packer = config->settings.packer;
    const si::Rebuild rebuild = o.update ? si::Rebuild::always : si::Rebuild::if_stale;
    const std::vector<si::PackJob> jobs =
        si::plan_pack_jobs(images.items, overrides.items, o.compression, config->dirs);

    int rc = si::exit_code::ok;
    for (const si::PackJob& job : jobs) {
        std::string label = std::string(si::kind_word(job.kind)) + " " + job.name;
        auto r = si::pack_or_reuse(job, packer, rebuild, log);
        if (!r) {
            log.error(r.error().message);
            rc = si::exit_code::pack;
            continue;
        }
        if (r->skipped) {
            // Named on the command line, so wanted: unlike si_btd, which keeps serving the
            // rest of BT_IMAGES, a one-shot pack that packed nothing for it has failed.
            log.error(label + ": nothing packed: " + r->note);
            rc = si::exit_code::pack;
            continue;
        }
        if (job.kind == si::PackKind::image) {
            // What si_btd would serve blank nodes: a layout it cannot use is an error here.
            if (auto layout = si::read_image_disk_layout(job.source_dir); !layout) {
                log.error(label + ": disk layout: " + layout.error().message);
                rc = rc == si::exit_code::ok ? si::exit_code::config : rc;
            }
        }
        if (!o.quiet) {
            std::string how = r->reused ? "reused" : "packed";
            char stats[160] = "";
            if (!r->reused) {
                double rate =
                    r->seconds > 0 ? static_cast<double>(r->tree_bytes) / 1e6 / r->seconds : 0.0;
                std::snprintf(stats, sizeof stats, ", %llu bytes of files, %.2f s, %.1f MB/s",
                              static_cast<unsigned long long>(r->tree_bytes), r->seconds, rate);
            }
            std::printf("%s: %s %s (%llu bytes, info-hash %s%s)%s%s\n", label.c_str(), how.c_str(),
                        r->tarball.c_str(), static_cast<unsigned long long>(r->tarball_bytes),
                        r->info_hash_hex.c_str(), stats, r->note.empty() ? "" : ": ",
                        r->note.c_str());
            std::fflush(stdout);
        }
    }
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "si_installbtimage: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "si_installbtimage: internal error\n");
    }
    return si::exit_code::failure;
}
