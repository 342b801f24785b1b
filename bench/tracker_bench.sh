#!/bin/bash
# Announce load against our tracker (inside si_btd) and Debian's opentracker, side by side:
# same load tool, same peers, same duration, in two rounds (keep-alive where the server offers
# it, then one connection per request for both). Prints requests/s, the ratio ours/opentracker,
# p50/p99 latency and how many swarm members each holds afterwards (via scrape).
#
#   bench/tracker_bench.sh [BUILD_DIR]      (default: build)
# Environment: CONNECTIONS (64), DURATION seconds (10), REQUESTS cap (2000000),
#              PEERS distinct peers (10000), TRACKER_LOAD (path of the load tool).
# Listens and connects on 127.0.0.1 only; every process it starts is killed on exit.
# Runs about 4 x DURATION seconds plus start-up.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=$(cd "${1:-$src/build}" && pwd)
si_btd="$build/src/server/si_btd"
load="${TRACKER_LOAD:-$build/bench/tracker_load}"
connections=${CONNECTIONS:-64}
duration=${DURATION:-10}
requests=${REQUESTS:-2000000}
peers=${PEERS:-10000}
opentracker=${OPENTRACKER:-/usr/bin/opentracker}

for f in "$si_btd" "$load" "$opentracker"; do
    [ -x "$f" ] || { echo "tracker_bench: $f not found (build si_btd and tracker_load)" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/tracker-bench.XXXXXX)
chmod 755 "$tmp"  # opentracker chroots here and drops to nobody
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        # Bounded: SIGKILL after 10 s.
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {  # URL PATTERN SECONDS
    local deadline=$((SECONDS + $3))
    while ((SECONDS < deadline)); do
        if curl -fsS --max-time 2 "$1" 2>/dev/null | grep -q "$2"; then
            return 0
        fi
        sleep 0.2
    done
    echo "tracker_bench: timed out waiting for $1" >&2
    return 1
}

# --- our tracker, inside si_btd, serving one tiny image ---
ours_port=$(free_port)
mkdir -p "$tmp/images/demo/etc" "$tmp/overrides" "$tmp/tarballs" "$tmp/torrents"
echo bench >"$tmp/images/demo/etc/hostname"
head -c 1048576 /dev/urandom >"$tmp/images/demo/etc/blob"
cat >"$tmp/bittorrent.conf" <<CONF
BT_TRACKER_PORT=$ours_port
BT_SEEDER_PORT=$(free_port)
BT_TRACKER_STATE=$tmp/dstate
BT_TRACKER_LOG=$tmp/tracker.log
BT_INTERFACE=127.0.0.1
BT_COMPRESS=n
BT_UPDATE=y
BT_IMAGES=demo
CONF
cat >"$tmp/systemimager.conf" <<CONF
DEFAULT_IMAGE_DIR = $tmp/images
DEFAULT_OVERRIDE_DIR = $tmp/overrides
AUTOINSTALL_TARBALL_DIR = $tmp/tarballs
AUTOINSTALL_TORRENT_DIR = $tmp/torrents
CONF
"$si_btd" --config "$tmp/bittorrent.conf" --systemimager-conf "$tmp/systemimager.conf" \
    --foreground --pidfile "$tmp/si_btd.pid" >"$tmp/si_btd.out" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$ours_port/torrents/" image-demo.tar.torrent 60
curl -fsS -o "$tmp/demo.torrent" "http://127.0.0.1:$ours_port/torrents/image-demo.tar.torrent"
hash=$(python3 - "$tmp/demo.torrent" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
def skip(i):  # index just past the bencoded value at i
    c = data[i:i + 1]
    if c == b"i":
        return data.index(b"e", i) + 1
    if c in (b"l", b"d"):
        i += 1
        while data[i:i + 1] != b"e":
            i = skip(i)
        return i + 1
    colon = data.index(b":", i)
    return colon + 1 + int(data[i:colon])
i = 1
while data[i:i + 1] != b"e":
    key_end = skip(i)
    key = data[data.index(b":", i) + 1:key_end]
    value_end = skip(key_end)
    if key == b"info":
        print(hashlib.sha1(data[key_end:value_end]).hexdigest())
    i = value_end
PY
)
[ ${#hash} -eq 40 ] || { echo "tracker_bench: could not read the info-hash" >&2; exit 1; }

# --- opentracker, whitelisting the same hash ---
ot_port=$(free_port)
echo "$hash" >"$tmp/whitelist"
chmod 644 "$tmp/whitelist"
(cd "$tmp" && exec "$opentracker" -i 127.0.0.1 -p "$ot_port" -P "$ot_port" -d "$tmp" \
    -w whitelist >"$tmp/opentracker.out" 2>&1) &
pids+=($!)
wait_http "http://127.0.0.1:$ot_port/scrape?info_hash=$(python3 -c "import sys; print(''.join('%'+sys.argv[1][i:i+2] for i in range(0,40,2)))" "$hash")" "files" 20

run() {  # NAME PORT RECONNECT
    echo "== $1 (127.0.0.1:$2): $connections connections, ${duration}s or $requests requests," \
        "$peers peers, reconnect=$3" >&2
    "$load" --host 127.0.0.1 --port "$2" --info-hash "$hash" --reconnect "$3" \
        --connections "$connections" --duration "$duration" --requests "$requests" \
        --peers "$peers" | tee "$tmp/$1.txt" >&2
    grep '^RESULT' "$tmp/$1.txt"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# Round 1: keep-alive where the server allows it (opentracker closes after every reply).
# Round 2: a new connection for every request, for both.
for reconnect in 0 1; do
    ours=$(run si_btd "$ours_port" $reconnect)
    theirs=$(run opentracker "$ot_port" $reconnect)
    mode=$([ $reconnect = 0 ] && echo "keep-alive where offered" || echo "one connection per request")
    printf '\n%s\n%-12s %12s %10s %10s %14s\n' "$mode:" tracker "requests/s" "p50 ms" "p99 ms" \
        "swarm members"
    for name in si_btd opentracker; do
        r=$([ $name = si_btd ] && echo "$ours" || echo "$theirs")
        printf '%-12s %12s %10s %10s %14s\n' "$name" "$(field "$r" rate)" "$(field "$r" p50_ms)" \
            "$(field "$r" p99_ms)" "$(field "$r" members)"
    done
    awk -v a="$(field "$ours" rate)" -v b="$(field "$theirs" rate)" \
        'BEGIN { if (b > 0) printf "ratio ours/opentracker: %.2f\n\n", a / b }'
done
