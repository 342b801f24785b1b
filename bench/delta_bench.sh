#!/bin/bash
# The delta-ready layout on a real pair of trees (issue 31): what it costs a full install
# (delta-ready tarball against the plain zstd one), what a node holding OLD downloads to reach
# NEW (the pieces of the plan at 64 KiB, 256 KiB and 1 MiB), against the compressed size of
# what changed: a tar.zst (zstd -3) of exactly the entries of NEW the old root does not hold.
# The node's local scan (SHA-256 of every file of OLD_ROOT) is set against `cat` and `sha256sum`
# of the same files, one process and one per core, all with OLD_ROOT's files in the page cache
# (read once before the scan, untimed).
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
files=$(mktemp)
trap 'rm -f "$list" "$files"' EXIT
(cd "$old" && find . -type f ! -path ./.systemimager-install.record -print0) > "$files"
bytes=$(cd "$old" && xargs -0 -r stat -c %s < "$files" | awk '{t += $1} END {print t + 0}')
cores=$(nproc)
# Prints "NAME: MB/s" for a command that reads every file of OLD (from OLD, NUL-separated list).
rate() {
    local name=$1
    shift
    local t0 t1
    t0=$(date +%s.%N)
    (cd "$old" && "$@" < "$files" > /dev/null)
    t1=$(date +%s.%N)
    awk -v n="$name" -v b="$bytes" -v a="$t0" -v z="$t1" \
        'BEGIN {printf "read   %-24s %.1f MB in %.2f s (%.0f MB/s)\n", n ":", b / 1e6, z - a, b / 1e6 / (z - a)}'
}
(cd "$old" && xargs -0 -r cat < "$files" > /dev/null)  # into the page cache
"$tool" "$new" "$old" "$list"
rate "cat" xargs -0 -r cat
rate "sha256sum" xargs -0 -r sha256sum
rate "sha256sum x $cores" xargs -0 -r -P "$cores" -n 256 sha256sum
changed=$(wc -l < "$list")
delta=$(tar -C "$new" --no-recursion --numeric-owner --xattrs --acls -cf - -T "$list" | zstd -3 -q -c | wc -c)
raw=$(tar -C "$new" --no-recursion --numeric-owner --xattrs --acls -cf - -T "$list" | wc -c)
echo "delta  $changed entries of NEW not held by OLD: $raw bytes of tar, $delta bytes as tar.zst (zstd -3)"
