#!/bin/sh
# Write-side per-request failures advance the error sequence (SPEC
# sections 4 and 5): a write, zero or trim that fails with EIO or ENOSPC
# may have written part of its range, so
#   - the connection that got the error reply is not told again at its
#     next FLUSH (it already knows);
#   - every other connection's next FLUSH fails with EIO exactly once,
#     then succeeds;
#   - but if the failing connection had other news pending (a write-back
#     failure another connection found), its FLUSH still reports that,
#     once;
#   - each failure is one step of seq in STATE-DIR/errseq.json.
# Reads failing (read-eio) do not advance it.
. "$(dirname "$0")/functions.sh"

requires python3 -c 'import nbd'

img=$tmp/disk.img
img2=$tmp/disk2.img
truncate -s 16M "$img" "$img2"

cat >"$tmp/client.py" <<'EOF'
import json
import os
import sys

import nbd
from nbdtest import connect, expect_err, expect_ok

phase, sock, state = sys.argv[1], sys.argv[2], sys.argv[3]
K, M = 1024, 1024 * 1024


def expect_seq(seq):
    if not os.path.exists(state):
        # Nothing persisted yet: the sequence is at 0.
        assert seq == 0, "%s: missing, expected seq %d" % (state, seq)
        return
    with open(state) as f:
        d = json.load(f)
    assert d.get("seq") == seq and d.get("acked") == 0, \
        "%s: expected seq %d, acked 0: %r" % (state, seq, d)


if phase == "write-side":
    h1, h2 = connect(sock), connect(sock)
    data = os.urandom(4 * K)
    expect_ok("h1 write elsewhere", h1.pwrite, data, 0)
    expect_ok("h1 flush", h1.flush)
    expect_ok("h2 flush", h2.flush)
    # A failing read is no write-back news for anyone.
    expect_err("h1 read in read-eio@8M+4k", "EIO", h1.pread, 4 * K, 8 * M)
    expect_ok("h2 flush after h1's failed read", h2.flush)
    expect_seq(0)

    cases = [
        ("write 4k@4M (write-eio@4M+4k)", "EIO",
         lambda h: h.pwrite(data, 4 * M)),
        ("write 4k@5M (write-enospc@5M+4k)", "ENOSPC",
         lambda h: h.pwrite(data, 5 * M)),
        ("zero 4k@6M (zero-eio@6M+4k)", "EIO",
         lambda h: h.zero(4 * K, 6 * M)),
        ("trim 4k@7M (trim-eio@7M+4k)", "EIO",
         lambda h: h.trim(4 * K, 7 * M)),
    ]
    seq = 0
    for what, errno, op in cases:
        expect_err("h1 " + what, errno, op, h1)
        seq += 1
        expect_seq(seq)
        # h1 got the error reply: its FLUSH has nothing new to say.
        for i in range(2):
            expect_ok("h1 flush after its own failed %s (%d)" % (what, i),
                      h1.flush)
        # h2 hears of it once.
        expect_err("h2 first flush after h1's failed " + what, "EIO",
                   h2.flush)
        for i in range(2):
            expect_ok("h2 flush %d after being told of %s" % (i, what),
                      h2.flush)
        # A connection opened afterwards does not.
        h3 = connect(sock)
        expect_ok("new connection's flush after " + what, h3.flush)
        h3.shutdown()
        # Writes elsewhere go on.
        expect_ok("h1 write elsewhere after " + what, h1.pwrite, data,
                  12 * M)
        expect_ok("h2 write elsewhere after " + what, h2.pwrite, data,
                  13 * M)
        assert expect_ok("h1 read back", h1.pread, 4 * K, 13 * M) == data

    # Two failures in a row on h1: h2 hears of both at one FLUSH (one
    # EIO), h1 of neither.
    expect_err("h1 write at 4M again", "EIO", h1.pwrite, data, 4 * M)
    expect_err("h1 write at 5M again", "ENOSPC", h1.pwrite, data, 5 * M)
    seq += 2
    expect_seq(seq)
    expect_ok("h1 flush after two failures of its own", h1.flush)
    expect_err("h2 flush after two failures of h1", "EIO", h2.flush)
    expect_ok("h2 next flush", h2.flush)
    h1.shutdown()
    h2.shutdown()

elif phase == "pending":
    # errortag=fsync-eio*1,write-eio@4M+4k
    h1, h2 = connect(sock), connect(sock)
    data = os.urandom(4 * K)
    expect_ok("h1 write", h1.pwrite, data, 0)
    # h2's FLUSH finds a write-back failure: h1 now has news pending.
    expect_err("h2 flush (fdatasync fails)", "EIO", h2.flush)
    expect_seq(1)
    # h1's write fails: it is told of that failure, not of h2's.
    expect_err("h1 write in write-eio@4M+4k", "EIO", h1.pwrite, data,
               4 * M)
    expect_seq(2)
    expect_err("h1 flush with h2's failure still pending", "EIO", h1.flush)
    expect_ok("h1 next flush", h1.flush)
    # h2 was told of the first failure, not of h1's write.
    expect_err("h2 flush after h1's failed write", "EIO", h2.flush)
    expect_ok("h2 next flush", h2.flush)
    h1.shutdown()
    h2.shutdown()

else:
    raise SystemExit("unknown phase " + phase)
EOF

start_nbdkit "$tmp/a.pid" -U "$tmp/a.sock" "$plugin" "$img" \
    errortag=write-eio@4M+4k,write-enospc@5M+4k,zero-eio@6M+4k \
    errortag=trim-eio@7M+4k,read-eio@8M+4k
python3 "$tmp/client.py" write-side "$tmp/a.sock" \
    "$img.nbdscrub/errseq.json" || fail "write-side failures and FLUSH"
kill_nbdkit "$tmp/a.pid"

start_nbdkit "$tmp/b.pid" -U "$tmp/b.sock" "$plugin" "$img2" \
    errortag=fsync-eio*1,write-eio@4M+4k
python3 "$tmp/client.py" pending "$tmp/b.sock" \
    "$img2.nbdscrub/errseq.json" ||
    fail "a write-side failure with other news pending"
kill_nbdkit "$tmp/b.pid"

exit 0
