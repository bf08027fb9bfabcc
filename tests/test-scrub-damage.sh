#!/bin/sh
# Damage made behind the server's back is found by the next pass: the
# plugin serves a small ext4 image with scrub-interval=0s (passes back to
# back) and no client; once a pass has found it clean, another process
# changes bytes in the image file, one damage at a time:
#   - group 3's descriptor checksum        GD_CSUM_MISMATCH        group 3
#   - inode 12's (big) checksum            INODE_CSUM              inode 12
#   - the block bitmap bit of big's first
#     block cleared                        BBITMAP_USED_MARKED_FREE group 0
#   - the rec_len of the entry "leaf" in
#     directory sub                        DIR_REC_LEN_SMALL       inode 33
# After each, a pass that started after the damage must end "corrupt",
# its "problems" must be exactly what nbdscrub check --json reports for a
# copy of the damaged image (code, name, severity, object), with the
# name above among them; problems_total grows by the CORRUPT and XCORRUPT
# findings of every pass; each finding is logged once by nbdkit_error
# ("scrub: pass N: 0xCODE NAME SEVERITY OBJECT: ...", the form of the
# manual's SCRUBBING section), not once per pass, while
# several passes see it.  With the original bytes put back, a pass that
# started after that is "clean" with no problems.
. "$(dirname "$0")/functions.sh"

requires mke2fs -V
requires debugfs -V
requires dumpe2fs -V
requires python3 --version

nbdscrub=$top/scrub/nbdscrub
[ -x "$nbdscrub" ] || fail "$nbdscrub is not built: run make"

t0=$(date +%s)
img=$tmp/disk.img
status=$img.nbdscrub/status.json
log=$tmp/nbdkit.log

# The image: a few files, a subdirectory, one file of 300 blocks.
mkdir -p "$tmp/src/sub"
i=1
while [ $i -le 20 ]; do echo "file $i" >"$tmp/src/f$i"; i=$((i + 1)); done
echo leaf >"$tmp/src/sub/leaf"
python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes(range(256)) * 1200)' \
    "$tmp/src/big"
make_image "$img" 64M -b 1024 -d "$tmp/src"
e2fsck -fn "$img" >/dev/null 2>&1 || fail "mke2fs -d made an image e2fsck rejects"

# Where the damages go, from the image's own description.
blocksize=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Block size:/ { print $2 + 0 }')
first=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^First block:/ { print $2 + 0 }')
per_group=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Blocks per group:/ { print $2 + 0 }')
descsize=$(dumpe2fs -h "$img" 2>/dev/null |
           awk -F: '/^Group descriptor size:/ { print $2 + 0 }')
[ -n "$descsize" ] || descsize=32
# debugfs: "Inode 12 is part of block group 0 / located at block 277,
# offset 0x0300".
inode_at ()
{
    set -- $(debugfs -R "imap $1" "$img" 2>/dev/null |
             awk '/located at block/ { sub(",", "", $4); print $4, $6 }')
    [ $# -eq 2 ] || fail "debugfs imap: no location"
    echo $(( $1 * blocksize + $2 ))
}
big_ino=$(debugfs -R 'stat /big' "$img" 2>/dev/null | awk '/^Inode:/ { print $2 }')
[ "$big_ino" = 12 ] || fail "big is inode $big_ino, not 12"
big_block=$(debugfs -R 'bmap /big 0' "$img" 2>/dev/null)
big_group=$(( (big_block - first) / per_group ))
bitmap=$(dumpe2fs "$img" 2>/dev/null |
         awk -v g="$big_group" '$1 == "Group" && $2 == g ":" { on = 1 }
             on && /Block bitmap at/ { print $4; exit }')
bit=$(( (big_block - first) % per_group ))
sub_ino=$(debugfs -R 'stat /sub' "$img" 2>/dev/null | awk '/^Inode:/ { print $2 }')
sub_block=$(debugfs -R 'bmap /sub 0' "$img" 2>/dev/null)
for v in blocksize first per_group big_block bitmap sub_ino sub_block; do
    eval "[ -n \"\$$v\" ]" || fail "could not find $v in the image"
done

# One damage a line: NAME OFFSET, then what nbdscrub must find (among
# its findings): CODE CODE-NAME OBJECT.  The codes were read off
# nbdscrub check --json on damaged copies; the test also asks it again.
# "leaf" is the third entry of sub's block ("." and ".." take 12 bytes
# each); its rec_len (offset 4) becomes 5, below the 12 an entry needs.
cat >"$tmp/damages" <<EOF
gdt-csum $(( (first + 1) * blocksize + 3 * descsize + 0x1e )) 0x0201 GD_CSUM_MISMATCH group 3
inode-csum $(( $(inode_at '<12>') + 0x7c )) 0x0501 INODE_CSUM inode 12
bitmap-bit $(( bitmap * blocksize + bit / 8 )) 0x0304 BBITMAP_USED_MARKED_FREE group $big_group
dir-rec-len $(( sub_block * blocksize + 24 + 4 )) 0x0703 DIR_REC_LEN_SMALL inode $sub_ino
EOF

# damage FILE NAME OFFSET: write the damage, print the original byte(s)
# in hex.  The write is fsync'd: it is on disk before the next pass is
# waited for, whatever way the plugin reads its image.
damage ()
{
    python3 - "$@" <<'PY'
import os, sys
path, what, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "r+b") as f:
    f.seek(off)
    old = f.read(2)
    if what == "bitmap-bit":           # clear the bit: "in use" -> "free"
        bit = int(os.environ["bit"]) % 8
        assert old[0] & (1 << bit), "the bit of an in-use block is clear"
        new = bytes([old[0] & ~(1 << bit)])
    elif what == "dir-rec-len":        # le16 rec_len = 5
        new = b"\x05\x00"
    else:                              # a checksum byte, inverted
        new = bytes([old[0] ^ 0xff])
    f.seek(off)
    f.write(new)
    f.flush()
    os.fsync(f.fileno())
print(old[:len(new)].hex())
PY
}

# restore FILE OFFSET HEXBYTES
restore ()
{
    python3 - "$@" <<'PY'
import os, sys
path, off, old = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
with open(path, "r+b") as f:
    f.seek(off)
    f.write(old)
    f.flush()
    os.fsync(f.fileno())
PY
}

export bit

# --- the server, no client ----------------------------------------------
start_nbdkit_fg "$log" "$tmp/nbdkit.pid" -U "$tmp/sock" \
    "$plugin" "$img" scrub-interval=0s

python3 -m scrubstatus wait "$status" 1 30 "$tmp/s.json" ||
    fail "no pass finished within 30 s of the start"
python3 - "$tmp/s.json" "$img" <<'PY' || fail "the first pass is not clean"
import json, os, sys
doc = json.load(open(sys.argv[1]))
assert doc["image"] == os.path.abspath(sys.argv[2]), doc["image"]
assert doc["fs"]["type"] == "ext4", doc["fs"]
assert doc["clients"] == 0, doc["clients"]
lp = doc["last_pass"]
assert lp["result"] == "clean", json.dumps(doc, indent=1)
assert doc["problems"] == [] and doc["problems_total"] == 0, doc["problems"]
PY

t1=$(date +%s)
ndamages=0
while read -r what off code name object <&3; do

    # What the offline checker says about this damage.
    cp "$img" "$tmp/copy"
    damage "$tmp/copy" "$what" "$off" >/dev/null
    rc=0
    "$nbdscrub" check --json --no-progress "$tmp/copy" >"$tmp/offline.json" \
        2>"$tmp/offline.err" || rc=$?
    [ $rc -ne 0 ] || fail "$what: nbdscrub check exits 0 on the damaged copy"

    # Passes up to $seen_before ended before the damage; pass $after
    # had ended when it was done, pass $after + 1 may have been running,
    # pass $after + 2 started after it (scrubstatus.py).
    cp "$status" "$tmp/s0.json"
    seen_before=$(python3 -m scrubstatus last-id "$tmp/s0.json")
    total_before=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["problems_total"])' "$tmp/s0.json")
    t_damage=$(date +%s)
    orig=$(damage "$img" "$what" "$off")
    after=$(python3 -m scrubstatus last-id "$status") ||
        fail "status.json cannot be read"

    # The first pass that started after the damage, then two more.
    python3 -m scrubstatus wait "$status" $((after + 2)) 60 "$tmp/d1.json" ||
        fail "$what: no pass after the damage"
    first_id=$(python3 -m scrubstatus last-id "$tmp/d1.json")
    python3 -m scrubstatus wait "$status" $((first_id + 2)) 60 "$tmp/d3.json" ||
        fail "$what: no further passes after the damage"

    python3 - "$tmp/offline.json" "$tmp/d1.json" "$tmp/d3.json" \
        "$what" "$code" "$name" "$object" "$t_damage" "$total_before" <<'PY' ||
import json, sys
from scrubstatus import findings, started_epoch
offline = json.load(open(sys.argv[1]))
d1, d3 = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
what, code, name, obj = sys.argv[4:8]
t_damage, total_before = int(sys.argv[8]), int(sys.argv[9])
want = findings(offline)
print("%s: nbdscrub check finds %s" % (what,
      ", ".join("%s %s %s (%s)" % (c, n, o, s) for c, n, s, o in want)))
assert (code, name, "corrupt", obj) in want or \
       (code, name, "xcorrupt", obj) in want, \
    "%s: nbdscrub check --json does not report %s %s %s" % (what, code, name, obj)
ncorrupt = sum(1 for f in want if f[2] in ("corrupt", "xcorrupt"))
for d in (d1, d3):
    lp = d["last_pass"]
    assert started_epoch(lp) >= t_damage, \
        "%s: pass %d started before the damage" % (what, lp["id"])
    assert lp["result"] == "corrupt", \
        "%s: pass %d ends %s:\n%s" % (what, lp["id"], lp["result"],
                                      json.dumps(d, indent=1)[:3000])
    got = findings(d)
    assert got == want, \
        "%s: pass %d reports\n  %s\nnbdscrub check --json reports\n  %s" \
        % (what, lp["id"], got, want)
    assert lp["corrupt"] == ncorrupt, (what, lp["corrupt"], ncorrupt)
    assert lp["problems"] == len(want), (what, lp["problems"], len(want))
    assert d["clients"] == 0 and lp["clients"] == 0, (what, d["clients"])
assert d1["problems_total"] >= total_before + ncorrupt, \
    "%s: problems_total %d after pass %d, was %d before the damage" \
    % (what, d1["problems_total"], d1["last_pass"]["id"], total_before)
# Every pass from d1's to d3's saw the same damage, and counts it.
n = d3["last_pass"]["id"] - d1["last_pass"]["id"]
assert d3["problems_total"] - d1["problems_total"] == n * ncorrupt, \
    "%s: problems_total went from %d (pass %d) to %d (pass %d), " \
    "expected +%d x %d" % (what, d1["problems_total"], d1["last_pass"]["id"],
                           d3["problems_total"], d3["last_pass"]["id"],
                           n, ncorrupt)
print("%s: passes %d..%d corrupt, %d finding(s) as nbdscrub check, "
      "problems_total %d -> %d" % (what, d1["last_pass"]["id"],
      d3["last_pass"]["id"], len(want), total_before, d3["problems_total"]))
PY
        fail "$what: the server's findings are wrong"

    # Every finding is logged once, though at least three passes found
    # it, by the first pass that found it, in the form the manual gives:
    # "scrub: pass N: 0xCODE NAME SEVERITY OBJECT: message".
    python3 - "$log" "$tmp/offline.json" "$what" "$seen_before" "$first_id" \
        <<'PY' || { grep 'scrub: pass' "$log" | tail -20 >&2
import json, re, sys
from scrubstatus import findings
log = open(sys.argv[1]).read().splitlines()
what, lo, hi = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
for code, name, sev, obj in findings(json.load(open(sys.argv[2]))):
    pat = re.compile(r"scrub: pass (\d+): %s %s %s %s: " % (
        re.escape(code), re.escape(name), re.escape(sev), re.escape(obj)))
    hits = [int(m.group(1)) for m in map(pat.search, log) if m]
    assert len(hits) == 1, "%s: '%s %s %s %s' is logged %d times, not once" \
        % (what, code, name, sev, obj, len(hits))
    assert lo < hits[0] <= hi, "%s: '%s %s' logged by pass %d, not by " \
        "one of passes %d to %d" % (what, name, obj, hits[0], lo + 1, hi)
PY
        fail "$what: the log does not name each finding once"; }

    # Put the bytes back: a pass that started after that is clean.
    t_restore=$(date +%s)
    restore "$img" "$off" "$orig"
    after=$(python3 -m scrubstatus last-id "$status") ||
        fail "status.json cannot be read"
    python3 -m scrubstatus wait "$status" $((after + 2)) 60 "$tmp/r.json" ||
        fail "$what: no pass after the bytes were put back"
    python3 - "$tmp/r.json" "$what" "$t_restore" <<'PY' ||
import json, sys
from scrubstatus import started_epoch
d = json.load(open(sys.argv[1]))
lp = d["last_pass"]
assert started_epoch(lp) >= int(sys.argv[3])
assert lp["result"] == "clean" and d["problems"] == [], \
    "%s: after the restore, pass %d:\n%s" % (sys.argv[2], lp["id"],
                                           json.dumps(d, indent=1)[:3000])
PY
        fail "$what: the image is not clean again once the bytes are back"
    ndamages=$((ndamages + 1))
done 3<"$tmp/damages"
[ $ndamages -eq 4 ] || fail "only $ndamages damages ran"
t2=$(date +%s)

# The image the server leaves is the one it was given.
kill_nbdkit "$tmp/nbdkit.pid" || fail "nbdkit did not stop"
e2fsck -fn "$img" >"$tmp/fsck.out" 2>&1 || {
    cat "$tmp/fsck.out" >&2
    fail "e2fsck -fn: the image is not clean after the bytes were put back"
}
passes=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["passes"])' "$status")
echo "scrub damage: $ndamages damages found and cleared, $passes passes," \
     "$((t2 - t0)) s (setup $((t1 - t0)) s, damages $((t2 - t1)) s)"
