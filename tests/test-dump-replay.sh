#!/bin/sh
# nbdscrub dump reads through the replayed journal by default, as the
# kernel would see the filesystem after mount, and never writes: a
# committed transaction that is not yet home (debugfs jo/jw/jc leaves
# needs_recovery set) shows in dump, not in dump --no-replay, and matches
# a copy recovered by e2fsck -E journal_only.  Extent (ext4) and indirect
# (ext3) journals both.
. "$(dirname "$0")/functions.sh"

requires debugfs -V
requires e2fsck -V
nbdscrub=$top/scrub/nbdscrub

for kind in "ext4 -O ^metadata_csum" "ext3" "ext4 -b 4096 -O ^metadata_csum"; do
    img=$tmp/img
    rm -f "$img" "$tmp/copy"
    truncate -s 64M "$img"
    # shellcheck disable=SC2086
    mke2fs -q -F -t $kind -L before "$img" 2>/dev/null
    bs=$(dumpe2fs -h "$img" 2>/dev/null | awk '/^Block size:/ { print $3 }')
    # The block holding the superblock: 1 with 1 KiB blocks, else 0.
    if [ "$bs" -eq 1024 ]; then sbblock=1; off=0; else sbblock=0; off=1024; fi
    dd if="$img" of="$tmp/blk" bs="$bs" skip=$sbblock count=1 status=none
    python3 - "$tmp/blk" $off <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, "rb").read())
b[off + 0x78:off + 0x88] = b"after-replay".ljust(16, b"\0")
open(path, "wb").write(b)
PY
    printf 'jo\njw -b %s %s\njc\n' $sbblock "$tmp/blk" >"$tmp/cmds"
    debugfs -w -f "$tmp/cmds" "$img" >/dev/null 2>&1
    dumpe2fs -h "$img" 2>/dev/null | grep -q needs_recovery ||
        fail "$kind: debugfs did not leave a journal to recover"
    before=$(md5sum <"$img")

    "$nbdscrub" dump --json --journal "$img" >"$tmp/replayed.json"
    "$nbdscrub" dump --json --no-replay "$img" >"$tmp/raw.json"
    [ "$(md5sum <"$img")" = "$before" ] || fail "$kind: dump wrote to the image"

    cp "$img" "$tmp/copy"
    e2fsck -fy -E journal_only "$tmp/copy" >/dev/null 2>&1 || true
    dumpe2fs -h "$tmp/copy" >"$tmp/recovered.txt" 2>/dev/null

    python3 - "$tmp/replayed.json" "$tmp/raw.json" "$tmp/recovered.txt" \
        "$kind" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
raw = json.load(open(sys.argv[2]))
rec = dict(l.split(":", 1) for l in open(sys.argv[3]) if ":" in l)
kind = sys.argv[4]
assert rep["needs_recovery"] and rep["replayed"], kind
assert rep["superblock"]["volume_name"] == "after-replay", kind
assert raw["superblock"]["volume_name"] == "before", kind
assert not raw["replayed"], kind
assert rec["Filesystem volume name"].strip() == "after-replay", kind
assert rep["superblock"]["free_blocks_count"] == \
    int(rec["Free blocks"]), kind
j = rep["journal"]
assert j["transactions"] == 1 and j["blocks_replayed"] == 1, (kind, j)
PY
    echo "replayed like e2fsck -E journal_only: $kind"
done

# A journal feature recovery cannot read is named, exit 8, and nothing
# is guessed: set an unknown incompat bit (0x80) in the journal
# superblock of an image that needs recovery.
jblk=$(debugfs -R "bmap <8> 0" "$img" 2>/dev/null)
bs=$(dumpe2fs -h "$img" 2>/dev/null | awk '/^Block size:/ { print $3 }')
python3 - "$img" $((jblk * bs)) <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(off + 0x28)
    v = int.from_bytes(f.read(4), "big") | 0x80
    f.seek(off + 0x28)
    f.write(v.to_bytes(4, "big"))
PY
set +e
"$nbdscrub" dump "$img" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 8 ] || fail "unknown journal feature: exit $rc, expected 8"
grep -q 'unsupported feature(s): FEATURE_I7' "$tmp/err" ||
    fail "unknown journal feature not named: $(cat "$tmp/err")"
"$nbdscrub" dump --no-replay "$img" >/dev/null ||
    fail "--no-replay should still read the raw image"
echo "unknown journal feature named: OK"
