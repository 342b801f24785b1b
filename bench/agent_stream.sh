#!/bin/bash
# Streaming unpack and memory of si_btagent on a ~1 GiB image of real files (default: the tree
# bench/pack_bench.sh builds, else a private copy of /usr/share made once), served by si_btd on 127.0.0.1 and installed by one agent on 127.0.0.2.
# Prints, from one invocation:
#   - the download time and the time from the last piece to the last file on disk, and that
#     tail as a share of the download (goal <= 5 %);
#   - the agent's whole install time against `tar -x` of the same tarball from local disk;
#   - the agent's peak RSS without page cache (RssAnon; libtorrent's mapped file pages are
#     page cache) and VmHWM (goal: anonymous peak <= 64 MiB).
# With --rate R (e.g. 200mbit) the agent runs in a network namespace of its own behind a veth
# pair shaped to R both ways (tc htb), so that the network, not the unpack, is the bottleneck,
# as on a real cluster; without it, it runs on loopback at memory speed.
# usage: bench/agent_stream.sh [--tree DIR] [--compress y|zstd|n] [--rate R]
#        (root; after scripts/build.sh)
set -euo pipefail
tree=""
compress=y
rate=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tree) tree=$2; shift 2 ;;
    --compress) compress=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "agent_stream: unknown option $1" >&2; exit 2 ;;
  esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SI_BUILD_DIR:-$top/build}
if [ -z "$tree" ]; then
  # Never a live system directory: a package install while packing would change it.
  tree=/var/tmp/si_pack_bench/images/bench
  if [ ! -d "$tree" ]; then
    tree=/var/tmp/si_agent_bench/usr-share
    [ -d "$tree" ] || { mkdir -p "$tree.tmp" && cp -a /usr/share/. "$tree.tmp" && mv "$tree.tmp" "$tree"; }
  fi
fi
work=$(mktemp -d /var/tmp/si-agent-stream.XXXXXX)
btd=""
ns=si-agent-stream-$$
server_addr=127.0.0.1
agent_addr=127.0.0.2
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  [ -n "$btd" ] && kill "$btd" 2>/dev/null && wait "$btd" 2>/dev/null
  mountpoint -q "$work/images/bench" && umount "$work/images/bench"
  [ -n "${KEEP:-}" ] && cp "$work/agent.log" /tmp/agent_stream_agent.log; rm -rf "$work"
}
trap cleanup EXIT INT TERM
if [ -n "$rate" ]; then
  # 10.251.0.0/30 lives only inside this namespace pair and is gone with it.
  ip netns add "$ns"
  ip link add "sias$$" type veth peer name "siag$$"
  ip link set "siag$$" netns "$ns"
  ip addr add 10.251.0.1/30 dev "sias$$"; ip link set "sias$$" up
  ip -n "$ns" addr add 10.251.0.2/30 dev "siag$$"; ip -n "$ns" link set "siag$$" up
  ip -n "$ns" link set lo up
  tc qdisc add dev "sias$$" root handle 1: htb default 1
  tc class add dev "sias$$" parent 1: classid 1:1 htb rate "$rate"
  tc -n "$ns" qdisc add dev "siag$$" root handle 1: htb default 1
  tc -n "$ns" class add dev "siag$$" parent 1: classid 1:1 htb rate "$rate"
  server_addr=10.251.0.1
  agent_addr=10.251.0.2
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); seed_port=$(free_port)
mkdir -p "$work"/{images/bench,tarballs,torrents,etc,root,staging,tarx}
mount --bind -o ro "$tree" "$work/images/bench"
cat > "$work/etc/bt.conf" <<CONF
BT_TRACKER_PORT=$port
BT_SEEDER_PORT=$seed_port
BT_TRACKER_STATE=$work/dstate
BT_TRACKER_LOG=$work/btd.log
BT_INTERFACE=$server_addr
BT_COMPRESS=$compress
BT_UPDATE=y
BT_IMAGES=bench
CONF
printf 'DEFAULT_IMAGE_DIR = %s/images\nAUTOINSTALL_TARBALL_DIR = %s/tarballs\nAUTOINSTALL_TORRENT_DIR = %s/torrents\n' \
  "$work" "$work" "$work" > "$work/etc/si.conf"
echo "agent_stream: packing $(du -sh "$tree" 2>/dev/null | cut -f1) of $tree ..."
"$build/src/server/si_btd" --foreground --config "$work/etc/bt.conf" --systemimager-conf "$work/etc/si.conf" \
  --pidfile "$work/pid" 2>/dev/null &
btd=$!
for i in $(seq 1 1200); do
  ls "$work/torrents/"*.torrent >/dev/null 2>&1 && break
  if grep -q "error:" "$work/btd.log" 2>/dev/null; then
    echo "agent_stream: si_btd failed: $(grep error: "$work/btd.log")" >&2; exit 1
  fi
  sleep 0.5
done
sleep 1
torrent=$(ls "$work/torrents/"*.torrent | head -n 1)
tarball=$work/tarballs/$(basename "$torrent" .torrent)
size=$(stat -c %s "$tarball")
grep "packed image bench" "$work/btd.log" | sed 's/^[0-9-]* [0-9:.]* /agent_stream: /'

echo "BITTORRENT=y IMAGESERVER=$server_addr IMAGENAME=bench BITTORRENT_TRACKER_PORT=$port BITTORRENT_POLLING_TIME=1" > "$work/cmdline"
start=$(date +%s.%N)
in_ns=""
[ -n "$rate" ] && in_ns="ip netns exec $ns"
$in_ns "$build/src/agent/si_btagent" --cmdline "$work/cmdline" --root "$work/root" --staging "$work/staging" \
  --bind "$agent_addr" > "$work/agent.log" 2>&1 &
agent=$!
peak_anon=0; hwm=0
while kill -0 "$agent" 2>/dev/null; do
  anon=$(awk '/RssAnon/ {print $2}' /proc/$agent/status 2>/dev/null || echo 0)
  h=$(awk '/VmHWM/ {print $2}' /proc/$agent/status 2>/dev/null || echo 0)
  [ "${anon:-0}" -gt "$peak_anon" ] && peak_anon=$anon
  [ "${h:-0}" -gt "$hwm" ] && hwm=$h
  sleep 0.1
done
rc=0; wait "$agent" || rc=$?
end=$(date +%s.%N)
[ "$rc" -eq 0 ] || { echo "agent_stream: si_btagent failed ($rc):"; tail -5 "$work/agent.log"; exit 1; }
line=$(grep -E "entries unpacked; download" "$work/agent.log")
dl=$(echo "$line" | sed -E 's/.*download ([0-9.]+) s.*/\1/')
tail_s=$(echo "$line" | sed -E 's/.*last file ([0-9.]+) s after.*/\1/')

sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
cat "$tarball" > /dev/null  # the agent read its pieces from the swarm, not the disk: tar gets a warm tarball
case "$tarball" in *.gz) z=-z ;; *.zst) z=--zstd ;; *) z= ;; esac
t0=$(date +%s.%N)
tar $z -xpf "$tarball" -C "$work/tarx"
t1=$(date +%s.%N)
python3 - "$size" "$dl" "$tail_s" "$start" "$end" "$t0" "$t1" "$peak_anon" "$hwm" <<'PY'
import sys
size, dl, tail, start, end, t0, t1, anon, hwm = map(float, sys.argv[1:])
agent = end - start
tar = t1 - t0
print("agent_stream: tarball %.0f MiB; download %.2f s (%.0f MB/s)" % (size / 2**20, dl, size / dl / 1e6))
print("agent_stream: last piece -> last file on disk: %.2f s = %.1f %% of the download (goal <= 5 %%)" % (tail, 100 * tail / dl))
print("agent_stream: whole install (fetch, download, unpack, seed stop) %.2f s vs tar -x of the local tarball %.2f s: ratio %.2f" % (agent, tar, agent / tar))
print("agent_stream: agent peak RSS without page cache (RssAnon) %.1f MiB (goal <= 64); VmHWM incl. mapped file pages %.1f MiB" % (anon / 1024, hwm / 1024))
PY
