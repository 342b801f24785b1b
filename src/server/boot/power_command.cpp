#include "server/boot/power_command.hpp"

namespace si {

std::string shell_quote(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

Result<std::string> expand_power_command(std::string_view templ, const PowerTarget& node) {
    std::string out;
    for (std::size_t i = 0; i < templ.size(); ++i) {
        if (templ[i] != '%') {
            out += templ[i];
            continue;
        }
        if (i + 1 == templ.size()) {
            return Error{"BT_POWER_COMMAND: a '%' at the end (use %% for a '%')",
                         ErrorKind::config};
        }
        switch (templ[++i]) {
            case 'h':
                out += shell_quote(node.hostname);
                break;
            case 'm':
                out += shell_quote(node.mac);
                break;
            case 'i':
                out += shell_quote(node.image);
                break;
            case 'g':
                out += shell_quote(node.group);
                break;
            case '%':
                out += '%';
                break;
            default:
                return Error{std::string("BT_POWER_COMMAND: unknown placeholder %") + templ[i] +
                                 " (use %h %m %i %g %%)",
                             ErrorKind::config};
        }
    }
    return out;
}

}  // namespace si
