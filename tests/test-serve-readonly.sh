#!/bin/sh
# Read-only serving:
#  - with nbdkit -r the export is read-only (nbdinfo says so), reads
#    return the image's bytes, and write, zero and trim fail with EPERM
#    without changing the image file;
#  - an image file the server cannot open for writing (immutable, via
#    chattr +i, because root ignores file modes) is served read-only
#    without -r: can_write is false, writes fail with EPERM, reads work.
. "$(dirname "$0")/functions.sh"

requires nbdsh --version
requires nbdinfo --version
requires python3 -c 'import nbd'

img=$tmp/disk.img
truncate -s 4M "$img"
dd if=/dev/urandom of="$img" bs=64k count=16 conv=notrunc status=none
sum_before=$(md5sum <"$img")

cat >"$tmp/ro.py" <<'EOF'
import nbd
M = 1 << 20
img = open(IMG, "rb").read()
assert h.get_size() == 4 * M, h.get_size()
assert h.is_read_only(), "the export is not read-only"
assert not h.can_trim() and not h.can_zero(), "trim/zero offered read-only"
assert h.pread(M, 0) == img[:M], "read does not match the image file"
assert h.pread(4096, 3 * M + 11) == img[3 * M + 11:3 * M + 11 + 4096]

# libnbd refuses these itself unless told not to: let the server answer.
h.set_strict_mode(0)
def eperm(what, fn, *args):
    try:
        fn(*args)
    except nbd.Error as ex:
        assert ex.errno == "EPERM", "%s: %s, expected EPERM" % (what, ex.errno)
    else:
        raise AssertionError("%s succeeded on a read-only export" % what)
eperm("pwrite", h.pwrite, b"\xff" * 4096, 0)
eperm("pwrite FUA", h.pwrite, b"\xff" * 10, M + 1, nbd.CMD_FLAG_FUA)
eperm("zero", h.zero, 65536, 0)
eperm("trim", h.trim, 65536, 0)
# Still serving, still the same bytes.
assert h.pread(M, 0) == img[:M]
h.flush()
print(LABEL, "OK")
EOF

run_ro ()   # LABEL NBDKIT-ARGS...
{
    _label=$1
    shift
    sed -e "1i IMG = '$img'; LABEL = '$_label'" "$tmp/ro.py" >"$tmp/ro-run.py"
    nbdkit -U - "$@" --run '
        nbdinfo "$uri" >'"$tmp"'/info.txt &&
        nbdsh -u "$uri" -c "exec(open(\"'"$tmp"'/ro-run.py\").read())"' ||
        fail "$_label: nbdkit did not serve or the nbdsh assertions failed (see above)"
    grep -Eq '^[[:space:]]*is_read_only:[[:space:]]*true' "$tmp/info.txt" || {
        cat "$tmp/info.txt"
        fail "$_label: nbdinfo does not say read-only"
    }
    [ "$(md5sum <"$img")" = "$sum_before" ] ||
        fail "$_label: the image file changed"
}

# 1. nbdkit -r.
run_ro "nbdkit -r" -r "$plugin" "$img"

# 2. An image that cannot be opened for writing.
if ! chattr +i "$img" 2>/dev/null; then
    echo "$(basename "$0"): SKIP (sub-case): chattr +i is not supported" \
         "on the filesystem of $tmp, so root cannot be kept from writing"
    exit 0
fi
cleanup_fn chattr -i "$img"
# Make sure the flag really stops root before relying on it.
if (exec 3>>"$img") 2>/dev/null; then
    fail "chattr +i did not stop root from opening $img for writing"
fi
run_ro "immutable image" "$plugin" "$img"
chattr -i "$img"
