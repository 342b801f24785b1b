#!/bin/sh
# Installs what is missing (scripts/setup-deps.sh test: the test tools), builds into ./build
# with the static agent (the initrd and the tests need it), checks formatting, and runs every test tier
# (unit, integration, e2e). Extra args go to ctest, e.g. `scripts/test.sh -L unit`.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SI_BUILD_DIR:-$top/build}
"$top/scripts/setup-deps.sh" test
# The simulator too (sim/, about 15 min the first time, then cached): its smoke test runs.
"$top/scripts/build.sh" -DSI_SIM=ON
"$top/scripts/check-format.sh"
cd "$build"
ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@"
