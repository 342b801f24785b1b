#pragma once
// Runs one of the initrd's tools (sfdisk, mkfs.*, blkid) or one of the image's own (grub-install,
// run chrooted in the root) as a child process, with its input given and its output kept.
#include <string>
#include <vector>

#include "common/result.hpp"

namespace si {

struct ToolRun {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH
    std::string input;              // written to the tool's stdin, then closed
    std::string chroot_dir;         // "" none; else the child chroots there first
};

// The tool's stdout and stderr together. Fails (ErrorKind::disk) with
// "<tool>: not found", "<tool>: exit <n>: <its last output line>" or "<tool>: killed by signal
// <n>"; `what` prefixes the message (e.g. "partition /dev/vda").
// The caller ignores SIGPIPE (si_btagent does at start), so that a tool that exits before
// reading all of its input makes a write fail, not the agent die.
Result<std::string> run_tool(const ToolRun& run, const std::string& what);

}  // namespace si
