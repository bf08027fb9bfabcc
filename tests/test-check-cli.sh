#!/bin/sh
# nbdscrub check, the command's contract (SPEC 9): usage errors exit 16;
# an image that cannot be checked exits 8 and says why (unsupported
# features by name); a clean image exits 0 with a "clean" summary and a
# JSON document whose result is "clean"; damage exits 4 with its code in
# both outputs; a journal needing recovery is replayed in memory and the
# image is left unchanged; the progress bar appears on a terminal only.
. "$(dirname "$0")/functions.sh"

requires mke2fs -V
requires debugfs -V
nbdscrub=$top/build/san/nbdscrub
[ -x "$nbdscrub" ] || nbdscrub=$top/scrub/nbdscrub
[ -x "$nbdscrub" ] || fail "nbdscrub is not built"

expect_rc ()
{
    want=$1
    shift
    rc=0
    "$nbdscrub" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" -eq "$want" ] || {
        cat "$tmp/out" "$tmp/err" >&2
        fail "nbdscrub $*: exit $rc, expected $want"
    }
}

mkdir -p "$tmp/tree/d"
for i in 1 2 3 4 5 6 7 8; do echo "file $i" >"$tmp/tree/d/f$i"; done
img=$tmp/img
truncate -s 32M "$img"
mke2fs -q -F -t ext4 -b 4096 -d "$tmp/tree" "$img"

# Usage.
expect_rc 16 check
expect_rc 16 check "$img" "$img"
expect_rc 16 check --bogus "$img"
expect_rc 0 check --help
grep -q "usage: nbdscrub check" "$tmp/out" || fail "--help prints no usage"

# Cannot check.
expect_rc 8 check "$tmp/missing"
grep -q "missing" "$tmp/err" || fail "no diagnostic for a missing image"
head -c 512 /dev/zero >"$tmp/small"
expect_rc 8 check "$tmp/small"
truncate -s 8M "$tmp/inline"
mke2fs -q -F -t ext4 -O inline_data "$tmp/inline"
expect_rc 8 check "$tmp/inline"
grep -q "inline_data" "$tmp/err" || fail "the unsupported feature is not named"

# Clean.
expect_rc 0 check "$img"
tail -1 "$tmp/out" | grep -q ": clean:" || fail "no clean summary"
expect_rc 0 check --json "$img"
python3 - "$tmp/out" <<'PY' || fail "bad JSON for a clean image"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "clean", d["result"]
assert d["summary"]["corrupt"] == 0 and d["summary"]["xcorrupt"] == 0
assert all(p["severity"] in ("preen", "warning") for p in d["problems"])
assert d["summary"]["inodes_used"] >= 11
assert "superblock" in d["stats"] and d["stats"]["gdt"]["runs"] >= 1
assert d["health"]["groups_sick"] == 0 and d["health"]["inodes_sick"] == 0
PY

# Damage: group 0's descriptor checksum.
cp "$img" "$tmp/bad"
gdt=$(dumpe2fs "$tmp/bad" 2>/dev/null |
      sed -n 's/.*Primary superblock at 0, Group descriptors at \([0-9]*\)-.*/\1/p')
[ -n "$gdt" ] || fail "cannot find the descriptor table"
python3 - "$tmp/bad" "$gdt" <<'PY'
import sys
path, blk = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    off = blk * 4096 + 0x1e          # bg_checksum of group 0
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 0xff]))
PY
# (e2fsck -n reports it but exits 0: unix.c marks the filesystem valid
# again after check_super_block; e2fsck -y would rewrite the checksum.)
e2fsck -fn "$tmp/bad" 2>&1 | grep -q "descriptor 0 checksum is" ||
    fail "the damage recipe does not damage (e2fsck sees nothing)"
expect_rc 4 check "$tmp/bad"
grep -q "^0x0201 GD_CSUM_MISMATCH group 0: " "$tmp/out" ||
    fail "no GD_CSUM_MISMATCH line: $(cat "$tmp/out")"
tail -1 "$tmp/out" | grep -q "PROBLEMS FOUND" || fail "no problem summary"
expect_rc 4 check --json "$tmp/bad"
python3 - "$tmp/out" <<'PY' || fail "bad JSON for a damaged image"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "corrupt"
p = [p for p in d["problems"] if p["name"] == "GD_CSUM_MISMATCH"]
assert p and p[0]["group"] == 0 and p[0]["type"] == "gdt", d["problems"]
assert p[0]["severity"] == "corrupt" and p[0]["code"] == "0x0201"
assert 0 in d["health"]["sick_groups"], d["health"]
PY

# A journal that needs recovery: replayed in memory, image unchanged.
cp "$img" "$tmp/jr"
dd if="$tmp/jr" of="$tmp/blk" bs=4096 skip=0 count=1 status=none
printf 'jo\njw -b 0 %s\njc\n' "$tmp/blk" >"$tmp/cmds"
debugfs -w -f "$tmp/cmds" "$tmp/jr" >/dev/null 2>&1
dumpe2fs -h "$tmp/jr" 2>/dev/null | grep -q needs_recovery ||
    fail "the recipe left no journal to recover"
sum=$(md5sum <"$tmp/jr")
expect_rc 0 check "$tmp/jr"
grep -q "journal replayed in memory" "$tmp/out" || fail "replay not said"
[ "$(md5sum <"$tmp/jr")" = "$sum" ] || fail "check wrote to the image"

# Progress: none when stderr is not a terminal, a bar when it is.
expect_rc 0 check --progress "$img"
[ ! -s "$tmp/err" ] || fail "progress written to a non-terminal"
script -qec "$nbdscrub check --progress $img" /dev/null >"$tmp/tty" 2>&1
grep -q "inodes" "$tmp/tty" || fail "no progress bar on a terminal"
script -qec "$nbdscrub check --no-progress $img" /dev/null >"$tmp/tty" 2>&1
! grep -q "%" "$tmp/tty" || fail "progress despite --no-progress"
echo "check CLI: all cases passed"
