#include "server/exit_codes.hpp"

namespace si::exit_code {

int code_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::usage:
            return usage;
        case ErrorKind::config:
            return config;
        case ErrorKind::address:
            return address;
        case ErrorKind::bind:
            return bind;
        case ErrorKind::already_running:
            return already_running;
        case ErrorKind::unreachable:
            return unreachable;
        case ErrorKind::internal:
        case ErrorKind::not_found:
        case ErrorKind::bad_data:
        case ErrorKind::stalled:
        case ErrorKind::no_space:
        case ErrorKind::io:
        case ErrorKind::unpack:
        case ErrorKind::disk:
        case ErrorKind::superseded:
        case ErrorKind::untrusted:
            return failure;
    }
    return failure;
}

}  // namespace si::exit_code
