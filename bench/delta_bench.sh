#!/bin/bash
# The delta-ready layout on a real pair of trees (issue 31): what it costs a full install
# (delta-ready tarball against the plain zstd one), what a node holding OLD downloads to reach
# NEW (the pieces of the plan at 64 KiB, 256 KiB and 1 MiB), against the compressed size of
# what changed: a tar.zst (zstd -3) of exactly the entries of NEW the old root does not hold.
#
#   bench/delta_bench.sh NEW_TREE OLD_ROOT [BUILD_DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
new=$1
old=$2
build=${3:-$(dirname "$here")/build}
tool=${DELTA_BENCH:-$build/bench/delta_bench}
[ -x "$tool" ] || { echo "delta_bench.sh: $tool not found (build the delta_bench target)" >&2; exit 2; }

list=$(mktemp)
trap 'rm -f "$list"' EXIT
"$tool" "$new" "$old" "$list"
changed=$(wc -l < "$list")
delta=$(tar -C "$new" --no-recursion --numeric-owner --xattrs --acls -cf - -T "$list" | zstd -3 -q -c | wc -c)
raw=$(tar -C "$new" --no-recursion --numeric-owner --xattrs --acls -cf - -T "$list" | wc -c)
echo "delta  $changed entries of NEW not held by OLD: $raw bytes of tar, $delta bytes as tar.zst (zstd -3)"
