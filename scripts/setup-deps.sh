#!/bin/sh
# Installs, from Debian's archive, the packages one purpose needs. The lists below are the one
# place that says which package is for what.
#
# usage: scripts/setup-deps.sh [build|demo|test]
#   build  compile the programs, dynamically linked against Debian's libtorrent (no tests)
#   demo   build, plus what ./scripts/demo.sh itself runs (scripts/demo.sh uses this set)
#   test   everything: demo, plus the unit test framework, the static agent's libtorrent source
#          build, the foreign BitTorrent clients, QEMU and the boot files for the e2e tests,
#          packaging tools, the page's browser (scripts/test.sh uses this set; the default)
# Idempotent: runs apt-get only when something is missing. Exit status: 0 installed or nothing
# missing; 2 an unknown set; apt-get's status when it fails.
set -eu

# Compilers and the -dev libraries of a dynamically linked build.
BUILD="
  cmake ninja-build g++ pkg-config python3
  libtorrent-rasterbar-dev libboost-dev libboost-system-dev libssl-dev nlohmann-json3-dev libtinyxml2-dev
  libarchive-dev zlib1g-dev libzstd-dev libdeflate-dev libacl1-dev liblzma-dev libbz2-dev
"
# What the demo runs besides the build: setfacl for the sample image's ACL.
DEMO="
  acl
"
# The test tiers: GoogleTest, the static libtorrent from Debian's source (dpkg-dev, xz-utils),
# the tools the integration tests drive, the e2e tests' QEMU nodes and boot files, packaging.
TEST="
  clang-format file libgtest-dev dpkg-dev xz-utils
  rsync aria2 transmission-cli ctorrent qbittorrent-nox mktorrent opentracker pigz zstd attr libarchive-tools iproute2 procps time
  gnuplot-nox curl iputils-ping chromium
  busybox-static qemu-system-x86 qemu-utils dnsmasq-base pxelinux syslinux-common ipxe-qemu
  syslinux-efi ovmf fdisk dosfstools xfsprogs util-linux
  linux-image-amd64 e2fsprogs cpio kmod
  debhelper lintian mmdebstrap piuparts
  clang libclang-rt-14-dev strace
"

set_name=${1:-test}
case "$set_name" in
  build) PACKAGES=$BUILD ;;
  demo) PACKAGES="$BUILD $DEMO" ;;
  test) PACKAGES="$BUILD $DEMO $TEST" ;;
  -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup-deps: unknown set '$set_name' (build, demo or test)" >&2; exit 2 ;;
esac

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ($set_name):$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
