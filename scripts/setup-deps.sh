#!/bin/sh
# Installs, from Debian's archive, every package the project needs to build, test and demo.
# Idempotent: runs apt-get only when something is missing.
set -eu

PACKAGES="
  cmake ninja-build g++ pkg-config clang-format python3 file
  libtorrent-rasterbar-dev libboost-dev libboost-system-dev libssl-dev nlohmann-json3-dev libtinyxml2-dev
  libarchive-dev zlib1g-dev libzstd-dev libdeflate-dev libgtest-dev
  libacl1-dev liblzma-dev libbz2-dev dpkg-dev xz-utils
  rsync aria2 transmission-cli ctorrent qbittorrent-nox mktorrent opentracker pigz zstd attr acl libarchive-tools iproute2 procps time
  gnuplot-nox curl iputils-ping chromium
  busybox-static qemu-system-x86 qemu-utils dnsmasq-base pxelinux syslinux-common ipxe-qemu
  syslinux-efi ovmf fdisk dosfstools xfsprogs util-linux
  linux-image-amd64 e2fsprogs cpio kmod
  debhelper lintian mmdebstrap piuparts
  clang libclang-rt-14-dev strace
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
