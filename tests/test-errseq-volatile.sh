#!/bin/sh
# flush=volatile and the sticky error sequence (SPEC section 5):
#   - with writeback-interval=50ms errortag=fsync-eio*1 the background
#     write-back fails once; from then on every FLUSH (and FUA write) on
#     every connection fails with EIO, again and again, and so does the
#     FLUSH of a connection opened afterwards, and of a connection to a
#     server restarted over the same state (nothing acknowledged it);
#     reads and writes go on working;
#   - without a failure, flush=volatile FLUSHes succeed; errseq.json says
#     volatile_unclean=true while serving and false after a clean stop
#     (SIGTERM), after which a flush=sync server over it is not suspect;
#   - FLUSH runs no fdatasync in volatile mode (a failing one is not met),
#     the final one at SIGTERM does: when it fails, volatile_unclean stays
#     true and the next server fails every FLUSH;
#   - a flush=volatile server killed with SIGKILL leaves
#     volatile_unclean=true; the next server over that image (flush=sync)
#     logs that the image may be inconsistent, fails every FLUSH on every
#     connection with EIO (suspect), still serves reads and writes, and
#     records suspect=true.
. "$(dirname "$0")/functions.sh"

requires python3 -c 'import nbd'

img1=$tmp/failed.img
img2=$tmp/clean.img
img3=$tmp/crash.img
truncate -s 16M "$img1" "$img2" "$img3"
state1=$img1.nbdscrub/errseq.json
state2=$img2.nbdscrub/errseq.json
state3=$img3.nbdscrub/errseq.json

cat >"$tmp/client.py" <<'EOF'
import json
import os
import sys
import time

import nbd
from nbdtest import connect, expect_err, expect_ok

phase, sock, state = sys.argv[1], sys.argv[2], sys.argv[3]
K, M = 1024, 1024 * 1024


def load():
    with open(state) as f:
        return json.load(f)


def expect_state(**want):
    d = load()
    for k, v in want.items():
        assert k in d and d[k] == v and type(d[k]) == type(v), \
            "%s: %s should be %r: %r" % (state, k, v, d)


def reads_and_writes_work(h, what, off):
    data = os.urandom(64 * K)
    expect_ok(what + ": write", h.pwrite, data, off)
    assert expect_ok(what + ": read", h.pread, 64 * K, off) == data, \
        what + ": read back wrong data"


def always_fails(hs, what, rounds=10):
    for i in range(rounds):
        for n, h in enumerate(hs):
            expect_err("%s: h%d flush %d" % (what, n + 1, i), "EIO", h.flush)


if phase == "sticky":
    h1, h2 = connect(sock), connect(sock)
    # The first background fdatasync (after 50 ms) fails: wait for it to
    # be recorded, then some more intervals.
    deadline = time.monotonic() + 10
    while not (os.path.exists(state) and load().get("seq", 0) >= 1):
        assert time.monotonic() < deadline, \
            "the background write-back failure was not recorded in 10 s"
        time.sleep(0.05)
    time.sleep(0.5)
    expect_state(seq=1, acked=0, volatile_unclean=True, suspect=False)
    always_fails([h1, h2], "after the write-back failure")
    reads_and_writes_work(h1, "h1", 0)
    reads_and_writes_work(h2, "h2", 1 * M)
    always_fails([h1, h2], "after more writes")
    expect_err("h1 FUA write", "EIO", h1.pwrite, bytes(4 * K), 2 * M,
               nbd.CMD_FLAG_FUA)
    expect_err("h2 FUA write", "EIO", h2.pwrite, bytes(4 * K), 2 * M,
               nbd.CMD_FLAG_FUA)
    # A new connection is not spared.
    h3 = connect(sock)
    always_fails([h3], "a connection opened after the failure", 5)
    time.sleep(0.3)                 # more (successful) write-backs
    always_fails([h1, h2, h3], "after later successful write-backs", 5)
    expect_state(seq=1, acked=0)
    for h in (h1, h2, h3):
        h.shutdown()

elif phase == "still-sticky":
    # A restarted flush=volatile server: not acknowledged, still failing.
    h1, h2 = connect(sock), connect(sock)
    always_fails([h1, h2], "restarted over an unacknowledged failure", 5)
    reads_and_writes_work(h1, "h1 after the restart", 3 * M)
    for h in (h1, h2):
        h.shutdown()

elif phase == "clean":
    h1, h2 = connect(sock), connect(sock)
    for i in range(10):
        reads_and_writes_work(h1, "h1", i * 64 * K)
        expect_ok("h1 flush %d" % i, h1.flush)
        expect_ok("h2 flush %d" % i, h2.flush)
        expect_ok("h2 FUA write %d" % i, h2.pwrite, bytes(4 * K), 4 * M,
                  nbd.CMD_FLAG_FUA)
    time.sleep(0.3)                 # some background write-backs
    h3 = connect(sock)
    for h in (h1, h2, h3):
        expect_ok("flush after write-backs", h.flush)
    expect_state(volatile_unclean=True, suspect=False)
    assert load()["seq"] == load()["acked"], "seq moved: %r" % load()
    for h in (h1, h2, h3):
        h.shutdown()

elif phase == "sync-ok":
    h = connect(sock)
    for i in range(3):
        expect_ok("flush=sync after a clean volatile session: flush %d" % i,
                  h.flush)
    h.shutdown()

elif phase == "before-crash":
    h = connect(sock)
    reads_and_writes_work(h, "before the crash", 0)
    expect_ok("flush before the crash", h.flush)
    expect_state(volatile_unclean=True)
    h.shutdown()

elif phase == "after-crash":
    h1, h2 = connect(sock), connect(sock)
    always_fails([h1, h2], "after a crashed volatile session", 5)
    reads_and_writes_work(h1, "h1 after the crash", 2 * M)
    reads_and_writes_work(h2, "h2 after the crash", 3 * M)
    always_fails([h1, h2], "after a crashed volatile session, later", 5)
    expect_err("FUA write after a crashed volatile session", "EIO",
               h1.pwrite, bytes(4 * K), 4 * M, nbd.CMD_FLAG_FUA)
    h3 = connect(sock)
    always_fails([h3], "new connection after a crashed volatile session", 3)
    expect_state(suspect=True)
    d = load()
    assert d["seq"] > d["acked"], "suspect but seq == acked: %r" % d
    for h in (h1, h2, h3):
        h.shutdown()

elif phase == "no-sync-on-flush":
    # writeback-interval=1h errortag=fsync-eio*1: FLUSH runs no fdatasync,
    # so the one failing fdatasync is not met while serving.
    h1, h2 = connect(sock), connect(sock)
    for i in range(10):
        reads_and_writes_work(h1, "h1", i * 64 * K)
        expect_ok("volatile h1 flush %d" % i, h1.flush)
        expect_ok("volatile h2 flush %d" % i, h2.flush)
        expect_ok("volatile h2 FUA write %d" % i, h2.pwrite, bytes(4 * K),
                  4 * M, nbd.CMD_FLAG_FUA)
    expect_state(volatile_unclean=True, suspect=False)
    for h in (h1, h2):
        h.shutdown()

elif phase == "state":
    # client.py state - FILE KEY=JSON...
    d = load()
    for kv in sys.argv[4:]:
        k, v = kv.split("=", 1)
        v = json.loads(v)
        assert k in d and d[k] == v and type(d[k]) == type(v), \
            "%s: %s should be %r: %r" % (state, k, v, d)

else:
    raise SystemExit("unknown phase " + phase)
EOF

# 1. The background write-back fails: sticky.
start_nbdkit "$tmp/a.pid" -U "$tmp/a.sock" "$plugin" "$img1" \
    flush=volatile writeback-interval=50ms errortag=fsync-eio*1
python3 "$tmp/client.py" sticky "$tmp/a.sock" "$state1" ||
    fail "flush=volatile with a failed write-back"
kill_nbdkit "$tmp/a.pid"
python3 "$tmp/client.py" state - "$state1" seq=1 acked=0 \
    volatile_unclean=false suspect=false ||
    fail "errseq.json after a clean stop of a failed volatile session"

start_nbdkit "$tmp/a2.pid" -U "$tmp/a2.sock" "$plugin" "$img1" \
    flush=volatile writeback-interval=50ms
python3 "$tmp/client.py" still-sticky "$tmp/a2.sock" "$state1" ||
    fail "flush=volatile restarted over an unacknowledged failure"
kill_nbdkit "$tmp/a2.pid"

# 2. No failure: FLUSH succeeds, a clean stop clears the mark.
start_nbdkit "$tmp/b.pid" -U "$tmp/b.sock" "$plugin" "$img2" \
    flush=volatile writeback-interval=50ms
python3 "$tmp/client.py" clean "$tmp/b.sock" "$state2" ||
    fail "flush=volatile without failures"
kill_nbdkit "$tmp/b.pid"
python3 "$tmp/client.py" state - "$state2" volatile_unclean=false \
    suspect=false ||
    fail "errseq.json after SIGTERM of a volatile session"
start_nbdkit "$tmp/b2.pid" -U "$tmp/b2.sock" "$plugin" "$img2"
python3 "$tmp/client.py" sync-ok "$tmp/b2.sock" "$state2" ||
    fail "flush=sync after a cleanly stopped volatile session"
kill_nbdkit "$tmp/b2.pid"

# 3. FLUSH does not sync in volatile mode; the final sync at a clean stop
# does, and if it fails the session is not clean.
img4=$tmp/final.img
truncate -s 16M "$img4"
state4=$img4.nbdscrub/errseq.json
start_nbdkit "$tmp/d.pid" -U "$tmp/d.sock" "$plugin" "$img4" \
    flush=volatile writeback-interval=1h errortag=fsync-eio*1
python3 "$tmp/client.py" no-sync-on-flush "$tmp/d.sock" "$state4" ||
    fail "flush=volatile: FLUSH ran fdatasync"
kill_nbdkit "$tmp/d.pid"
python3 "$tmp/client.py" state - "$state4" volatile_unclean=true ||
    fail "a volatile session whose final fdatasync failed was marked clean"
start_nbdkit "$tmp/d2.pid" -U "$tmp/d2.sock" "$plugin" "$img4" \
    2>"$tmp/d2.log"
python3 "$tmp/client.py" after-crash "$tmp/d2.sock" "$state4" ||
    fail "flush=sync after a volatile session whose final sync failed"
kill_nbdkit "$tmp/d2.pid"

# 4. A volatile session killed with SIGKILL.
start_nbdkit "$tmp/c.pid" -U "$tmp/c.sock" "$plugin" "$img3" flush=volatile
python3 "$tmp/client.py" before-crash "$tmp/c.sock" "$state3" ||
    fail "flush=volatile before the crash"
pid=$(cat "$tmp/c.pid")
kill -9 "$pid"
wait_gone "$pid" 10 || fail "nbdkit survived SIGKILL"
rm -f "$tmp/c.pid"
python3 "$tmp/client.py" state - "$state3" volatile_unclean=true ||
    fail "errseq.json after SIGKILL of a volatile session"

# -v keeps nbdkit's stderr after it forks into the background.
start_nbdkit "$tmp/c2.pid" -v --log=stderr -U "$tmp/c2.sock" "$plugin" \
    "$img3" flush=sync 2>"$tmp/c2.log"
python3 "$tmp/client.py" after-crash "$tmp/c2.sock" "$state3" ||
    fail "flush=sync after a crashed volatile session"
grep -v 'debug:' "$tmp/c2.log" | grep -q 'may be inconsistent' || {
    grep -v 'debug:' "$tmp/c2.log" >&2
    fail "the server did not log that the image may be inconsistent"
}
kill_nbdkit "$tmp/c2.pid"
# Still suspect after a clean stop: only an acknowledgement clears it.
python3 "$tmp/client.py" state - "$state3" suspect=true ||
    fail "errseq.json lost the suspect mark at shutdown"

exit 0
