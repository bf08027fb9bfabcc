#!/bin/sh
# Instance-fatal errors (SPEC section 4): with errortag=fatal-ebadf@8M,
#   - requests that do not touch 8M work normally;
#   - the request that touches 8M fails with ESHUTDOWN, and a later
#     request elsewhere on the same connection fails with ESHUTDOWN too
#     (or finds the connection closed by the server): never success, never
#     EIO;
#   - another connection is cut off as well;
#   - the server shuts itself down: nbdkit exits within 10 s, without being
#     signalled and while its clients stay connected (idle), so that they
#     are disconnected instead of left on a dead export; it logs a
#     transport-error naming the failure.
. "$(dirname "$0")/functions.sh"

requires python3 -c 'import nbd'

img=$tmp/disk.img
truncate -s 16M "$img"

cat >"$tmp/client.py" <<'EOF'
import os
import sys
import time

import nbd
from nbdtest import connect

sock, pid = sys.argv[1], int(sys.argv[2])
K, M = 1024, 1024 * 1024


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def expect_shutdown(h, what, fn, *args):
    """ESHUTDOWN, or the server has closed the connection."""
    try:
        fn(*args)
    except nbd.Error as e:
        if e.errno == "ESHUTDOWN":
            return
        if h.aio_is_dead() or h.aio_is_closed():
            return      # disconnected by the server: also acceptable
        raise AssertionError("%s: expected ESHUTDOWN or a disconnect, got "
                             "%s (%s)" % (what, e.errno, e))
    raise AssertionError("%s: succeeded after an instance-fatal error"
                         % what)


h = connect(sock)
other = connect(sock)
data = os.urandom(64 * K)
for i in range(10):
    h.pread(64 * K, i * 64 * K)
    other.pread(4 * K, 12 * M)
    h.pwrite(data, 2 * M)
    assert h.pread(64 * K, 2 * M) == data
    h.pread(4 * K, 8 * M - 4 * K)            # just before 8M
    h.pread(4 * K, 8 * M + 1)                # just after
h.flush()
assert alive(pid), "nbdkit exited before the fatal error"

# The request that touches 8M.
try:
    h.pread(8 * K, 8 * M - 4 * K)
except nbd.Error as e:
    assert e.errno == "ESHUTDOWN", \
        "read touching 8M: expected ESHUTDOWN, got %s (%s)" % (e.errno, e)
else:
    raise AssertionError("read touching 8M succeeded (fatal-ebadf@8M)")

# Everything after it, on this connection and the other.
expect_shutdown(h, "read at 0 after the fatal error", h.pread, 4 * K, 0)
expect_shutdown(h, "write after the fatal error", h.pwrite, data, 0)
expect_shutdown(other, "read on the other connection", other.pread, 4 * K,
                12 * M)

# The server goes away by itself, while both clients stay connected and
# idle: nothing but the plugin's shutdown may end it.
deadline = time.monotonic() + 10
while alive(pid):
    if time.monotonic() > deadline:
        raise AssertionError("nbdkit (pid %d) still running 10 s after an "
                             "instance-fatal error, with two idle clients "
                             "connected" % pid)
    time.sleep(0.1)

# And the clients find themselves disconnected.
expect_shutdown(h, "read after the server exited", h.pread, 4 * K, 0)
expect_shutdown(other, "read on the other connection after the server "
                "exited", other.pread, 4 * K, 0)
EOF

# -v keeps nbdkit's stderr after it forks into the background.
start_nbdkit "$tmp/nbdkit.pid" -v --log=stderr -U "$tmp/sock" \
    "$plugin" "$img" errortag=fatal-ebadf@8M 2>"$tmp/nbdkit.log"
pid=$(cat "$tmp/nbdkit.pid")

python3 "$tmp/client.py" "$tmp/sock" "$pid" || {
    grep -v 'debug:' "$tmp/nbdkit.log" >&2
    fail "fatal-ebadf@8M"
}
wait_gone "$pid" 10 || fail "nbdkit did not exit after fatal-ebadf@8M"
rm -f "$tmp/nbdkit.pid"

grep -v 'debug:' "$tmp/nbdkit.log" | grep 'transport-error' \
    | grep -q 'Bad file descriptor' || {
    grep -v 'debug:' "$tmp/nbdkit.log" >&2
    fail "no transport-error (EBADF) in the server's log"
}

# A fresh server on the same image serves again (the failure was injected,
# the image is fine): the shutdown left no state that refuses it.
start_nbdkit "$tmp/b.pid" -U "$tmp/b.sock" "$plugin" "$img"
python3 -c '
import nbd, sys
h = nbd.NBD()
h.connect_unix(sys.argv[1])
h.pread(4096, 8 * 1024 * 1024)
h.flush()
' "$tmp/b.sock" ||
    fail "a new server cannot serve the image after the fatal error"

exit 0
