#!/bin/sh
# nbdscrub: install the Debian 12 packages the build, the tests and the
# benchmarks need, and nothing else.  Only packages that are missing are
# installed, so a second run is quick and needs no network.
#
# Usage: scripts/install-deps.sh        (as root, or through sudo)
set -eu

# build: compiler, plugin API, JSON, TLS, unit tests, man pages
pkgs="gcc make pkg-config perl nbdkit nbdkit-plugin-dev libjansson-dev
libssl-dev libcunit1-dev libnbd-dev"
# tests and benchmarks: real clients and e2fsprogs as the oracle
pkgs="$pkgs libnbd-bin python3-libnbd qemu-utils fio e2fsprogs fuse3 util-linux
openssl strace time"
# fuzzing and sanitizer builds
pkgs="$pkgs clang libclang-rt-14-dev"

missing=
for p in $pkgs; do
    if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo "$0" "$@"
    fi
    echo "install-deps: these packages are missing:$missing" >&2
    echo "install-deps: run this script as root to install them" >&2
    exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
