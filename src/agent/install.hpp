#pragma once
// One node's install, step by step: the address it talks from, the torrents, the disks (blank
// disks only), the look at whether the disk already holds the image, staging, the download
// unpacked as it comes, and the end (install record, seed wait, unmount). run_install() is the
// order and the cleanup after a failed step; InstallSteps is the seam that unit tests replace.
#include <memory>
#include <optional>
#include <string>

#include "common/agent_settings.hpp"
#include "common/log.hpp"
#include "common/result.hpp"

namespace si {

struct InstallOptions {
    std::string root = "/a";     // the target's root
    std::string staging;         // --staging; "" with BITTORRENT_STAGING unset: chosen
    std::string bind;            // --bind; "": the route to the image server
    bool prepare_disks = false;  // blank disks: partition, mkfs and mount from the layout
    // What the initrd trusts (agent/trust.hpp); a path given on the command line must exist.
    std::string trusted_keys;
    bool trusted_keys_given = false;
    std::string monitor_key;
    bool monitor_key_given = false;
    // The caller starts the install again if it fails because the image changed on the server
    // (ErrorKind::superseded, BITTORRENT_RESTARTS): the monitor is then not told it failed.
    bool restart_follows_superseded = false;
};

// A step that failed: its name as the failure line and the monitor say it ("fetch torrent",
// "install image-x.tar.gz", "disks"), and the error, whose kind is the exit code.
struct StepFailure {
    std::string step;
    Error error;
};
using StepStatus = std::optional<StepFailure>;  // nullopt: the step is done

// The steps, in the order run_install() calls them.
class InstallSteps {
  public:
    virtual ~InstallSteps() = default;
    virtual StepStatus begin() = 0;           // the address, the first report, the root
    virtual StepStatus fetch_torrents() = 0;  // the image's, then each override's
    virtual StepStatus plan_layout() = 0;     // blank disks: the layout planned on this node
    // Sets `held` when the disk already holds exactly this install (then nothing else runs).
    virtual StepStatus check_already_installed(bool& held) = 0;
    virtual StepStatus prepare_disks() = 0;        // blank disks: partitions, mkfs, mounts
    virtual StepStatus stage() = 0;                // room for the tarballs, the incomplete mark
    virtual StepStatus download_and_unpack() = 0;  // the image, then the overrides
    virtual StepStatus finish_disks() = 0;         // blank disks: fstab, hostname, bootloader
    virtual StepStatus complete() = 0;             // record, report, seed wait, unmount
    // After a failed step, once: the swarm stops, the staged tarballs go, the monitor hears it.
    virtual void clean_up(const StepFailure& failure) = 0;
};

// Runs the steps in order (the blank-disk ones only with `prepare_disks`) and stops at the
// first that fails, or after check_already_installed() finds the install held. Returns
// nullopt when the node is installed, else the failure, after clean_up() ran.
StepStatus run_install(InstallSteps& steps, bool prepare_disks);

// The steps of a real install on this node, reporting to `settings`' monitor.
std::unique_ptr<InstallSteps> make_install_steps(InstallOptions options, AgentSettings settings,
                                                 Logger& log);

}  // namespace si
