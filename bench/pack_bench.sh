#!/bin/bash
# Packing benchmark: si_installbtimage against the classic two passes (tar, then mktorrent over
# the tarball), plain, gzip (pigz) and zstd, on one tree of real files, in one invocation.
#
#   bench/pack_bench.sh [--size MiB] [--work DIR] [--build DIR] [--runs N] [--cache cold|warm]
#
# --size  size of the test tree, built once from a copy of /usr (default 1024 MiB); an existing
#         tree of another size is rebuilt
# --work  scratch directory (default /var/tmp/si_pack_bench)
# --build build directory holding src/server/si_installbtimage (default: build-packer, build)
# --runs  repetitions of each contender; the best time counts (default 1)
# --cache cold: drop the page cache before each run (the default, when
#         /proc/sys/vm/drop_caches is writable); warm: read the tree once before all runs so
#         every contender reads it from the cache (the fallback when dropping is not possible).
#         The output says which was used. Our packer fsyncs its files; the baseline does not, so a second baseline figure
# adds `sync` of its output files to compare like with like.
set -euo pipefail

size_mib=1024
work=/var/tmp/si_pack_bench
build=""
runs=1
cache_mode=cold
here=$(cd "$(dirname "$0")/.." && pwd)
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size_mib=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --cache) cache_mode=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "pack_bench: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ -z "$build" ]; then
    for b in "$here/build-packer" "$here/build"; do
        [ -x "$b/src/server/si_installbtimage" ] && build=$b && break
    done
fi
packer=$build/src/server/si_installbtimage
for tool in "$packer" tar mktorrent pigz python3; do
    command -v "$tool" >/dev/null || { echo "pack_bench: $tool not found" >&2; exit 1; }
done

tree=$work/images/bench
mkdir -p "$work"
if [ "$(cat "$work/tree.size" 2>/dev/null)" != "$size_mib" ]; then
    echo "building a ${size_mib} MiB tree from /usr in $tree ..."
    rm -rf "$work/images"
    mkdir -p "$tree"
    python3 - "$tree" "$size_mib" <<'PY'
import hashlib, os, shutil, sys
dst, limit = sys.argv[1], int(sys.argv[2]) << 20
# A deterministic mix of everything under /usr (small and large files, text and binaries):
# every regular file and symlink, in the order of a hash of its path.
found = []
for dirpath, dirs, files in os.walk("/usr"):
    for f in files:
        found.append(os.path.join(dirpath, f))
found.sort(key=lambda p: hashlib.sha1(p.encode()).digest())
total = 0
for src in found:
    out = os.path.join(dst, os.path.relpath(src, "/usr"))
    try:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), out)
            continue
        st = os.lstat(src)
        if not os.path.isfile(src) or st.st_size > (64 << 20):
            continue
        shutil.copy2(src, out)
        total += st.st_size
    except OSError:
        continue
    if total >= limit:
        break
print(f"{total >> 20} MiB copied")
PY
    echo "$size_mib" > "$work/tree.size"
fi
files=$(find "$tree" -type f | wc -l)
bytes=$(du -sb --apparent-size "$tree" | cut -f1)

cat > "$work/bt.conf" <<CONF
BT_TRACKER_PORT=6969
BT_TRACKER_STATE=$work/dstate
BT_TRACKER_LOG=$work/tracker.log
BT_INTERFACE=127.0.0.1
CONF
cat > "$work/si.conf" <<CONF
DEFAULT_IMAGE_DIR = $work/images
DEFAULT_OVERRIDE_DIR = $work/overrides
AUTOINSTALL_TARBALL_DIR = $work/out/tarballs
AUTOINSTALL_TORRENT_DIR = $work/out/torrents
CONF
announce=http://127.0.0.1:6969/announce
mkdir -p "$work/out/tarballs" "$work/out/torrents" "$work/base"

if [ "$cache_mode" = cold ] && sync && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then
    cache="cold: page cache dropped before each run"
    prepare() { sync; echo 3 > /proc/sys/vm/drop_caches; }
else
    cache="warm: the tree was read once before all runs (--cache $cache_mode)"
    tar -C "$tree" -cf - . | cat > /dev/null
    prepare() { sync; }
fi

now() { date +%s.%N; }
# best_of CMD...: the best wall time of $runs runs, in seconds.
best_of() {
    local best="" t0 t1 t
    for _ in $(seq "$runs"); do
        rm -rf "$work/out/tarballs"/* "$work/out/torrents"/* "$work/base"/*
        prepare
        t0=$(now)
        "$@" >/dev/null
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

ours() {
    "$packer" --images bench --update --quiet --config "$work/bt.conf" \
        --systemimager-conf "$work/si.conf" "$@"
}
# The piece size ours chose, for mktorrent -l (log2).
ours
plen=$(python3 - "$work/out/torrents/image-bench.tar.torrent" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
m = re.search(rb"12:piece lengthi(\d+)e", data)
print(int(m.group(1)).bit_length() - 1)
PY
)
threads=$(nproc)
base_plain() {
    tar -C "$tree" -cSpf "$work/base/b.tar" . &&
        mktorrent -l "$plen" -t "$threads" -a "$announce" -o "$work/base/b.tar.torrent" \
            "$work/base/b.tar"
}
base_gzip() {
    tar -C "$tree" -cSpf - . | pigz -p "$threads" > "$work/base/b.tar.gz" &&
        mktorrent -l "$plen" -t "$threads" -a "$announce" -o "$work/base/b.tar.gz.torrent" \
            "$work/base/b.tar.gz"
}
synced() { "$@" && sync -f "$work"/base/b.tar*; }

echo "tree: $tree, $((bytes >> 20)) MiB in $files files; $(nproc) cores; cache $cache"
echo "piece size 2^$plen; best of $runs run(s); ours fsyncs its files"
a=$(best_of ours)
b=$(best_of base_plain)
b2=$(best_of synced base_plain)
c=$(best_of ours --compress)
gz_ours=$(stat -c %s "$work/out/tarballs/image-bench.tar.gz")
d=$(best_of base_gzip)
d2=$(best_of synced base_gzip)
gz_base=$(stat -c %s "$work/base/b.tar.gz")
e=$(best_of ours --compress=zstd)
zst_ours=$(stat -c %s "$work/out/tarballs/image-bench.tar.zst")
ratio() { echo "scale=2; $1 / $2" | bc -l; }
printf '\n%-36s %9s %12s\n' "contender" "seconds" "tarball MiB"
printf '%-36s %9.2f\n' "(a) ours, plain .tar" "$a"
printf '%-36s %9.2f\n' "(b) tar -cf + mktorrent" "$b"
printf '%-36s %9.2f\n' "(b') same + sync of its files" "$b2"
printf '%-36s %9.2f %12d\n' "(c) ours, gzip" "$c" $((gz_ours >> 20))
printf '%-36s %9.2f %12d\n' "(d) tar -c | pigz + mktorrent" "$d" $((gz_base >> 20))
printf '%-36s %9.2f\n' "(d') same + sync of its files" "$d2"
printf '%-36s %9.2f %12d\n' "(e) ours, zstd" "$e" $((zst_ours >> 20))
echo
echo "ratios (goal <= 0.70):"
echo "  plain: ours/baseline = $(ratio "$a" "$b")  (vs baseline+sync: $(ratio "$a" "$b2"))"
echo "  gzip:  ours/baseline = $(ratio "$c" "$d")  (vs baseline+sync: $(ratio "$c" "$d2"))"
echo "  zstd:  ours(zstd)/baseline(pigz) = $(ratio "$e" "$d")"
