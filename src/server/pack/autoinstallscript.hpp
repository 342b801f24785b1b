#pragma once
// An image's disk layout, as SystemImager kept it in the image tree:
// etc/systemimager/autoinstallscript.conf (SystemImager 4.0/4.1 XML, autoinstallscript.conf(5)):
//   <config>
//     <disk dev="/dev/sda" label_type="msdos|gpt" unit_of_measurement="MB|%">
//       <part num="1" size="512|*" p_type="primary|extended|logical" p_name="-" flags="boot"/>
//     </disk>
//     <fsinfo line="10" real_dev="/dev/sda1" mp="/" fs="ext4" options="defaults" dump="0"
//             pass="1" [mount_dev="LABEL=/"] [mkfs_opts="-F 32"] [format="no"] [comment=".."]/>
//     <bootloader flavor="grub2" install_type="legacy|efi"><target dev="/dev/sda"/></bootloader>
//   </config>
// Parsed and checked on the server (pure: text in, layout or "file:line: why" out) and handed to
// the nodes as layout_text() (common/disk_layout.hpp).
// Software RAID and LVM sections are refused (not supported by this transport: use SI_TARGET).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/disk_layout.hpp"
#include "common/result.hpp"

namespace si {

// Where an image keeps its layout, relative to the image's root.
inline constexpr const char* disk_layout_path = "etc/systemimager/autoinstallscript.conf";
// A layout file larger than this is refused (a real one is a few KiB).
inline constexpr std::size_t max_disk_layout_bytes = 1024 * 1024;

// Parses and checks a layout. Fails with "<file>:<line>: <why>" (ErrorKind::config) on: XML that
// is not well formed, an unknown element or attribute, a raid or lvm section, a missing or bad
// value (label_type, unit, num, size, p_type, flags, fs), two partitions with one number, a
// primary or extended msdos partition numbered over 4 or a logical one under 5 or outside an
// extended one, a gpt partition that is not primary, "*" on a partition that is not the last,
// sizes in % over 100, a filesystem to make on a device that is not a partition of the layout,
// two filesystems on one mount point, no "/" filesystem.
Result<DiskLayout> parse_disk_layout(std::string_view xml, std::string_view file);

// Reads <image_dir>/etc/systemimager/autoinstallscript.conf and parses it: nullopt when the
// image has none; fails when it is not a regular file of at most max_disk_layout_bytes, cannot
// be read, or does not parse (the errors of parse_disk_layout, named by the file's path).
Result<std::optional<DiskLayout>> read_image_disk_layout(const std::string& image_dir);

}  // namespace si
