#!/bin/sh
# Zero, trim, extents, cache and FUA through the NBD protocol (nbdsh):
#  - zero (with and without may-trim, and with FAST_ZERO) and trim make
#    the range read as zeroes and leave the bytes around it alone;
#  - base:allocation block status reports holes over trimmed, hole-punched
#    and never-written ranges and data over written data; REQ_ONE gets
#    exactly one extent;
#  - CACHE succeeds; FUA writes, zeroes and trims succeed and stick;
#  - requests past the end fail (writes and zeroes ENOSPC, reads EINVAL)
#    and the server keeps serving afterwards.
. "$(dirname "$0")/functions.sh"

requires nbdsh --version
requires python3 -c 'import nbd'

# Hole reporting needs a filesystem with SEEK_HOLE/SEEK_DATA under $tmp.
python3 - "$tmp/holes" <<'EOF' || skip "the filesystem of $tmp does not report holes (SEEK_HOLE)"
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
os.ftruncate(fd, 4 << 20)
os.pwrite(fd, b"x" * 65536, 1 << 20)
os.fsync(fd)
ok = os.lseek(fd, 0, os.SEEK_DATA) == 1 << 20 and \
     os.lseek(fd, 1 << 20, os.SEEK_HOLE) < 4 << 20
os.close(fd)
os.unlink(sys.argv[1])
sys.exit(0 if ok else 1)
EOF

img=$tmp/disk.img
truncate -s 16M "$img"

cat >"$tmp/t.py" <<'EOF'
import errno, os
import nbd

M = 1 << 20
size = 16 * M
assert h.get_size() == size, h.get_size()
for cap in ("can_zero", "can_fast_zero", "can_trim", "can_fua",
            "can_cache", "can_flush"):
    assert getattr(h, cap)(), cap
assert h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION)

def fill(off, n, byte):
    h.pwrite(bytes([byte]) * n, off)

def expect(off, n, byte, what):
    got = h.pread(n, off)
    want = bytes([byte]) * n
    if got != want:
        i = next(i for i in range(n) if got[i] != want[i])
        raise AssertionError("%s: byte %d reads %#x, expected %#x"
                             % (what, off + i, got[i], byte))

def extents(off, n, flags=0):
    """[(offset, length, flags), ...] for base:allocation."""
    out = []
    def cb(metacontext, o, entries, err):
        assert metacontext == nbd.CONTEXT_BASE_ALLOCATION, metacontext
        pos = o
        for i in range(0, len(entries), 2):
            out.append((pos, entries[i], entries[i + 1]))
            pos += entries[i]
        return 0
    h.block_status(n, off, cb, flags)
    return out

def state_at(off):
    """Block-status flags of the byte at off (asks for just that byte's
    neighbourhood, REQ_ONE)."""
    e = extents(off, 4096, nbd.CMD_FLAG_REQ_ONE)
    assert len(e) == 1 and e[0][0] == off, e
    return e[0][2]

HOLE = nbd.STATE_HOLE | nbd.STATE_ZERO

# Data over [0, 4M) and [8M, 12M); [12M, 16M) is never written.
fill(0, 4 * M, 0x11)
fill(8 * M, 4 * M, 0x22)
h.flush()
expect(0, 4 * M, 0x11, "written data")
expect(12 * M, 4 * M, 0, "never-written range")
assert state_at(0) & nbd.STATE_HOLE == 0, "written data reported as a hole"
assert state_at(9 * M) & nbd.STATE_HOLE == 0, "written data reported as a hole"
assert state_at(12 * M) == HOLE, "never-written range: %r" % extents(12 * M, 4 * M)

# Plain zero (NO_HOLE: the server may not punch a hole).
h.zero(64 * 1024, 1 * M, nbd.CMD_FLAG_NO_HOLE)
expect(1 * M, 64 * 1024, 0, "zero NO_HOLE")
expect(1 * M - 4096, 4096, 0x11, "before zero NO_HOLE")
expect(1 * M + 64 * 1024, 4096, 0x11, "after zero NO_HOLE")

# Zero that may trim (libnbd's default): a hole is punched.
h.zero(1 * M, 2 * M)
expect(2 * M, 1 * M, 0, "zero may_trim")
expect(2 * M - 4096, 4096, 0x11, "before zero may_trim")
expect(3 * M, 4096, 0x11, "after zero may_trim")
assert state_at(2 * M) == HOLE, "zero may_trim: %r" % extents(2 * M, M)

# Unaligned zero: only those bytes.
h.zero(1000, 3 * M + 123)
expect(3 * M + 123, 1000, 0, "unaligned zero")
expect(3 * M, 123, 0x11, "before unaligned zero")
expect(3 * M + 1123, 1000, 0x11, "after unaligned zero")

# Fast zero, with and without may-trim.
h.zero(128 * 1024, 3 * M + 512 * 1024, nbd.CMD_FLAG_FAST_ZERO)
expect(3 * M + 512 * 1024, 128 * 1024, 0, "fast zero")
h.zero(64 * 1024, 3 * M + 768 * 1024,
       nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_NO_HOLE)
expect(3 * M + 768 * 1024, 64 * 1024, 0, "fast zero NO_HOLE")
expect(3 * M + 768 * 1024 + 64 * 1024, 4096, 0x11, "after fast zero")

# Trim: reads zeroes and is a hole afterwards; its neighbours stay.
h.trim(1 * M, 9 * M)
h.flush()
expect(9 * M, 1 * M, 0, "trimmed range")
expect(9 * M - 4096, 4096, 0x22, "before trim")
expect(10 * M, 4096, 0x22, "after trim")
assert state_at(9 * M) == HOLE, "trimmed range: %r" % extents(9 * M, M)
assert state_at(10 * M) & nbd.STATE_HOLE == 0

# The whole picture: extents cover [0, size) contiguously, more than one
# of them, and agree with the ranges above.
ext = extents(0, size)
pos = 0
for (o, n, f) in ext:
    assert o == pos and n > 0, ext
    pos += n
assert pos == size, ("extents end at %d" % pos, ext)
assert len(ext) > 1, ext
def flags_at(off):
    return next(f for (o, n, f) in ext if o <= off < o + n)
for off in (0, 3 * M, 8 * M, 10 * M):
    assert flags_at(off) & nbd.STATE_HOLE == 0, (off, ext)
for off in (2 * M, 9 * M, 12 * M, size - 1):
    assert flags_at(off) == HOLE, (off, ext)

# REQ_ONE: exactly one extent, starting at the offset asked for.
one = extents(0, size, nbd.CMD_FLAG_REQ_ONE)
assert len(one) == 1 and one[0][0] == 0 and one[0][1] <= size, one
assert one[0][2] & nbd.STATE_HOLE == 0, one
one = extents(12 * M, 4 * M, nbd.CMD_FLAG_REQ_ONE)
assert one == [(12 * M, 4 * M, HOLE)], one

# CACHE is accepted.
h.cache(4 * M, 0)
h.cache(1, size - 1)

# FUA: write, zero and trim with FUA succeed and stick.
h.pwrite(b"\x33" * 65536, 5 * M, nbd.CMD_FLAG_FUA)
expect(5 * M, 65536, 0x33, "FUA write")
h.pwrite(b"\x44" * 100, 5 * M + 7, nbd.CMD_FLAG_FUA)
expect(5 * M + 7, 100, 0x44, "unaligned FUA write")
h.zero(4096, 5 * M + 8192, nbd.CMD_FLAG_FUA)
expect(5 * M + 8192, 4096, 0, "FUA zero")
h.trim(65536, 5 * M, nbd.CMD_FLAG_FUA)
expect(5 * M, 65536, 0, "FUA trim")
h.flush()

# Past the end: nbdkit answers these itself; libnbd's own bounds check
# is switched off so that the server sees them.
h.set_strict_mode(h.get_strict_mode() & ~nbd.STRICT_BOUNDS)
def fails_with(name, fn, *args):
    try:
        fn(*args)
    except nbd.Error as ex:
        assert ex.errno == name, "%s%r: %s, expected %s" % (
            fn.__name__, args, ex.errno, name)
    else:
        raise AssertionError("%s%r succeeded past the end" % (fn.__name__, args))

fails_with("ENOSPC", h.pwrite, b"\x55" * 1024, size - 512)
fails_with("ENOSPC", h.pwrite, b"\x55", size)
fails_with("ENOSPC", h.zero, 8192, size - 4096)
fails_with("EINVAL", h.pread, 1024, size - 512)
fails_with("EINVAL", h.pread, 1, size)
fails_with("EINVAL", h.trim, 8192, size - 4096)
fails_with("EINVAL", h.cache, 8192, size - 4096)
# Nothing was written at the end, and the connection still works.
expect(size - 512, 512, 0, "end of the export after refused writes")
expect(0, 4096, 0x11, "start of the export after refused requests")
h.flush()
print("trim/zero/extents OK")
EOF

nbdkit -U - "$plugin" "$img" \
    --run 'nbdsh --base-allocation -u "$uri" -c "exec(open(\"'"$tmp"'/t.py\").read())"' ||
    fail "nbdkit did not serve or the nbdsh assertions failed (see above)"

# The server is gone; the image file still has the hole punched by trim
# and the data written before it.
python3 - "$img" <<'EOF' || fail "image file content is wrong"
import os, sys
M = 1 << 20
fd = os.open(sys.argv[1], os.O_RDONLY)
assert os.fstat(fd).st_size == 16 * M
assert os.pread(fd, 4096, 0) == b"\x11" * 4096
assert os.pread(fd, M, 9 * M) == bytes(M)
assert os.pread(fd, 4096, 10 * M) == b"\x22" * 4096
assert os.pread(fd, 65536, 5 * M) == bytes(65536)
# [9M, 10M) is a hole in the file itself.
assert os.lseek(fd, 9 * M, os.SEEK_HOLE) == 9 * M
assert os.lseek(fd, 9 * M, os.SEEK_DATA) >= 10 * M
EOF
