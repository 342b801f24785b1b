#pragma once
// A value or an error message, for library code that must not throw across components.
#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace si {

// What kind of failure an Error is, in words every program shares. Library code says what
// went wrong; each main() turns the kind into its own documented exit code with one table
// (server/exit_codes.hpp for si_btd, si_installbtimage and si_btstatus; agent/exit_codes.hpp
// for si_btagent), so a file writer in common/ returns the same kind whoever calls it.
enum class ErrorKind {
    internal,         // a bug, or a failure nothing else names
    usage,            // bad command-line arguments
    config,           // a configuration source is unreadable or invalid (bittorrent.conf,
                      // systemimager.conf, a disk layout, the kernel command line)
    address,          // an interface is unknown or has no IPv4 address
    bind,             // a listening port cannot be bound
    already_running,  // another live process holds the pidfile or the state's lock
    unreachable,      // a server did not answer
    not_found,        // the server does not serve what was asked for
    bad_data,         // data received is not valid (a .torrent)
    stalled,          // no progress within the time limit
    no_space,         // a filesystem is full (ENOSPC, EDQUOT)
    io,               // another error reading or writing a file
    unpack,           // an archive entry cannot be extracted or would escape the root
    disk,             // partitioning, mkfs, mount or the bootloader failed, or a layout does
                      // not fit the disks
    superseded,       // the server no longer serves what is being fetched: the image was
                      // repacked (it changed) or dropped since the install began
    untrusted,        // what a server sent is not signed by a trusted key, or was signed for
                      // something else (common/minisign.hpp, common/signed_claim.hpp)
};

// no_space for ENOSPC and EDQUOT, io for any other errno.
inline ErrorKind io_error_kind(int err) {
    return err == ENOSPC || err == EDQUOT ? ErrorKind::no_space : ErrorKind::io;
}

struct Error {
    std::string message;  // one line, with context: "open /x: No such file or directory"
    ErrorKind kind = ErrorKind::internal;
};

template <typename T>
class Result {
  public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}  // NOLINT

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

// For operations with nothing to return.
struct Ok {};
using Status = Result<Ok>;

}  // namespace si
