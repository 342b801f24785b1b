#pragma once
// The install record: what a successful install leaves in the node's root, so that the next
// network boot for the same image can prove the disk already holds it and download nothing.
// Written by si_btagent just before the incomplete mark goes (incomplete_mark.hpp), at
// <root>/.systemimager-install.record, beside the mark: a file at the top of the root adds no
// directory to the image and changes no directory's times but the root's, which the agent puts
// back. si_btagent(8), FILES, and docs/client-howto.md, "A node that already holds its image".
//
// The text form, one item per line:
//   # si_btagent install record
//   format 1
//   image <name> <info-hash, 40 hex>
//   override <name> <info-hash>          (one line per override applied, in order)
//   layout <sha256 hex of the disk layout's text | ->   (- : the root was SI_TARGET)
//   hostname <name | ->                  (the hostname the agent wrote, - : none)
//   proof pieces=<v>/<t> archive=<end|open> overrides=<a>/<f> entries=<n> bytes=<n>
//   installed <seconds since the epoch>
//   manifest <lines> <sha256 hex of the manifest's text>
//   <the manifest of the root, one line each (common/tree_manifest.hpp)>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/known_contents.hpp"
#include "common/result.hpp"
#include "common/sha256.hpp"  // sha256_hex: the layout's digest
#include "common/tree_manifest.hpp"
#include "monitor.hpp"

namespace si {

// Name of the record, relative to the root.
inline constexpr const char* install_record_name = ".systemimager-install.record";

// An image or override as the server serves it: its name and v1 info-hash (lowercase hex).
struct PackIdentity {
    std::string name;
    std::string info_hash;
    bool operator==(const PackIdentity&) const = default;
};

// What an install is for: the packs in the order they are applied, the layout (blank disks)
// and the hostname the agent writes. Compared whole with a record.
struct InstallTarget {
    PackIdentity image;
    std::vector<PackIdentity> overrides;
    std::string layout_digest;  // sha256 hex of the layout's text; "" without --prepare-disks
    std::string hostname;       // written to the root; "" none
};

struct InstallRecord {
    InstallTarget target;
    InstallProof proof;
    std::int64_t installed_at = 0;      // seconds since the epoch
    std::vector<std::string> manifest;  // of the root, the record and the mark left out
};

// The paths every manifest of a root leaves out: the record and the incomplete mark.
std::vector<std::string> record_manifest_excludes();

// The record's text (the form above).
std::string format_install_record(const InstallRecord& record);

// Reads format_install_record()'s text back. Fails (ErrorKind::bad_data) with "line <n>:
// <why>" for a first line that is not the header, a format other than 1, an unknown or
// misplaced line, a field that is not what it should be, or a manifest whose line count or
// digest does not match (a record cut short or edited).
Result<InstallRecord> parse_install_record(std::string_view text);

// Writes <root>/.systemimager-install.record atomically (common/atomic_file.hpp) and puts the
// root's times back as they were. Fails with ErrorKind::io or no_space.
Status write_install_record(const std::string& root, const InstallRecord& record);

// Why a record is not for this target, or nullopt when its packs (names and info-hashes, in
// order), layout digest and hostname are the target's. Pure.
std::optional<std::string> record_mismatch(const InstallRecord& record,
                                           const InstallTarget& target);

// Whether disks that carry an install recorded as `on_disk` may be reimaged in place for
// `target` (mounted as they are, nothing partitioned or formatted, only what changed
// downloaded: a delta install): both installs prepared the disks from the same layout (equal,
// non-empty layout digests), so the partitions and filesystems are the ones this boot would
// make. Pure.
bool reimage_in_place(const InstallRecord& on_disk, const InstallTarget& target);

// The verdict on a root: held (the disk holds the target exactly) or why not.
struct HeldVerdict {
    bool held = false;
    std::string reason;              // when not held: one line
    bool recorded = false;           // the root carries a whole record (held or not)
    InstallRecord record;            // that record, when recorded
    std::int64_t scanned_bytes = 0;  // file contents read by the manifest
    std::int64_t scanned_entries = 0;
    double scan_seconds = 0;
};

// Reads the root's record and checks, cheapest first: the record is there and whole, the
// incomplete mark is not, the record is for `target`, and a fresh manifest of the root equals
// the recorded one line by line (else "differs: /etc/passwd: content"). Never writes; any
// failure (an unreadable record or file) is a "not held" with its reason. With `learn`, the
// digests the manifest reads are remembered there (ManifestOptions::learn).
HeldVerdict check_held(const std::string& root, const InstallTarget& target,
                       KnownContents* learn = nullptr);

}  // namespace si
