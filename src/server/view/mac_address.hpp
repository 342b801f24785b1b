#pragma once
// MAC addresses as nodes, files and the monitor protocol spell them. SystemImager's si_monitor
// sends "00.16.3e.aa.bb.cc"; pxelinux names per-node files "01-00-16-3e-aa-bb-cc"
// (syslinux's doc/pxelinux.txt: ARP type 01, then the MAC in lower-case hex with dashes).
#include <optional>
#include <string>
#include <string_view>

namespace si {

// "00.16.3e.aa.bb.cc", "00:16:3E:AA:BB:CC", "00-16-3e-aa-bb-cc" or "00163eaabbcc" ->
// "00:16:3e:aa:bb:cc"; nullopt for anything else (a separator mixed in the wrong place, a
// non-hex digit, another length).
std::optional<std::string> normalize_mac(std::string_view text);

// pxelinux's per-node configuration file name for a normalized MAC: "01-00-16-3e-aa-bb-cc".
std::string pxelinux_mac_file_name(std::string_view mac);

}  // namespace si
