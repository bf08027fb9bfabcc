#!/bin/sh
# nbdscrub: make a small ext4 image with some content, for `make serve`.
#
#   scripts/make-demo-image.sh IMAGE [SIZE]      (SIZE defaults to 256M)
#
# The content is generated here (a tree of text files, a binary file, a
# symlink, a hard link) and copied in by mke2fs -d, so no root and no
# mount are needed.
set -eu

img=${1:?usage: make-demo-image.sh IMAGE [SIZE]}
size=${2:-256M}

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

mkdir -p "$tree/docs" "$tree/src/lib" "$tree/data"
for i in 1 2 3 4 5 6 7 8; do
    printf 'demo file %s, written by nbdscrub make-demo-image\n' "$i" \
        > "$tree/docs/note-$i.txt"
    seq 1 $((i * 500)) > "$tree/src/lib/numbers-$i.txt"
done
head -c 4M /dev/urandom > "$tree/data/random.bin"
ln -s ../docs/note-1.txt "$tree/src/readme-link"
ln "$tree/docs/note-2.txt" "$tree/data/note-2-hardlink.txt"

mkdir -p "$(dirname "$img")"
rm -f "$img"
truncate -s "$size" "$img"
mke2fs -q -F -t ext4 -L nbdscrub-demo -d "$tree" "$img"
echo "made $img ($size ext4 with demo content)"
