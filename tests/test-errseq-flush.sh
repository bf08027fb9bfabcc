#!/bin/sh
# The error sequence on FLUSH (SPEC section 5), with errortag=fsync-eio*1
# making one fdatasync fail:
#   - the connection whose FLUSH hit the failure gets EIO, once; its next
#     FLUSH succeeds;
#   - every other connection open at the time gets EIO on its next FLUSH
#     exactly once, then succeeds; a FUA write counts as a FLUSH (it
#     reports the failure once), and a FUA write can be the request that
#     finds the failure;
#   - a connection opened after the failure does not hear of it;
#   - the sequence persists in STATE-DIR/errseq.json ({"seq": 1,
#     "acked": 0, ...}); a restarted server's new connections do not hear
#     of it again, unless report-past-errors=true, where every new
#     connection's first FLUSH fails once (seq > acked), then succeeds.
. "$(dirname "$0")/functions.sh"

requires python3 -c 'import nbd'

img=$tmp/disk.img
img2=$tmp/disk2.img
truncate -s 16M "$img" "$img2"
state=$img.nbdscrub/errseq.json
state2=$img2.nbdscrub/errseq.json

cat >"$tmp/client.py" <<'EOF'
import json
import os
import sys

import nbd
from nbdtest import connect, expect_err, expect_ok

phase, sock = sys.argv[1], sys.argv[2]
K, M = 1024, 1024 * 1024


if phase == "flush-finds":
    h1, h2, h4 = connect(sock), connect(sock), connect(sock)
    data = os.urandom(64 * K)
    expect_ok("h1 write", h1.pwrite, data, 0)
    expect_err("h1 flush (fdatasync fails)", "EIO", h1.flush)
    for i in range(3):
        expect_ok("h1 flush after its failure (%d)" % i, h1.flush)
    # h2 was open: told once, at its next FLUSH.
    expect_err("h2 first flush after h1's failure", "EIO", h2.flush)
    for i in range(3):
        expect_ok("h2 flush after being told (%d)" % i, h2.flush)
    # h4 was open: its next FUA write reports it, once.
    expect_err("h4 FUA write after h1's failure", "EIO", h4.pwrite, data,
               1 * M, nbd.CMD_FLAG_FUA)
    expect_ok("h4 second FUA write", h4.pwrite, data, 1 * M,
              nbd.CMD_FLAG_FUA)
    expect_ok("h4 flush", h4.flush)
    # The FUA write that reported the failure still wrote.
    assert expect_ok("h4 read back", h4.pread, 64 * K, 1 * M) == data
    # h3 opened after the failure: nothing to report.
    h3 = connect(sock)
    for i in range(3):
        expect_ok("h3 (opened after) flush (%d)" % i, h3.flush)
        expect_ok("h3 FUA write (%d)" % i, h3.pwrite, data, 2 * M,
                  nbd.CMD_FLAG_FUA)
    # Nobody hears of it twice.
    for h, n in ((h1, "h1"), (h2, "h2"), (h4, "h4")):
        expect_ok(n + " final flush", h.flush)
    for h in (h1, h2, h3, h4):
        h.shutdown()

elif phase == "fua-finds":
    h1, h2 = connect(sock), connect(sock)
    data = os.urandom(64 * K)
    expect_err("h1 FUA write (fdatasync fails)", "EIO", h1.pwrite, data, 0,
               nbd.CMD_FLAG_FUA)
    expect_ok("h1 next FUA write", h1.pwrite, data, 0, nbd.CMD_FLAG_FUA)
    expect_ok("h1 flush after its FUA failure", h1.flush)
    expect_err("h2 flush after h1's FUA failure", "EIO", h2.flush)
    expect_ok("h2 second flush", h2.flush)
    h1.shutdown()
    h2.shutdown()

elif phase == "fresh":
    # A restarted server, default report-past-errors=false: new
    # connections start from now.
    for n in range(2):
        h = connect(sock)
        for i in range(3):
            expect_ok("connection %d to the restarted server: flush %d"
                      % (n, i), h.flush)
        h.shutdown()

elif phase == "report-past":
    # report-past-errors=true: each new connection starts from the last
    # acknowledged value (0), so its first FLUSH reports seq 1, once.
    hs = [connect(sock), connect(sock)]
    for n, h in enumerate(hs):
        expect_err("connection %d: first flush (report-past-errors)" % n,
                   "EIO", h.flush)
        for i in range(3):
            expect_ok("connection %d: flush %d after being told" % (n, i),
                      h.flush)
    h = connect(sock)
    expect_err("FUA write as the first flush of a new connection", "EIO",
               h.pwrite, bytes(4 * K), 0, nbd.CMD_FLAG_FUA)
    expect_ok("its next flush", h.flush)
    for h2 in hs + [h]:
        h2.shutdown()

elif phase == "state":
    # client.py state FILE SEQ ACKED
    path, seq, acked = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(path) as f:
        d = json.load(f)
    want = {"seq": seq, "acked": acked, "volatile_unclean": False,
            "suspect": False}
    for k, v in want.items():
        assert k in d, "%s: no %r in %r" % (path, k, d)
        assert d[k] == v and type(d[k]) == type(v), \
            "%s: %s is %r, expected %r (%r)" % (path, k, d[k], v, d)

else:
    raise SystemExit("unknown phase " + phase)
EOF

# 1. A FLUSH finds the failure.
start_nbdkit "$tmp/a.pid" -U "$tmp/a.sock" "$plugin" "$img" \
    errortag=fsync-eio*1
python3 "$tmp/client.py" flush-finds "$tmp/a.sock" ||
    fail "fsync-eio*1: a FLUSH finding the failure"
python3 "$tmp/client.py" state "$state" 1 0 ||
    fail "errseq.json while serving"
kill_nbdkit "$tmp/a.pid"
python3 "$tmp/client.py" state "$state" 1 0 ||
    fail "errseq.json after a clean shutdown"

# 2. A FUA write finds it.
start_nbdkit "$tmp/b.pid" -U "$tmp/b.sock" "$plugin" "$img2" \
    errortag=fsync-eio*1
python3 "$tmp/client.py" fua-finds "$tmp/b.sock" ||
    fail "fsync-eio*1: a FUA write finding the failure"
kill_nbdkit "$tmp/b.pid"
python3 "$tmp/client.py" state "$state2" 1 0 ||
    fail "errseq.json after a failure found by FUA"

# 3. Restarted over the same image and state dir: new connections start
# from now.
start_nbdkit "$tmp/c.pid" -U "$tmp/c.sock" "$plugin" "$img"
python3 "$tmp/client.py" fresh "$tmp/c.sock" ||
    fail "restarted server, report-past-errors=false"
kill_nbdkit "$tmp/c.pid"
python3 "$tmp/client.py" state "$state" 1 0 ||
    fail "errseq.json after a restart"

# 4. report-past-errors=true: they start from the last acknowledged value.
start_nbdkit "$tmp/d.pid" -U "$tmp/d.sock" "$plugin" "$img" \
    report-past-errors=true
python3 "$tmp/client.py" report-past "$tmp/d.sock" ||
    fail "report-past-errors=true"
python3 "$tmp/client.py" state "$state" 1 0 ||
    fail "errseq.json with report-past-errors=true (reporting is no ack)"
kill_nbdkit "$tmp/d.pid"

exit 0
