#!/bin/bash
# Streaming unpack (unpack_bench: PieceFeeder -> stream_unpack) against GNU tar on the same
# tarball, gzip and zstd, in one invocation: same page-cache state (the tarball is read once
# before timing), a fresh output directory for every run, runs interleaved (tar, ours, tar, ...)
# so load from other processes hits both alike. Prints median wall times and CPU times
# (user + sys, children included: tar's gzip/zstd), the ratios ours/tar (goal: <= 1.11, i.e.
# >= 0.9x tar's throughput) and unpack_bench's peak RSS. On a shared machine the CPU ratio is
# the steadier of the two.
#
#   bench/unpack_bench.sh [BUILD_DIR [SOURCE_TREE]]
# BUILD_DIR (default: build) holds bench/unpack_bench, or set UNPACK_BENCH to its path.
# SOURCE_TREE is packed as the image; by default a ~700 MiB selection of /usr.
# Environment: RUNS per tool and format (3), WORK_DIR (/var/tmp/si-unpack-bench: tarballs and
# outputs, on the disk under test; removed at exit unless KEEP=1).
# Run as root: both tools restore owners, device nodes and security.capability.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
tree=${2:-}
bench=${UNPACK_BENCH:-$build/bench/unpack_bench}
runs=${RUNS:-3}
work=${WORK_DIR:-/var/tmp/si-unpack-bench}

[ -x "$bench" ] || { echo "unpack_bench.sh: $bench not found (build the unpack_bench target)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "unpack_bench.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "unpack_bench.sh: run as root" >&2; exit 2; }

mkdir -p "$work"
cleanup() {
    rm -rf "$work/out"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# The same metadata both ways: numeric owners, xattrs (all namespaces) and ACLs.
tar_flags=(--numeric-owner --xattrs "--xattrs-include=*" --acls)
if [ -n "$tree" ]; then
    members=(-C "$tree" .)
else
    # Whole top-level directories of /usr, smallest first, up to ~700 MiB.
    members=(-C /)
    budget=$((700 * 1024))
    while read -r kib dir; do
        [ "$kib" -le "$budget" ] || continue
        members+=(".${dir}")
        budget=$((budget - kib))
    done < <(du -sk /usr/share/* /usr/include /usr/bin /usr/sbin /usr/libexec 2>/dev/null | sort -n)
fi

# Pack once per format (pigz/zstd on all cores: packing is not what is measured).
gz="$work/image.tar.gz"
zst="$work/image.tar.zst"
if [ ! -s "$gz" ]; then
    tar -c "${tar_flags[@]}" --sparse -I pigz -f "$gz" "${members[@]}" 2>/dev/null || true
    tar -c "${tar_flags[@]}" --sparse -I "zstd -T0" -f "$zst" "${members[@]}" 2>/dev/null || true
fi
for f in "$gz" "$zst"; do
    [ -s "$f" ] || { echo "unpack_bench.sh: packing $f failed" >&2; exit 1; }
done
raw=$(zstd -dc "$zst" | wc -c)
printf 'image: %s MiB of tar, %s entries; gzip %s MiB, zstd %s MiB\n' \
    $((raw >> 20)) "$(zstd -dc "$zst" | tar -t | wc -l)" \
    $(( $(stat -c %s "$gz") >> 20 )) $(( $(stat -c %s "$zst") >> 20 ))

# Runs one extraction into a fresh directory; prints "seconds maxrss_kib cpu_seconds".
timed() {
    rm -rf "$work/out"
    mkdir "$work/out"
    sync
    /usr/bin/time -f '%e %M %U %S' -o "$work/time.txt" "$@" >/dev/null
    awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$work/time.txt"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

cat "$gz" "$zst" >/dev/null  # warm the page cache once for both tools
for format in gzip zstd; do
    if [ "$format" = gzip ]; then
        tarball=$gz
        tar_cmd=(tar -x "${tar_flags[@]}" -p -z -f "$tarball" -C "$work/out")
    else
        tarball=$zst
        tar_cmd=(tar -x "${tar_flags[@]}" -p --zstd -f "$tarball" -C "$work/out")
    fi
    tar_times=() tar_cpus=() our_times=() our_cpus=() our_rss=()
    for _ in $(seq "$runs"); do
        read -r t _ c < <(timed "${tar_cmd[@]}")
        tar_times+=("$t") tar_cpus+=("$c")
        read -r t rss c < <(timed "$bench" "$tarball" "$work/out")
        our_times+=("$t") our_cpus+=("$c") our_rss+=("$rss")
    done
    tar_med=$(printf '%s\n' "${tar_times[@]}" | median)
    our_med=$(printf '%s\n' "${our_times[@]}" | median)
    tar_cpu=$(printf '%s\n' "${tar_cpus[@]}" | median)
    our_cpu=$(printf '%s\n' "${our_cpus[@]}" | median)
    rss_max=$(printf '%s\n' "${our_rss[@]}" | sort -n | tail -1)
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
    mibs() { awk -v r="$raw" -v t="$1" 'BEGIN {printf "%.0f", r / t / 1048576}'; }
    echo "$format:"
    echo "  wall  tar $tar_med s [${tar_times[*]}]  ours $our_med s [${our_times[*]}]" \
         " ratio ours/tar $(ratio "$our_med" "$tar_med")  ($(mibs "$our_med") vs $(mibs "$tar_med") MiB/s of tar)"
    echo "  cpu   tar $tar_cpu s [${tar_cpus[*]}]  ours $our_cpu s [${our_cpus[*]}]" \
         " ratio ours/tar $(ratio "$our_cpu" "$tar_cpu")"
    echo "  unpack_bench peak RSS $((rss_max / 1024)) MiB"
done
