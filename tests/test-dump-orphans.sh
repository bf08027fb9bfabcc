#!/bin/sh
# nbdscrub dump lists orphan inodes from both places ext4 keeps them: the
# s_last_orphan chain through i_dtime (set here with debugfs), bounded so
# a cycle ends as an error, and the orphan file, whose blocks' magic and
# checksums are verified (a flipped byte is reported, not followed).
. "$(dirname "$0")/functions.sh"

requires debugfs -V
nbdscrub=$top/scrub/nbdscrub

orphans ()
{
    "$nbdscrub" dump --json "$1" | python3 -c '
import json, sys
o = json.load(sys.stdin)["orphans"]
print(" ".join(map(str, o["inodes"])) + "|" + "; ".join(o["errors"]))'
}

img=$tmp/img
mkdir -p "$tmp/tree"
for i in 1 2 3 4 5; do echo $i >"$tmp/tree/f$i"; done

# The classic chain, and a cycle.
truncate -s 64M "$img"
mke2fs -q -F -t ext4 -d "$tmp/tree" "$img"
[ "$(orphans "$img")" = "|" ] || fail "a fresh filesystem has orphans"
printf 'ssv last_orphan 12\nsif <12> dtime 13\nsif <13> dtime 14\n' \
    >"$tmp/cmds"
debugfs -w -f "$tmp/cmds" "$img" >/dev/null 2>&1
got=$(orphans "$img")
[ "$got" = "12 13 14|" ] || fail "chain: got '$got'"
printf 'sif <14> dtime 12\n' >"$tmp/cmds"
debugfs -w -f "$tmp/cmds" "$img" >/dev/null 2>&1
got=$(orphans "$img")
case $got in
*"loop or bound exceeded"*) ;;
*) fail "cycle: got '$got'" ;;
esac
printf 'sif <14> dtime 99999999\n' >"$tmp/cmds"
debugfs -w -f "$tmp/cmds" "$img" >/dev/null 2>&1
got=$(orphans "$img")
case $got in
"12 13 14|out of range") ;;
*) fail "out-of-range link: got '$got'" ;;
esac
echo "orphan chain, cycle and bad link: OK"

# The orphan file, with metadata_csum: clean, then one block damaged.
rm -f "$img"
truncate -s 64M "$img"
mke2fs -q -F -t ext4 -O orphan_file "$img"
[ "$(orphans "$img")" = "|" ] || fail "orphan file: fresh one not clean"
ofile=$(dumpe2fs -h "$img" 2>/dev/null | awk '/^Orphan file inode:/ { print $4 }')
[ -n "$ofile" ] || ofile=12
bs=$(dumpe2fs -h "$img" 2>/dev/null | awk '/^Block size:/ { print $3 }')
blk=$(debugfs -R "blocks <$ofile>" "$img" 2>/dev/null | awk '{ print $2 }')
[ -n "$blk" ] || fail "cannot find the orphan file's second block"
printf '\001' | dd of="$img" bs=1 seek=$((blk * bs + 40)) conv=notrunc \
    status=none
got=$(orphans "$img")
case $got in
"|orphan file block 1: bad checksum") ;;
*) fail "damaged orphan file block: got '$got'" ;;
esac
echo "orphan file checksums: OK"

# Without metadata_csum an entry can be written directly: it is listed.
rm -f "$img"
truncate -s 64M "$img"
mke2fs -q -F -t ext4 -O orphan_file,^metadata_csum "$img"
blk=$(debugfs -R "blocks <$ofile>" "$img" 2>/dev/null | awk '{ print $1 }')
printf '\016\000\000\000' | dd of="$img" bs=1 seek=$((blk * bs + 8)) \
    conv=notrunc status=none
got=$(orphans "$img")
[ "$got" = "14|" ] || fail "orphan file entry: got '$got'"
echo "orphan file entries: OK"
