#!/bin/bash
# The scan that proves a node "already installed" (common/tree_manifest: every entry's metadata
# and the SHA-256 of every file) against reading the same files with cat and hashing them with
# sha256sum, all from the page cache (the files are read once before timing), runs interleaved.
# Prints the median wall time and MB/s of each, and the ratios.
#
#   bench/manifest_bench.sh [BUILD_DIR [TREE]]
# BUILD_DIR (default: build) holds bench/manifest_scan, or set MANIFEST_SCAN to its path.
# TREE: default /usr/lib (a real OS's files: many small, some large).
# Environment: RUNS per tool (3).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$(dirname "$here")/build}
tree=${2:-/usr/lib}
scan=${MANIFEST_SCAN:-$build/bench/manifest_scan}
runs=${RUNS:-3}
[ -x "$scan" ] || { echo "manifest_bench.sh: $scan not found (build the manifest_scan target)" >&2; exit 2; }

list=$(mktemp)
trap 'rm -f "$list"' EXIT
# Each file once (the manifest hashes a hard-linked file once), as the manifest walks: one
# filesystem per mount, no link followed.
read -r files bytes < <(python3 - "$tree" "$list" <<'PY'
import os, stat, sys
seen, total, names = set(), 0, []
for d, dirs, fs in os.walk(sys.argv[1]):
    dirs.sort()
    for n in sorted(fs):
        p = os.path.join(d, n)
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
            names.append(p)
with open(sys.argv[2], "wb") as f:
    f.write(b"".join(os.fsencode(p) + b"\0" for p in names))
print(len(names), total)
PY
)
xargs -0 -r cat < "$list" > /dev/null  # into the page cache

seconds() {  # runs "$@", prints its wall time in seconds
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A times
for _ in $(seq "$runs"); do
    times[cat]+="$(seconds sh -c "xargs -0 -r cat < '$list'")"$'\n'
    times[sha256sum]+="$(seconds sh -c "xargs -0 -r sha256sum < '$list'")"$'\n'
    times[scan1]+="$(seconds "$scan" "$tree" 1)"$'\n'
    times[scan]+="$(seconds "$scan" "$tree" 0)"$'\n'
done
echo "tree $tree: $files files, $bytes bytes, $(nproc) cores, page cache warm, median of $runs"
for k in cat sha256sum scan1 scan; do
    t=$(printf '%s' "${times[$k]}" | median)
    case $k in
        scan1) name="manifest, 1 hashing thread" ;;
        scan) name="manifest, default threads" ;;
        *) name=$k ;;
    esac
    printf '%-28s %7.2f s %7.0f MB/s\n' "$name" "$t" "$(echo "$bytes / $t / 1000000" | bc -l)"
done
