#include "common/kernel_cmdline.hpp"

namespace si {

const std::string* KernelCmdline::find(std::string_view key) const {
    auto it = vars.find(key);
    return it == vars.end() ? nullptr : &it->second;
}

KernelCmdline parse_kernel_cmdline(std::string_view text) {
    KernelCmdline out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) {
            ++i;
        }
        if (i >= text.size()) {
            break;
        }
        std::string token;
        bool quoted = false;
        while (i < text.size()) {
            char c = text[i];
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == ' ' || c == '\t' || c == '\n')) {
                break;
            } else {
                token.push_back(c);
            }
            ++i;
        }
        if (token == "--") {
            continue;  // what follows goes to init; its KEY=value still reaches us the same way
        }
        size_t eq = token.find('=');
        if (eq == std::string::npos || eq == 0) {
            out.flags.push_back(std::move(token));
        } else {
            out.vars[token.substr(0, eq)] = token.substr(eq + 1);
        }
    }
    return out;
}

}  // namespace si
