#!/bin/sh
# Configures and builds the project into ./build (or $SI_BUILD_DIR). Extra args go to cmake.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SI_BUILD_DIR:-$top/build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
# The agent is built as the one static binary the initrd carries (the first configure compiles
# libtorrent from Debian's source package, ~15 min, then it is cached).
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSI_WERROR=$werror \
  -DSI_STATIC_AGENT=ON "$@" >/dev/null
ninja -C "$build" -j "$(nproc)"
