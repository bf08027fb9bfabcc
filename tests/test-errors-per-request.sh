#!/bin/sh
# Per-request and transient errors (SPEC section 4), through a real NBD
# client:
#   - errortag=read-eio@1M+4k: every read touching that range fails with
#     EIO, and only that request: reads just before and just after it and
#     elsewhere, and writes, keep working on the same connection, many
#     times over;
#   - errortag=write-enospc@2M+64k: a write touching that range fails with
#     ENOSPC; writes outside it succeed and read back correctly;
#   - errortag=any-eagain*2 retries=3: EAGAIN is retried, the client never
#     sees it;
#   - errortag=read-eagain*10 retries=2: a read that meets EAGAIN on its
#     first attempt and its 2 retries fails with EIO (never EINVAL), later
#     reads succeed once the EAGAINs are used up.
. "$(dirname "$0")/functions.sh"

requires python3 -c 'import nbd'

img=$tmp/disk.img
size=$((16 * 1024 * 1024))

# A known pattern in the image, so that reads can be checked.
python3 - "$img" "$size" <<'EOF'
import sys
path, size = sys.argv[1], int(sys.argv[2])
block = bytes((i * 7 + 3) & 255 for i in range(65536))
with open(path, "wb") as f:
    for _ in range(size // len(block)):
        f.write(block)
EOF

cat >"$tmp/client.py" <<'EOF'
import os
import sys

import nbd
from nbdtest import connect, expect_err

phase, sock, img = sys.argv[1], sys.argv[2], sys.argv[3]
K, M = 1024, 1024 * 1024
with open(img, "rb") as f:
    original = f.read()


def expect_read(h, what, count, offset, want=None):
    try:
        got = h.pread(count, offset)
    except nbd.Error as e:
        raise AssertionError("%s: read %d@%d failed: %s (%s)"
                             % (what, count, offset, e.errno, e))
    if want is None:
        want = original[offset:offset + count]
    assert got == want, "%s: read %d@%d returned wrong data" \
        % (what, count, offset)


def expect_write(h, what, data, offset):
    try:
        h.pwrite(data, offset)
    except nbd.Error as e:
        raise AssertionError("%s: write %d@%d failed: %s (%s)"
                             % (what, len(data), offset, e.errno, e))


if phase == "eio-enospc":
    h = connect(sock)
    other = connect(sock)
    for i in range(40):
        # The bad range, its first and last byte, and reads straddling
        # either edge: all EIO.
        expect_err("read 4k@1M", "EIO", h.pread, 4 * K, 1 * M)
        expect_err("read 1@1M", "EIO", h.pread, 1, 1 * M)
        expect_err("read 1@1M+4k-1", "EIO", h.pread, 1, 1 * M + 4 * K - 1)
        expect_err("read 8k@1M-4k", "EIO", h.pread, 8 * K, 1 * M - 4 * K)
        expect_err("read 8k@1M+4k-1", "EIO", h.pread, 8 * K,
                   1 * M + 4 * K - 1)
        # Right before, right after, elsewhere: fine, same handle.
        expect_read(h, "just before", 4 * K, 1 * M - 4 * K)
        expect_read(h, "last byte before", 1, 1 * M - 1)
        expect_read(h, "just after", 4 * K, 1 * M + 4 * K)
        expect_read(h, "first megabyte", 1 * M, 0)
        expect_read(h, "elsewhere", 64 * K, 9 * M + 512 * (i + 1))
        # Another connection is not disturbed either.
        expect_read(other, "other connection", 4 * K, 1 * M + 4 * K)
        expect_err("other connection, read 4k@1M", "EIO", other.pread,
                   4 * K, 1 * M)

    # Writes still work on that handle, and read back.
    data = os.urandom(64 * K)
    expect_write(h, "write 64k@3M", data, 3 * M)
    expect_read(h, "read back 64k@3M", 64 * K, 3 * M, data)
    # Even over the range reads fail in: the tag is on reads only.
    data = os.urandom(4 * K)
    expect_write(h, "write 4k@1M", data, 1 * M)
    expect_err("read 4k@1M after writing it", "EIO", h.pread, 4 * K, 1 * M)

    # write-enospc@2M+64k.
    for i in range(20):
        expect_err("write 4k@2M", "ENOSPC", h.pwrite, bytes(4 * K), 2 * M)
        expect_err("write 1@2M+64k-1", "ENOSPC", h.pwrite, b"x",
                   2 * M + 64 * K - 1)
        expect_err("write 8k@2M-4k", "ENOSPC", h.pwrite, bytes(8 * K),
                   2 * M - 4 * K)
        before = os.urandom(4 * K)
        after = os.urandom(4 * K)
        far = os.urandom(32 * K)
        expect_write(h, "write 4k@2M-4k", before, 2 * M - 4 * K)
        expect_write(h, "write 4k@2M+64k", after, 2 * M + 64 * K)
        expect_write(other, "other: write 32k@12M", far, 12 * M + i * 32 * K)
        expect_read(h, "read back 2M-4k", 4 * K, 2 * M - 4 * K, before)
        expect_read(h, "read back 2M+64k", 4 * K, 2 * M + 64 * K, after)
        expect_read(h, "read back 12M", 32 * K, 12 * M + i * 32 * K, far)
        # Reading the range writes fail in is fine (what it holds is not
        # asserted: a failed write may have written part of its range).
        try:
            h.pread(64 * K, 2 * M)
        except nbd.Error as e:
            raise AssertionError("read 64k@2M failed: %s" % e)
    # The connection is still up and answering.
    expect_read(h, "final read", 4 * K, 0)
    assert not h.aio_is_dead() and not other.aio_is_dead()
    h.shutdown()
    other.shutdown()

elif phase == "eagain-hidden":
    # any-eagain*2, retries=3: the first operation meets two EAGAINs.
    h = connect(sock)
    data = os.urandom(8 * K)
    expect_write(h, "write 8k@5M (2 x EAGAIN)", data, 5 * M)
    expect_read(h, "read back 8k@5M", 8 * K, 5 * M, data)
    h.flush()
    for i in range(10):
        expect_read(h, "read %d" % i, 4 * K, i * M + 512 * K)
    h.shutdown()

elif phase == "eagain-exhausted":
    # read-eagain*10, retries=2: each read makes at most 3 attempts, so
    # the 10 EAGAINs fail reads 1-3 with EIO (3 attempts each) and read 4
    # succeeds on its second attempt.  EAGAIN must never come out as
    # EINVAL (what nbdkit makes of an unhandled EAGAIN).
    retries, hits = 2, 10
    failing = hits // (retries + 1)
    h = connect(sock)
    for i in range(failing):
        expect_err("read %d (EAGAIN %d times)" % (i, retries + 1), "EIO",
                   h.pread, 4 * K, 6 * M)
    for i in range(30):
        expect_read(h, "read after the EAGAINs ran out (%d)" % i, 4 * K,
                    6 * M + i * 4 * K)
    data = os.urandom(4 * K)
    expect_write(h, "write", data, 7 * M)
    expect_read(h, "read back", 4 * K, 7 * M, data)
    h.shutdown()

else:
    raise SystemExit("unknown phase " + phase)
EOF

start_nbdkit "$tmp/a.pid" -U "$tmp/a.sock" "$plugin" "$img" \
    errortag=read-eio@1M+4k,write-enospc@2M+64k
python3 "$tmp/client.py" eio-enospc "$tmp/a.sock" "$img" ||
    fail "read-eio@1M+4k / write-enospc@2M+64k"
kill_nbdkit "$tmp/a.pid"

start_nbdkit "$tmp/b.pid" -U "$tmp/b.sock" "$plugin" "$img" \
    errortag=any-eagain*2 retries=3
python3 "$tmp/client.py" eagain-hidden "$tmp/b.sock" "$img" ||
    fail "any-eagain*2 retries=3 reached the client"
kill_nbdkit "$tmp/b.pid"

start_nbdkit "$tmp/c.pid" -U "$tmp/c.sock" "$plugin" "$img" \
    errortag=read-eagain*10 retries=2
python3 "$tmp/client.py" eagain-exhausted "$tmp/c.sock" "$img" ||
    fail "read-eagain*10 retries=2"
kill_nbdkit "$tmp/c.pid"

exit 0
