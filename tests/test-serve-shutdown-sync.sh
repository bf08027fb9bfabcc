#!/bin/sh
# nbdkit 1.32 skips .close for connections still open at shutdown: the
# plugin's final fdatasync must still happen (in .cleanup), so writes a
# client never flushed are made durable when the server is stopped.
. "$(dirname "$0")/functions.sh"

requires strace -V
requires nbdsh --version

make_image "$tmp/disk.img" 64M
sock=$tmp/sock

# Trace only fdatasync, in every thread of nbdkit.
strace -f -qq -e trace=fdatasync -o "$tmp/trace" \
    nbdkit -f -U "$sock" -P "$tmp/pid" "$plugin" "$tmp/disk.img" &
tracer=$!
cleanup_fn "kill $tracer 2>/dev/null"
i=0
while [ ! -S "$sock" ] || [ ! -s "$tmp/pid" ]; do
    i=$((i + 1)); [ $i -le 300 ] || fail "nbdkit did not start"; sleep 0.1
done

# A client writes without flushing and stays connected while the server
# is told to stop.
cat >"$tmp/client.py" <<PY
import nbd, os, signal, time
h = nbd.NBD()
h.connect_uri("nbd+unix:///?socket=$sock")
h.pwrite(b"\xee" * 65536, 1 << 20)
os.kill(int(open("$tmp/pid").read()), signal.SIGTERM)
time.sleep(1)
PY
python3 "$tmp/client.py" || true
wait $tracer || true

n=$(grep -c 'fdatasync(' "$tmp/trace" || true)
[ "$n" -ge 1 ] || fail "no fdatasync at shutdown (trace: $(cat "$tmp/trace"))"
grep 'fdatasync(' "$tmp/trace" | grep -q '= 0' || fail "fdatasync failed"

# And the data is in the image.
python3 - "$tmp/disk.img" <<'PY'
import sys
with open(sys.argv[1], "rb") as f:
    f.seek(1 << 20)
    assert f.read(65536) == b"\xee" * 65536, "unflushed write lost"
PY
