#include "common/exit_codes.hpp"

namespace si::exit_code {

const char* describe(int code) {
    switch (code) {
        case ok:
            return "success";
        case usage:
            return "bad command-line arguments";
        case config:
            return "configuration error";
        case address:
            return "interface or address error";
        case bind:
            return "cannot bind a port";
        case pack:
            return "packing failed";
        case already_running:
            return "already running";
        case unreachable:
            return "si_btd did not answer";
        default:
            return "internal error";
    }
}

}  // namespace si::exit_code
