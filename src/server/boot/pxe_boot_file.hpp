#pragma once
// A node's own pxelinux configuration, pxelinux.cfg/01-<mac> under the TFTP root, as si_btd
// and si_btreimage write it: either the install entry (the template, normally the TFTP root's
// pxelinux.cfg/default that the client HOWTO copies from etc/pxelinux.cfg/syslinux.cfg, with
// this node's IMAGENAME, HOSTNAME and OVERRIDES set on its APPEND lines) or a local boot.
// BIOS nodes read it with pxelinux.0, UEFI nodes with syslinux.efi from the same directory:
// LOCALBOOT 0 makes pxelinux hand the boot back to the BIOS and syslinux.efi return to the
// firmware, which then boots the next entry of its boot order, the node's disk.
//
// The file's second line says what it is, so si_btd, si_btreimage and an administrator read
// the same state from it:
//   # si_btd: boot=install image=debian12 host=node01 since=1765000000 by=si_btreimage
// A file without that line was written by someone else and is never replaced.
// Rendering and parsing are pure; BootFileDir does the I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace si {

enum class BootMode { install, local };
std::string_view boot_mode_name(BootMode m);  // "install" or "local"

// What the second line of one of our files says.
struct BootFileHeader {
    BootMode mode = BootMode::install;
    std::string image;       // the image it installs, or the one the disk holds (local)
    std::string hostname;    // "" when not known
    std::int64_t since = 0;  // Unix seconds when it was written
    std::string by;          // "si_btd" or "si_btreimage"
};

// The node an entry is written for.
struct BootTarget {
    std::string mac;  // normalized
    std::string hostname;
    std::string image;
    std::vector<std::string> overrides;  // empty: the template's OVERRIDES stay as they are
    bool reinstall = false;  // BITTORRENT_REINSTALL=y: install in full even over a held image
};

// The install entry: `template_text` with every APPEND line's IMAGENAME, HOSTNAME, (when
// the node names any) OVERRIDES and (with `reinstall`) BITTORRENT_REINSTALL=y set, added when
// absent, after our two header lines. Fails
// (ErrorKind::config) when the template has no APPEND line or does not say BITTORRENT=y on one.
Result<std::string> render_install_boot_file(std::string_view template_text, const BootTarget& node,
                                             std::int64_t now, std::string_view by);

// The local boot entry (LOCALBOOT 0), recording the image the disk holds.
std::string render_local_boot_file(const BootTarget& node, std::int64_t now, std::string_view by);

// The header of one of our files; nullopt for a file someone else wrote (or a damaged one).
std::optional<BootFileHeader> parse_boot_file_header(std::string_view text);

// What a node's file says now.
struct BootFileState {
    bool exists = false;
    std::optional<BootFileHeader> header;  // nullopt: absent, or not ours ("foreign")
    std::string text;                      // the whole file, to put back if an action fails
};

// The per-node files of one pxelinux.cfg directory.
class BootFileDir {
  public:
    explicit BootFileDir(std::string dir) : dir_(std::move(dir)) {}
    const std::string& dir() const { return dir_; }
    // <dir>/01-aa-bb-cc-dd-ee-ff
    std::string path_for(std::string_view mac) const;

    // Fails (ErrorKind::io) when the file exists but cannot be read.
    Result<BootFileState> read(std::string_view mac) const;
    // Replaces the file atomically (temp file, fsync, rename; mode 0644: TFTP serves it).
    // Fails with ErrorKind::io or no_space, e.g. when the directory does not exist: it is not
    // created, since a missing TFTP root is a configuration mistake to report, not to hide.
    Status write(std::string_view mac, std::string_view text) const;

  private:
    std::string dir_;
};

}  // namespace si
