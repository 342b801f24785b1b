#!/bin/sh
# si_btd's own memory while seeding 4 images to 50 peers (Debian's aria2c, each bound to its
# own 127.0.0.N). Prints si_btd's peak RSS, split into anonymous memory and file pages
# (tarball pages libtorrent maps count as file RSS: the kernel can drop them at will).
# usage: bench/seed_memory.sh [PEERS] [MIB_PER_IMAGE]   (run as root, after scripts/build.sh)
set -eu
peers=${1:-50}
mib=${2:-32}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SI_BUILD_DIR:-$top/build}
work=$(mktemp -d /tmp/si-seedmem.XXXXXX)
btd=""
cleanup() {
  pkill -f "aria2c.*$work" 2>/dev/null || true
  [ -n "$btd" ] && kill "$btd" 2>/dev/null && wait "$btd" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); seed_port=$(free_port)
mkdir -p "$work/images" "$work/tarballs" "$work/torrents" "$work/etc"
for i in 1 2 3 4; do
  mkdir -p "$work/images/img$i"
  head -c $((mib * 1024 * 1024)) /dev/urandom > "$work/images/img$i/blob"
done
cat > "$work/etc/bt.conf" <<CONF
BT_TRACKER_PORT=$port
BT_SEEDER_PORT=$seed_port
BT_TRACKER_STATE=$work/dstate
BT_TRACKER_LOG=$work/log
BT_INTERFACE=127.0.0.1
BT_COMPRESS=n
BT_UPDATE=y
BT_IMAGES=img1,img2,img3,img4
CONF
printf 'DEFAULT_IMAGE_DIR = %s/images\nAUTOINSTALL_TARBALL_DIR = %s/tarballs\nAUTOINSTALL_TORRENT_DIR = %s/torrents\n' \
  "$work" "$work" "$work" > "$work/etc/si.conf"
"$build/src/server/si_btd" --foreground --config "$work/etc/bt.conf" --systemimager-conf "$work/etc/si.conf" \
  --pidfile "$work/pid" 2>/dev/null &
btd=$!
for i in $(seq 1 300); do
  n=$(ls "$work/torrents" 2>/dev/null | wc -l)
  [ "$n" -ge 4 ] && break
  sleep 0.2
done
idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$btd/status)

echo "seed_memory: $peers peers downloading 4 images of $mib MiB each"
start=$(date +%s.%N)
i=0
while [ $i -lt "$peers" ]; do
  img=$((i % 4 + 1))
  d="$work/peer$i"; mkdir -p "$d"
  aria2c --interface=127.0.0.$((10 + i)) --dir="$d" --seed-time=0 --enable-dht=false \
    --bt-enable-lpd=false --enable-peer-exchange=false --file-allocation=none --quiet=true \
    --bt-stop-timeout=300 "$work/torrents/image-img$img.tar.torrent" &
  i=$((i + 1))
done
peak=0; peak_anon=0
while pgrep -f "aria2c.*$work" >/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$btd/status)
  anon=$(awk '/RssAnon/ {print $2}' /proc/$btd/status)
  [ "$rss" -gt "$peak" ] && peak=$rss
  [ "$anon" -gt "$peak_anon" ] && peak_anon=$anon
  sleep 0.2
done
end=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$btd/status)
ok=0
i=0
while [ $i -lt "$peers" ]; do
  img=$((i % 4 + 1))
  cmp -s "$work/peer$i/image-img$img.tar" "$work/tarballs/image-img$img.tar" && ok=$((ok + 1))
  i=$((i + 1))
done
printf 'seed_memory: %d/%d peers got identical bytes in %.1f s\n' "$ok" "$peers" "$(python3 -c "print($end-$start)")"
printf 'seed_memory: si_btd RSS idle %d MiB; peak while seeding %d MiB (anonymous %d MiB, the rest mapped tarball pages); VmHWM %d MiB\n' \
  $((idle_rss / 1024)) $((peak / 1024)) $((peak_anon / 1024)) $((hwm / 1024))
