#!/bin/sh
# Configures and builds the project into ./build (or $SI_BUILD_DIR). Extra args go to cmake.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SI_BUILD_DIR:-$top/build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSI_WERROR=$werror "$@" >/dev/null
ninja -C "$build" -j "$(nproc)"
