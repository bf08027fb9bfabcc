#!/bin/sh
# nbdscrub: serve an image with the plugin from the build tree (make serve).
#
#   scripts/serve.sh [IMAGE] [PORT]
#
# Without IMAGE a demo ext4 image is made (demo/demo.img, once).  Without
# PORT the export is on a Unix socket, ./nbdscrub.sock; with PORT it is on
# TCP 127.0.0.1:PORT.  nbdkit runs in the foreground: Ctrl-C stops it.
# Scrubbing is on, every SCRUB_INTERVAL (default 10m).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
plugin="$top/plugin/nbdkit-scrub-plugin.so"
image=${1:-}
port=${2:-}

if [ -z "$image" ]; then
    image="$top/demo/demo.img"
    [ -f "$image" ] || "$top/scripts/make-demo-image.sh" "$image"
fi
[ -f "$image" ] || [ -b "$image" ] || {
    echo "serve: $image: no such image" >&2
    exit 1
}

if [ -n "$port" ]; then
    listen="-i 127.0.0.1 -p $port"
    uri="nbd://127.0.0.1:$port"
    nbd_client="nbd-client 127.0.0.1 $port /dev/nbd0"
    fuse="nbdfuse /mnt/nbd $uri &"
else
    sock="$top/nbdscrub.sock"
    listen="-U $sock"
    uri="nbd+unix:///?socket=$sock"
    nbd_client="nbd-client -unix $sock /dev/nbd0"
    fuse="nbdfuse /mnt/nbd --unix $sock &"
fi

cat <<EOT
nbdscrub: serving $image
  nbdinfo '$uri'
  qemu-img info '$uri'
  qemu-img convert -O qcow2 '$uri' copy.qcow2
  $fuse   then: mount -o loop /mnt/nbd/nbd /mnt/fs
  $nbd_client   (where the nbd module exists)
The filesystem is scrubbed in the background (a pass a second after the
start, then every ${SCRUB_INTERVAL:-10m}); what it finds is in
  $image.nbdscrub/status.json
and problems are logged here.
Stop with Ctrl-C.
EOT

# shellcheck disable=SC2086
exec nbdkit -f $listen "$plugin" "$image" scrub=on \
    scrub-interval="${SCRUB_INTERVAL:-10m}"
