#!/bin/sh
# Serving a raw image round-trips data byte-exactly with real clients:
#  - qemu-img convert writes a 64 MiB random, sparse source into the
#    export, and qemu-img compare finds the export identical to it;
#  - nbdcopy copies the export back out byte-exactly;
#  - nbdinfo reports the image's size and advertises multi-conn, FUA,
#    trim, zero, fast zero and cache;
#  - a qemu-io write (unaligned) reads back through the export, and after
#    the server stops the image file holds exactly source + that write.
. "$(dirname "$0")/functions.sh"

requires qemu-img --version
requires qemu-io --version
requires nbdcopy --version
requires nbdinfo --version
requires python3 -c 'import json'

size=$((64 * 1024 * 1024))
src=$tmp/src.raw
img=$tmp/disk.img
sock=$tmp/sock
pid=$tmp/nbdkit.pid
uri="nbd+unix:///?socket=$sock"

# The source: random data with holes between (and a hole at the end).
truncate -s $size "$src"
put_random ()   # OFFSET-IN-MiB LENGTH-IN-MiB
{
    dd if=/dev/urandom of="$src" bs=1M seek="$1" count="$2" \
       conv=notrunc status=none
}
put_random 0 16
put_random 24 16
put_random 48 15
# A random run that does not start or end on a block boundary.
dd if=/dev/urandom of="$src" bs=1 seek=$((20 * 1024 * 1024 + 333)) \
   count=12345 conv=notrunc status=none

truncate -s $size "$img"
start_nbdkit "$pid" -U "$sock" "$plugin" "$img"

# 1. qemu-img writes the source into the export, then compares.
qemu-img convert -n -f raw -O raw "$src" "$uri" ||
    fail "qemu-img convert into the export failed"
qemu-img compare -f raw -F raw "$uri" "$src" ||
    fail "qemu-img compare: the export differs from the source"

# 2. nbdcopy copies the export out, byte-exact.
nbdcopy "$uri" "$tmp/out.raw" || fail "nbdcopy export -> file failed"
cmp "$src" "$tmp/out.raw" || fail "nbdcopy copy differs from the source"
rm -f "$tmp/out.raw"

# 3. nbdinfo: size and flags.
nbdinfo --json "$uri" >"$tmp/info.json" || fail "nbdinfo failed"
python3 - "$tmp/info.json" $size <<'EOF' || fail "nbdinfo reported wrong values"
import json, sys
info = json.load(open(sys.argv[1]))["exports"][0]
want_size = int(sys.argv[2])
bad = []
if info["export-size"] != want_size:
    bad.append("export-size %r != %r" % (info["export-size"], want_size))
for k in ("can_multi_conn", "can_fua", "can_trim", "can_zero",
          "can_fast_zero", "can_cache", "can_flush"):
    if info.get(k) is not True:
        bad.append("%s is %r" % (k, info.get(k)))
if info.get("is_read_only") is not False:
    bad.append("is_read_only is %r" % info.get("is_read_only"))
for b in bad:
    print("nbdinfo:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# 4. qemu-io: an unaligned write, read back through the export.  The
# read with the wrong pattern must fail, or "read -P" proves nothing.
woff=5000001 wlen=7777
qemu-io -f raw -c "write -P 0xab $woff $wlen" "$uri" >"$tmp/qio.out" 2>&1 ||
    { cat "$tmp/qio.out"; fail "qemu-io write failed"; }
qemu-io -f raw -c "read -P 0xab $woff $wlen" "$uri" >"$tmp/qio.out" 2>&1 ||
    { cat "$tmp/qio.out"; fail "qemu-io read -P 0xab: pattern not found"; }
if qemu-io -f raw -c "read -P 0xab $((woff - 1)) $((wlen + 2))" "$uri" \
        >"$tmp/qio.out" 2>&1; then
    fail "qemu-io: the bytes around the write also read as 0xab"
fi

# 5. Stop the server; the image file must be the source plus the write.
kill_nbdkit "$pid" || fail "nbdkit did not stop"
python3 - "$src" "$img" $woff $wlen <<'EOF' || fail "image file content is wrong"
import sys
src, img, off, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
want = bytearray(open(src, "rb").read())
want[off:off + n] = b"\xab" * n
got = open(img, "rb").read()
if len(got) != len(want):
    sys.exit("image is %d bytes, expected %d" % (len(got), len(want)))
if got != want:
    i = next(i for i in range(len(want)) if got[i] != want[i])
    sys.exit("image differs first at byte %d" % i)
EOF

echo "roundtrip of $size bytes OK"
