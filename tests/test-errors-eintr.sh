#!/bin/sh
# EINTR is transient and never reaches the client (SPEC section 4):
#   - under errortag=read-eintr*5000,write-eintr*5000,fsync-eintr*100 a
#     workload of concurrent reads, writes and flushes on two connections
#     succeeds entirely, with correct data; no request fails (in
#     particular none with EINVAL, which is what nbdkit makes of an EINTR
#     the plugin lets through);
#   - the same holds for zero and trim (zero-eintr, trim-eintr);
#   - EINTR is retried up to 10000 times in a row within one request:
#     read-eintr*10000 is still invisible, while read-eintr*10001 fails that
#     one read with EIO (not EINVAL) and the next read succeeds.
. "$(dirname "$0")/functions.sh"

requires python3 -c 'import nbd'

img=$tmp/disk.img
truncate -s 32M "$img"

cat >"$tmp/client.py" <<'EOF'
import os
import sys

import nbd
from nbdtest import connect

phase, sock, img = sys.argv[1], sys.argv[2], sys.argv[3]
K, M = 1024, 1024 * 1024


def run(h, what, fn, *args):
    try:
        return fn(*args)
    except nbd.Error as e:
        raise AssertionError("%s failed under an EINTR storm: %s (%s)"
                             % (what, e.errno, e))


def wait_all(h, cookies, what):
    """Wait for the commands and check that each one succeeded."""
    for c in cookies:
        while True:
            try:
                done = h.aio_command_completed(c)
            except nbd.Error as e:
                raise AssertionError("%s failed under an EINTR storm: %s (%s)"
                                     % (what, e.errno, e))
            if done:
                break
            h.poll(-1)


if phase == "storm":
    handles = [connect(sock), connect(sock)]
    expect = {}          # offset -> bytes last written there
    rounds, per_round, size = 12, 8, 64 * K
    for r in range(rounds):
        for n, h in enumerate(handles):
            # Several writes in flight at once on each connection, so that
            # the server's threads retry EINTRs concurrently.
            cookies = []
            bufs = []
            for i in range(per_round):
                off = ((r * 7 + i * 3 + n * 29) % 200) * size
                data = os.urandom(size)
                expect[off] = data
                buf = nbd.Buffer.from_bytearray(bytearray(data))
                bufs.append(buf)
                cookies.append(h.aio_pwrite(buf, off))
            wait_all(h, cookies, "write (round %d)" % r)
            run(h, "flush (round %d)" % r, h.flush)
        # Read everything written so far, concurrently, from both.
        for n, h in enumerate(handles):
            bufs = []
            cookies = []
            for off in sorted(expect):
                buf = nbd.Buffer(size)
                bufs.append((off, buf))
                cookies.append(h.aio_pread(buf, off))
            wait_all(h, cookies, "read (round %d)" % r)
            for off, buf in bufs:
                assert buf.to_bytearray() == expect[off], \
                    "round %d: wrong data at %d" % (r, off)
        # And some plain synchronous reads and FUA writes.
        h = handles[r % 2]
        off = 201 * size + r * 4 * K
        data = os.urandom(4 * K)
        run(h, "FUA write", h.pwrite, data, off, nbd.CMD_FLAG_FUA)
        expect_small = run(h, "read", h.pread, 4 * K, off)
        assert expect_small == data, "wrong data after a FUA write"
    for h in handles:
        run(h, "final flush", h.flush)
        h.shutdown()
    # What the server says it wrote is in the image.
    with open(img, "rb") as f:
        for off, data in expect.items():
            f.seek(off)
            assert f.read(size) == data, "image differs at %d" % off

elif phase == "zero-trim":
    h = connect(sock)
    data = os.urandom(256 * K)
    run(h, "write", h.pwrite, data, 0)
    for i in range(20):
        run(h, "zero", h.zero, 4 * K, i * 8 * K)
        run(h, "trim", h.trim, 4 * K, i * 8 * K + 4 * K)
        run(h, "flush", h.flush)
    got = run(h, "read", h.pread, 256 * K, 0)
    for i in range(20):
        assert got[i * 8 * K:i * 8 * K + 4 * K] == bytes(4 * K), \
            "zeroed range %d does not read as zeroes" % i
    # Untouched data after the zeroed and trimmed ranges.
    assert got[160 * K:] == data[160 * K:], "data beyond the ranges changed"
    h.shutdown()

elif phase == "max-ok":
    # 10000 EINTRs in a row: still retried, the read succeeds.
    h = connect(sock)
    run(h, "read through 10000 EINTRs", h.pread, 4 * K, 0)
    run(h, "second read", h.pread, 4 * K, 0)
    h.shutdown()

elif phase == "max-exceeded":
    # 10001 in a row: the read ends as EIO so that a storm cannot hold a
    # request for ever; the next read finds the storm over.
    h = connect(sock)
    try:
        h.pread(4 * K, 0)
    except nbd.Error as e:
        assert e.errno == "EIO", \
            "read through 10001 EINTRs: expected EIO, got %s (%s)" \
            % (e.errno, e)
    else:
        raise AssertionError("read through 10001 EINTRs succeeded: "
                             "expected EIO")
    run(h, "read after the storm", h.pread, 4 * K, 0)
    h.shutdown()

else:
    raise SystemExit("unknown phase " + phase)
EOF

start_nbdkit "$tmp/a.pid" -U "$tmp/a.sock" "$plugin" "$img" \
    errortag=read-eintr*5000,write-eintr*5000,fsync-eintr*100
python3 "$tmp/client.py" storm "$tmp/a.sock" "$img" ||
    fail "read-eintr*5000,write-eintr*5000,fsync-eintr*100 surfaced"
kill_nbdkit "$tmp/a.pid"

start_nbdkit "$tmp/b.pid" -U "$tmp/b.sock" "$plugin" "$img" \
    errortag=zero-eintr*3000,trim-eintr*3000,fsync-eintr*100
python3 "$tmp/client.py" zero-trim "$tmp/b.sock" "$img" ||
    fail "zero-eintr/trim-eintr surfaced"
kill_nbdkit "$tmp/b.pid"

start_nbdkit "$tmp/c.pid" -U "$tmp/c.sock" "$plugin" "$img" \
    errortag=read-eintr*10000
python3 "$tmp/client.py" max-ok "$tmp/c.sock" "$img" ||
    fail "read-eintr*10000 surfaced"
kill_nbdkit "$tmp/c.pid"

start_nbdkit "$tmp/d.pid" -U "$tmp/d.sock" "$plugin" "$img" \
    errortag=read-eintr*10001
python3 "$tmp/client.py" max-exceeded "$tmp/d.sock" "$img" ||
    fail "read-eintr*10001"
kill_nbdkit "$tmp/d.pid"

exit 0
