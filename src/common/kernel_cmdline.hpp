#pragma once
// The kernel command line (/proc/cmdline) read as the initrd's scripts read it: every
// KEY=value token becomes a variable; double quotes group words ("KEY=a b" or KEY="a b");
// tokens without '=' are flags. A later token overrides an earlier one.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace si {

struct KernelCmdline {
    std::map<std::string, std::string, std::less<>> vars;
    std::vector<std::string> flags;

    // The value of `key`, or nullptr.
    const std::string* find(std::string_view key) const;
};

KernelCmdline parse_kernel_cmdline(std::string_view text);

}  // namespace si
