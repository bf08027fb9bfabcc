#!/bin/sh
# nbdscrub dump --json reads the superblock as dumpe2fs -h does: block and
# inode counts, free counts, block size and the feature list agree on a
# matrix of images made by mke2fs -d from a generated tree; bad input
# gets exit 8 and usage errors exit 16.
. "$(dirname "$0")/functions.sh"

requires mke2fs -V
requires dumpe2fs -V
nbdscrub=$top/scrub/nbdscrub
[ -x "$nbdscrub" ] || fail "$nbdscrub is not built"

# A tree to copy in: directories, small and larger files, a symlink.
tree=$tmp/tree
mkdir -p "$tree/a/b/c" "$tree/many"
i=0
while [ $i -lt 300 ]; do
    echo "file $i" >"$tree/many/f$i"
    i=$((i + 1))
done
head -c 3M /dev/urandom >"$tree/a/big.bin"
ln -s ../a/big.bin "$tree/a/b/link"

n=0
check ()
{
    n=$((n + 1))
    img=$tmp/img$n
    rm -f "$img"
    truncate -s "$1" "$img"
    shift
    mke2fs -q -F -d "$tree" "$@" "$img" 2>/dev/null ||
        fail "mke2fs $* failed"
    "$nbdscrub" dump --json "$img" >"$tmp/dump.json" ||
        fail "nbdscrub dump failed on mke2fs $*"
    dumpe2fs -h "$img" >"$tmp/dumpe2fs.txt" 2>/dev/null
    python3 - "$tmp/dump.json" "$tmp/dumpe2fs.txt" "$*" <<'PY'
import json, sys
sb = json.load(open(sys.argv[1]))["superblock"]
text = open(sys.argv[2]).read()
recipe = sys.argv[3]
d = {}
for line in text.splitlines():
    if ":" in line:
        k, v = line.split(":", 1)
        d[k.strip()] = v.strip()
pairs = [("blocks_count", "Block count"), ("inodes_count", "Inode count"),
         ("free_blocks_count", "Free blocks"),
         ("free_inodes_count", "Free inodes"),
         ("block_size", "Block size"), ("inode_size", "Inode size"),
         ("r_blocks_count", "Reserved block count"),
         ("first_data_block", "First block"),
         ("blocks_per_group", "Blocks per group"),
         ("inodes_per_group", "Inodes per group")]
for key, label in pairs:
    assert sb[key] == int(d[label]), \
        "%s: %s %s != dumpe2fs %s" % (recipe, key, sb[key], d[label])
assert " ".join(sb["features"]) == d["Filesystem features"], \
    "%s: features %s != %s" % (recipe, sb["features"],
                               d["Filesystem features"])
assert sb["uuid"] == d["Filesystem UUID"], recipe
assert sb["state"] == d["Filesystem state"], recipe
assert sb["checksum_ok"], recipe
PY
    echo "agrees with dumpe2fs: mke2fs $*"
}

check 256M -t ext4 -b 4096
check 256M -t ext4 -b 1024
check 256M -t ext4 -O ^metadata_csum,uninit_bg
check 256M -t ext4 -O ^64bit -I 128
check 256M -t ext3
check 256M -t ext2
check 512M -t ext4 -N 200000
check 256M -t ext4 -O meta_bg,^resize_inode
check 256M -t ext4 -O sparse_super2
check 256M -t ext4 -O metadata_csum_seed

# Operational errors: exit 8 with a message.
head -c 100 /dev/zero >"$tmp/small"
truncate -s 8M "$tmp/zeros"
head -c 1M "$tmp/img1" >"$tmp/truncated"   # a filesystem larger than its image
for bad in "$tmp/small" "$tmp/zeros" "$tmp/missing" "$tmp" "$tmp/truncated"; do
    set +e
    "$nbdscrub" dump "$bad" >/dev/null 2>"$tmp/err"
    rc=$?
    set -e
    [ $rc -eq 8 ] || fail "dump $bad: exit $rc, expected 8"
    grep -q "nbdscrub: " "$tmp/err" || fail "dump $bad: no message"
done

# Usage errors: exit 16.
for args in "dump" "dump a b" "dump --bogus x" "nosuchcommand"; do
    set +e
    # shellcheck disable=SC2086
    "$nbdscrub" $args >/dev/null 2>&1
    rc=$?
    set -e
    [ $rc -eq 16 ] || fail "nbdscrub $args: exit $rc, expected 16"
done
