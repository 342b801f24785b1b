#!/bin/sh
# The built-in demo: installs what is missing, builds, generates a sample image, starts
# si_btd on loopback, and installs the image on three "nodes" at once with si_btagent (each
# bound to its own 127.0.0.N, unpacking into its own root while it downloads, serving pieces to
# the others), then checks every root item by item against the image.
# Run as root (the sample image has device nodes, owners and capabilities).
#
# The demo installs only the demo's packages (scripts/setup-deps.sh demo) and builds only the
# programs it runs, dynamically linked against Debian's libtorrent, into ./build-demo (or
# $SI_DEMO_BUILD_DIR). Not ./build: the test command configures that one with the static agent
# and the tests, and one build directory shared by both would be reconfigured, and mostly
# rebuilt, each time the other command runs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SI_DEMO_BUILD_DIR:-$top/build-demo}
"$top/scripts/setup-deps.sh" demo
echo "demo: building si_btd, si_btagent and si_btstatus into $build ..."
mkdir -p "$build"
# Extra args go to cmake (e.g. -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); the log shows a failure.
# Optimised as the test build (-O2), without debug information: less to compile and link.
if ! { cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
         -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DSI_STATIC_AGENT=OFF -DSI_BUILD_TESTS=OFF \
         -DSI_SIM=OFF "$@" &&
       ninja -C "$build" -j "$(nproc)" si_btd si_btagent si_btstatus; } >"$build/demo-build.log" 2>&1; then
  tail -n 30 "$build/demo-build.log" >&2
  echo "demo: the build failed: see $build/demo-build.log" >&2
  exit 1
fi

work=$(mktemp -d /tmp/si-demo.XXXXXX)
btd_pid=""
cleanup() {
  [ -n "$btd_pid" ] && kill "$btd_pid" 2>/dev/null && wait "$btd_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
seed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
monitor_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/etc" "$work/images" "$work/overrides" "$work/tarballs" "$work/torrents"
echo "demo: generating a sample image in $work/images/demo ..."
PYTHONPATH="$top/tests/tools" python3 -c "
import sitest, shutil, os
root = sitest.make_image_tree('$work/images/demo', special=True, megabytes=48)
print('demo: sample image: %d items' % sum(len(f) + len(d) for _, d, f in os.walk(root)))
"
# Seeds normally: the demo's si_btd runs Debian's libtorrent, whose super-seeding, without our
# patch (cmake/libtorrent-patches), holds the three nodes at 0 % for about 10 s (30 s for the
# whole demo against 20 s). The packaged si_btd and the test build carry the patch.
cat > "$work/etc/bittorrent.conf" <<CONF
BT_TRACKER_PORT=$port
BT_SEEDER_PORT=$seed_port
BT_MONITOR_PORT=$monitor_port
BT_TRACKER_STATE=$work/dstate
BT_TRACKER_LOG=$work/bittorrent-tracker.log
BT_INTERFACE=127.0.0.1
BT_COMPRESS=y
BT_UPDATE=y
BT_IMAGES=demo
BT_OVERRIDES=
BT_SUPER_SEED=n
CONF
cat > "$work/etc/systemimager.conf" <<CONF
DEFAULT_IMAGE_DIR = $work/images
DEFAULT_OVERRIDE_DIR = $work/overrides
AUTOINSTALL_TARBALL_DIR = $work/tarballs
AUTOINSTALL_TORRENT_DIR = $work/torrents
CONF

echo "demo: starting si_btd (tracker http://127.0.0.1:$port/announce)"
"$build/src/server/si_btd" --foreground --config "$work/etc/bittorrent.conf" \
  --systemimager-conf "$work/etc/systemimager.conf" --pidfile "$work/si_btd.pid" &
btd_pid=$!
torrent=image-demo.tar.gz.torrent
i=0
until python3 -c "import urllib.request,sys; sys.exit(0 if b'$torrent' in urllib.request.urlopen('http://127.0.0.1:$port/torrents/', timeout=2).read() else 1)" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 600 ] || { echo "demo: si_btd did not serve the image in 60 s" >&2; exit 1; }
  kill -0 "$btd_pid" 2>/dev/null || { echo "demo: si_btd exited" >&2; exit 1; }
  sleep 0.1
done
echo "demo: installing the image on 3 nodes at once with si_btagent (127.0.0.2-4), each into its own root ..."
pids=""
for n in 2 3 4; do
  mkdir -p "$work/node$n/a" "$work/node$n/staging"
  echo "BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=demo BITTORRENT_TRACKER_PORT=$port BITTORRENT_POLLING_TIME=1 BITTORRENT_SEED_WAIT=y MONITOR_SERVER=127.0.0.1 MONITOR_PORT=$monitor_port" \
    > "$work/node$n/cmdline"
  ( "$build/src/agent/si_btagent" --cmdline "$work/node$n/cmdline" --root "$work/node$n/a" \
      --staging "$work/node$n/staging" --bind 127.0.0.$n 2>&1; echo "exit $?" ) | sed "s/^/  [node$n] /" &
  pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
for n in 2 3 4; do
  if python3 "$top/tests/tools/tree_compare.py" "$work/images/demo" "$work/node$n/a"; then
    echo "demo: node$n: root equals the image item by item (owners, modes, links, devices, xattrs, ACLs, sparse)"
  else
    echo "demo: FAILED: node$n's root differs from the image" >&2
    exit 1
  fi
done
# What the operator sees: the nodes' reports on si_btd's status page, here in the terminal.
echo "demo: the nodes as si_btstatus shows them (the page: http://127.0.0.1:$port/, also /status.json, /metrics):"
i=0
until "$build/src/server/si_btstatus" --config "$work/etc/bittorrent.conf" --once 2>/dev/null \
    | grep -q "3 of 3 nodes: done 3"; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "demo: FAILED: si_btd does not show 3 nodes done" >&2; exit 1; }
  sleep 0.1
done
"$build/src/server/si_btstatus" --config "$work/etc/bittorrent.conf" --once | sed 's/^/  /'
kill -TERM "$btd_pid"; rc=0; wait "$btd_pid" || rc=$?; btd_pid=""
echo "demo: si_btd stopped with exit code $rc; its log:"
sed 's/^/  /' "$work/bittorrent-tracker.log"
echo "demo: OK"
