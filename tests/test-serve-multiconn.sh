#!/bin/sh
# Several connections to one server see one consistent image (multi-conn):
#  - every connection is told can_multi_conn;
#  - data written on one connection and flushed is read by another, both
#    ways (FLUSH on one side, FUA on the other);
#  - many in-flight writes from two connections at once, to disjoint and
#    unaligned adjacent ranges, all land, and a connection opened
#    afterwards reads all of them;
#  - nbdcopy --connections=4 --requests=16 copies a 128 MiB random file
#    (with a hole over previously written data) in and out byte-exactly.
. "$(dirname "$0")/functions.sh"

requires python3 -c 'import nbd'
requires nbdcopy --version

size=$((128 * 1024 * 1024))
img=$tmp/disk.img
sock=$tmp/sock
pid=$tmp/nbdkit.pid
uri="nbd+unix:///?socket=$sock"

truncate -s $size "$img"
start_nbdkit "$pid" -U "$sock" "$plugin" "$img"

cat >"$tmp/t.py" <<'EOF'
import os, sys, threading
import nbd

uri = sys.argv[1]
M = 1 << 20

def connect():
    h = nbd.NBD()
    h.connect_uri(uri)
    assert h.can_multi_conn(), "can_multi_conn is false"
    return h

h1 = connect()
h2 = connect()

# Written and flushed on h1, read on h2.
a = os.urandom(M)
h1.pwrite(a, 100 * M + 5)
h1.flush()
assert h2.pread(M, 100 * M + 5) == a, "h2 does not see h1's flushed write"

# Written with FUA on h2, read on h1.
b = os.urandom(70000)
h2.pwrite(b, 102 * M + 3, nbd.CMD_FLAG_FUA)
assert h1.pread(70000, 102 * M + 3) == b, "h1 does not see h2's FUA write"

# Both connections write at once, up to 16 requests in flight each, to
# interleaved chunks whose boundaries are not block-aligned: h1 the even
# chunks, h2 the odd ones.
CHUNK = 131071
NCHUNK = (32 * M) // CHUNK
data = [os.urandom(CHUNK) for _ in range(NCHUNK)]
errors = []

def writer(h, first):
    try:
        inflight = []
        for i in range(first, NCHUNK, 2):
            buf = nbd.Buffer.from_bytearray(bytearray(data[i]))
            inflight.append((h.aio_pwrite(buf, i * CHUNK), buf))
            while len(inflight) >= 16:
                h.poll(-1)
                inflight = [(c, bf) for (c, bf) in inflight
                            if not h.aio_command_completed(c)]
        while inflight:
            h.poll(-1)
            inflight = [(c, bf) for (c, bf) in inflight
                        if not h.aio_command_completed(c)]
        h.flush()
    except Exception as ex:
        errors.append(ex)

t1 = threading.Thread(target=writer, args=(h1, 0))
t2 = threading.Thread(target=writer, args=(h2, 1))
t1.start(); t2.start()
t1.join(); t2.join()
assert not errors, errors

want = b"".join(data)
for name, h in (("h1", h1), ("h2", h2)):
    got = h.pread(len(want), 0)
    if got != want:
        i = next(i for i in range(len(want)) if got[i] != want[i])
        raise AssertionError("%s: byte %d (chunk %d) is wrong"
                             % (name, i, i // CHUNK))

# A third connection, opened later, sees everything.
h3 = connect()
assert h3.pread(len(want), 0) == want, "h3 does not see the parallel writes"
assert h3.pread(M, 100 * M + 5) == a
assert h3.pread(70000, 102 * M + 3) == b
for h in (h1, h2, h3):
    h.shutdown()
print("multi-conn: %d chunks of %d bytes from two connections OK"
      % (NCHUNK, CHUNK))
EOF
python3 "$tmp/t.py" "$uri" || fail "multi-conn assertions failed (see above)"

# nbdcopy with 4 connections and 16 requests each, in and out.  The
# source has a hole over [8M, 16M), where the export now holds random
# data from above: the copy must zero it.
src=$tmp/src.raw
truncate -s $size "$src"
dd if=/dev/urandom of="$src" bs=1M count=8 conv=notrunc status=none
dd if=/dev/urandom of="$src" bs=1M seek=16 count=112 conv=notrunc status=none
nbdcopy --connections=4 --requests=16 "$src" "$uri" ||
    fail "nbdcopy file -> export failed"
nbdcopy --connections=4 --requests=16 "$uri" "$tmp/out.raw" ||
    fail "nbdcopy export -> file failed"
cmp "$src" "$tmp/out.raw" || fail "nbdcopy round trip is not byte-exact"

kill_nbdkit "$pid" || fail "nbdkit did not stop"
cmp "$src" "$img" || fail "the image file differs from the copied source"
echo "nbdcopy --connections=4 round trip of $size bytes OK"
