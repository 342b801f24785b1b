#!/bin/sh
# Builds libtorrent-rasterbar 2.0.8 as a static library from Debian's own source package, once,
# and caches the install; prints the install prefix as the last line of stdout.
#
# Why: si_btagent is one statically linked binary and Debian ships no libtorrent-rasterbar.a.
# Every option that changes libtorrent's public compile definitions stays at Debian's default, so
# the static library has the same ABI as the packaged shared one (see docs/building-static-agent.md).
#
# Idempotent and cheap when cached: the prefix is keyed by the Debian source version, the compiler
# and Boost versions and a hash of the configure flags; a complete install holds a marker written
# last, and then the script exits at once. The build runs in a temp dir, installs to PREFIX.tmp
# and renames it, under a lock, so an interrupted or concurrent run never leaves half a prefix.
#
# Environment:
#   SI_STATIC_CACHE          cache root (default /var/cache/systemimager-bittorrent)
#   SI_LT_DEB_VERSION        Debian source version to build (default 2.0.8-1, bookworm's)
#   SI_STATIC_JOBS           ninja -j (default 2: the build machine is shared)
#   SI_STATIC_SKIP_PACKAGES  set to 1 to skip the apt check (packages already installed)
#   SI_LT_SIMULATOR          set to 1 to build instead the variant that runs on libtorrent's own
#                            simulator (TORRENT_BUILD_SIMULATOR, for sim/): the same source, patches
#                            and options, plus libsimulator and the simulated disk (test_disk) from
#                            the source's simulation/ (with cmake/sim-support/patches), installed
#                            with an si-sim.cmake that defines
#                            imported targets; cached apart (libtorrent-2.0.8-sim-<key>)
#   SI_LT_CACHED_ONLY        set to 1 to build nothing: print the prefix if it is cached, else
#                            exit 3 (CMake's SI_SIM=AUTO: the simulator only where it is cached)
set -eu

LT_UPSTREAM=2.0.8
LT_DEB_VERSION=${SI_LT_DEB_VERSION:-2.0.8-1}
CACHE=${SI_STATIC_CACHE:-/var/cache/systemimager-bittorrent}
JOBS=${SI_STATIC_JOBS:-2}
SIM=${SI_LT_SIMULATOR:-0}

log() { echo "build-static-libtorrent: $*" >&2; }
die() { log "error: $*"; exit 1; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# To build libtorrent: dpkg-dev (dpkg-source), xz-utils (the orig tarball), cmake, ninja, g++,
# Boost headers, OpenSSL. Deliberately not `apt-get build-dep`: that pulls debhelper, Python and
# Boost.Python for the bindings we do not build.
BUILD_PACKAGES="dpkg-dev xz-utils patch cmake ninja-build g++ libboost-dev libssl-dev"
# To link the static agent (cmake/StaticAgent.cmake): the -dev packages holding the .a files that
# libarchive's tar reader, gzip/zstd filters and disk writer (xattrs, ACLs) really pull in.
LINK_PACKAGES="libarchive-dev zlib1g-dev libzstd-dev libacl1-dev file"

# ---- packages (a dpkg-query per package; apt only when something is missing) -----------------
ensure_packages() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  log "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
if [ "${SI_STATIC_SKIP_PACKAGES:-0}" != 1 ] && [ "${SI_LT_CACHED_ONLY:-0}" != 1 ]; then
  # shellcheck disable=SC2086
  ensure_packages $BUILD_PACKAGES $LINK_PACKAGES
fi

# ---- configure flags and the cache key ----------------------------------------------------------
# Release at -O2 (not CMake's -O3: smaller, and what Debian ships), no debug info (faster build;
# libtorrent is not what we debug), sections per function/datum so the agent's --gc-sections drops
# what it never calls, Debian's hardening. Position independent (PIC) in the static variant: si_btd
# links it into a PIE executable, as Debian's hardening asks of a root daemon (lintian
# hardening-no-pie); the fully static agent takes the same objects (x86-64's PIC costs little).
# The simulator variant stays position dependent (PIC_FLAG below), so its cache key is unchanged.
# -fvisibility=hidden is not used: it changes nothing in a static executable.
PIC_FLAG=ON
[ "$SIM" = 1 ] && PIC_FLAG=OFF
CXXFLAGS_LT="-ffunction-sections -fdata-sections -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wno-deprecated-declarations"
CMAKE_FLAGS="
-DCMAKE_BUILD_TYPE=Release
-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG
-DBUILD_SHARED_LIBS=OFF
-DCMAKE_POSITION_INDEPENDENT_CODE=$PIC_FLAG
-DCMAKE_INSTALL_LIBDIR=lib
-Dbuild_tests=OFF
-Dbuild_examples=OFF
-Dbuild_tools=OFF
-Dpython-bindings=OFF
-Dstatic_runtime=OFF
-Ddeprecated-functions=ON
-Ddht=ON
-Dencryption=ON
-Dlogging=ON
-Di2p=ON
-Dextensions=ON
-Dmutable-torrents=ON
-Dstreaming=ON
-Dgnutls=OFF
"
cxx_version=$(g++ -dumpfullversion 2>/dev/null || echo unknown)
boost_version=$(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp 2>/dev/null || true)
# Our patches to libtorrent (cmake/libtorrent-patches/*.patch, applied in name order; each says
# why in its header). They change only the image server's super-seeding, not the ABI.
PATCH_DIR=$(cd "$(dirname "$0")" && pwd)/libtorrent-patches
patches_sum=$(cat "$PATCH_DIR"/*.patch 2>/dev/null | sha256sum | cut -c1-16)
key_input=$(printf '%s\n' "$LT_DEB_VERSION" "$cxx_version" "$boost_version" "$CXXFLAGS_LT" \
  "$CMAKE_FLAGS" "$patches_sum")
variant=static
# The simulator variant (sim/): the key also covers the CMake project that builds libsimulator and
# the simulated disk; the static build's key is unchanged by it.
# libsimulator simulates TCP, not TLS: like libtorrent's own simulation/Jamfile (crypto=built-in),
# the simulator build has no OpenSSL (no SSL torrents, which we never use; SHA-1 built in).
SIM_SUPPORT=$(cd "$(dirname "$0")" && pwd)/sim-support
SIM_CMAKE_FLAGS="
-DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON
-DCMAKE_DISABLE_FIND_PACKAGE_GnuTLS=ON
-DCMAKE_DISABLE_FIND_PACKAGE_LibGcrypt=ON
"
if [ "$SIM" = 1 ]; then
  variant=sim
  CMAKE_FLAGS="$CMAKE_FLAGS$SIM_CMAKE_FLAGS"
  key_input=$(printf '%s\n' "$key_input" simulator "$SIM_CMAKE_FLAGS" \
    "$(cat "$SIM_SUPPORT/CMakeLists.txt" "$SIM_SUPPORT"/patches/*.patch | sha256sum)")
fi
key=$(printf '%s\n' "$key_input" | sha256sum | cut -c1-12)
PREFIX="$CACHE/libtorrent-$LT_UPSTREAM-$variant-$key"
MARKER="$PREFIX/.complete"

if [ -f "$MARKER" ]; then
  echo "$PREFIX"
  exit 0
fi
if [ "${SI_LT_CACHED_ONLY:-0}" = 1 ]; then
  log "not cached: $PREFIX"
  exit 3
fi

# ---- build (under a lock: two configures at once build once) -----------------------------------
mkdir -p "$CACHE" 2>/dev/null || $SUDO mkdir -p "$CACHE"
[ -w "$CACHE" ] || die "cache $CACHE is not writable (set SI_STATIC_CACHE)"
exec 9>"$CACHE/.lock"
flock 9
if [ -f "$MARKER" ]; then # another run finished it while we waited
  echo "$PREFIX"
  exit 0
fi

# deb-src for bookworm, mirroring /etc/apt/sources.list.d/debian.sources.
SRC_LIST=/etc/apt/sources.list.d/debian-src.sources
has_source() {
  apt-cache showsrc libtorrent-rasterbar 2>/dev/null | grep -qx "Version: $LT_DEB_VERSION"
}
if ! has_source; then
  if [ ! -f "$SRC_LIST" ]; then
    log "adding $SRC_LIST"
    printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
      "Suites: bookworm bookworm-updates" "Components: main" \
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" | $SUDO tee "$SRC_LIST" >/dev/null
  fi
  $SUDO apt-get update -qq
  has_source ||
    die "source package libtorrent-rasterbar $LT_DEB_VERSION is not in the archive (set SI_LT_DEB_VERSION)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/si-libtorrent.XXXXXX")
trap 'rm -rf "$work" "$PREFIX.tmp"' EXIT
trap 'exit 130' INT TERM # through the EXIT trap
mkdir "$work/dl"
# apt downloads as the _apt user when it can write there (otherwise it warns and runs as root).
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
  chmod 755 "$work" && chown _apt "$work/dl"
fi
start=$(date +%s)

log "fetching source libtorrent-rasterbar $LT_DEB_VERSION"
# Download only (apt checks the .dsc against the signed Sources index), then unpack with
# dpkg-source, which checks the tarballs against the .dsc.
# dpkg-source's gpgv says "No public key" without debian-keyring installed; the check that counts
# is apt's, so its output goes to a log shown only on failure.
(cd "$work/dl" && apt-get source -qq --download-only "libtorrent-rasterbar=$LT_DEB_VERSION" >/dev/null) ||
  die "apt-get source libtorrent-rasterbar=$LT_DEB_VERSION failed"
(cd "$work/dl" && dpkg-source -x "libtorrent-rasterbar_$LT_DEB_VERSION.dsc" "$work/src") \
  >"$work/unpack.log" 2>&1 || { cat "$work/unpack.log" >&2; die "dpkg-source -x failed"; }
for p in "$PATCH_DIR"/*.patch; do
  [ -f "$p" ] || continue
  log "applying $(basename "$p")"
  patch -d "$work/src" -p1 --forward --batch <"$p" >"$work/patch.log" 2>&1 ||
    { cat "$work/patch.log" >&2; die "patch $(basename "$p") does not apply"; }
done

# The simulator's own patches (cmake/sim-support/patches: libsimulator only), for the sim variant.
if [ "$SIM" = 1 ]; then
  for p in "$SIM_SUPPORT"/patches/*.patch; do
    [ -f "$p" ] || continue
    log "applying $(basename "$p")"
    patch -d "$work/src" -p1 --forward --batch <"$p" >"$work/patch.log" 2>&1 ||
      { cat "$work/patch.log" >&2; die "patch $(basename "$p") does not apply"; }
  done
fi

log "configuring (key $key)"
# The flag list is one per line; each line is one argument (CMAKE_CXX_FLAGS_RELEASE has a space).
set --
while IFS= read -r flag; do
  [ -n "$flag" ] && set -- "$@" "$flag"
done <<EOF
$CMAKE_FLAGS
EOF
sim_flags=""
# Every socket, timer, clock and address of libtorrent becomes libsimulator's (sim::asio).
[ "$SIM" = 1 ] && sim_flags="-DTORRENT_BUILD_SIMULATOR -I$work/src/simulation/libsimulator/include"
cmake -S "$work/src" -B "$work/build" -G Ninja "$@" \
  -DCMAKE_CXX_FLAGS="$CXXFLAGS_LT $sim_flags -ffile-prefix-map=$work/src=." \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" >"$work/configure.log" 2>&1 ||
  { tail -n 30 "$work/configure.log" >&2; die "configure failed"; }

log "building with -j$JOBS under nice (cold: about 14 min on 2 shared cores)"
nice -n 10 ninja -C "$work/build" -j "$JOBS" >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log" >&2; die "build failed"; }

# Install into PREFIX.tmp (DESTDIR keeps the configured PREFIX inside the CMake config files).
rm -rf "$PREFIX.tmp"
DESTDIR="$work/destdir" ninja -C "$work/build" install >"$work/install.log" 2>&1 ||
  { tail -n 20 "$work/install.log" >&2; die "install failed"; }
mv "$work/destdir$PREFIX" "$PREFIX.tmp"
[ -f "$PREFIX.tmp/lib/libtorrent-rasterbar.a" ] || die "install has no lib/libtorrent-rasterbar.a"
cp "$work/configure.log" "$PREFIX.tmp/configure.log"
if [ "$SIM" = 1 ]; then
  log "building libsimulator and the simulated disk"
  cmake -S "$SIM_SUPPORT" -B "$work/sim-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_CXX_FLAGS="$CXXFLAGS_LT" \
    -DLT_SRC="$work/src" -DCMAKE_INSTALL_PREFIX="$PREFIX.tmp" \
    -DLibtorrentRasterbar_DIR="$PREFIX.tmp/lib/cmake/LibtorrentRasterbar" >"$work/sim.log" 2>&1 &&
    nice -n 10 ninja -C "$work/sim-build" -j "$JOBS" install >>"$work/sim.log" 2>&1 ||
    { tail -n 40 "$work/sim.log" >&2; die "simulator build failed"; }
fi
end=$(date +%s)
{
  echo "source=libtorrent-rasterbar $LT_DEB_VERSION"
  echo "key=$key"
  echo "patches=$(cd "$PATCH_DIR" 2>/dev/null && ls -- *.patch 2>/dev/null | tr '\n' ' ')"
  echo "cxx=$cxx_version boost=$boost_version"
  echo "build_seconds=$((end - start))"
} >"$PREFIX.tmp/.complete"
rm -rf "$PREFIX"
mv "$PREFIX.tmp" "$PREFIX"
log "built in $((end - start)) s"
echo "$PREFIX"
