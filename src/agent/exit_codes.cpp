#include "agent/exit_codes.hpp"

namespace si::agent_exit {

int code_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::usage:
            return usage;
        case ErrorKind::config:
            return cmdline;
        case ErrorKind::unreachable:
            return unreachable;
        case ErrorKind::not_found:
            return unknown_image;
        case ErrorKind::bad_data:
            return bad_torrent;
        case ErrorKind::stalled:
            return stalled;
        case ErrorKind::no_space:
            return no_space;
        case ErrorKind::unpack:
            return unpack;
        case ErrorKind::io:
            return io;
        case ErrorKind::disk:
            return disk;
        case ErrorKind::superseded:
            return image_changed;
        case ErrorKind::untrusted:
            return untrusted;
        case ErrorKind::internal:
        case ErrorKind::address:
        case ErrorKind::bind:
        case ErrorKind::already_running:
            return failure;
    }
    return failure;
}

}  // namespace si::agent_exit
