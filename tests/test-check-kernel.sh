#!/bin/sh
# nbdscrub check on images the kernel wrote: mount through a loop device,
# run a file workload (create, append, truncate, rename, unlink, hard and
# symbolic links, xattrs small and large, deep trees made and removed, a
# directory large enough to be indexed), unmount; nbdscrub check must
# then exit 0 with no CORRUPT or XCORRUPT finding, as e2fsck -fn does.
# On ext4 4k and 1k, ext4 without metadata_csum and ext3.
#
# Then a crash image: the image copied while still mounted, after sync
# (the journal may hold transactions not yet written home):
# nbdscrub's verdict must equal e2fsck -fn's after e2fsck -E
# journal_only has replayed the journal on another copy.
. "$(dirname "$0")/functions.sh"

requires_loop
requires mount --version
requires e2fsck -V
requires python3 --version

# NBDSCRUB=PATH checks another build (the sanitizer build is the default
# when there is one).
nbdscrub=${NBDSCRUB:-$top/scrub/nbdscrub}
[ -n "${NBDSCRUB:-}" ] || [ ! -x "$top/build/san/nbdscrub" ] ||
    nbdscrub=$top/build/san/nbdscrub
"$nbdscrub" check --help >/dev/null 2>&1 ||
    [ $? -eq 16 ] || skip "this nbdscrub has no check command"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

mnt=$tmp/mnt
mkdir -p "$mnt"
loop=

detach ()
{
    if is_mounted "$mnt"; then umount "$mnt" || umount -l "$mnt"; fi
    if [ -n "$loop" ]; then losetup -d "$loop" 2>/dev/null; loop=; fi
}
cleanup_fn detach

# workload DIR: what a user does to a filesystem, deterministic.
workload ()
{
    python3 - "$1" <<'PY'
import os, shutil, sys
root = sys.argv[1]
os.chdir(root)
data = bytes(range(256)) * 64                       # 16 KiB
os.makedirs("deep/a/b/c/d/e", exist_ok=True)
for i in range(200):
    with open("deep/a/b/file%03d" % i, "wb") as f:
        f.write(data[: (i * 37) % len(data)])
os.makedirs("big", exist_ok=True)
for i in range(700):                                # an htree directory
    with open("big/a-long-file-name-to-fill-blocks-%04d" % i, "w") as f:
        f.write(str(i))
with open("grow", "wb") as f:
    for i in range(64):
        f.write(data)
        f.flush()
with open("grow", "ab") as f:
    f.write(data * 8)
with open("sparse", "wb") as f:
    for off in (0, 1 << 20, 5 << 20):
        f.seek(off)
        f.write(data)
os.truncate("grow", 100000)
os.truncate("sparse", 3 << 20)
for i in range(0, 200, 3):
    os.unlink("deep/a/b/file%03d" % i)
for i in range(0, 700, 5):
    os.rename("big/a-long-file-name-to-fill-blocks-%04d" % i,
              "big/renamed-%04d" % i)
os.link("grow", "grow-hardlink")
os.link("grow", "deep/a/b/c/grow-hardlink")
os.symlink("grow", "fastlink")
os.symlink("deep/a/b/c/d/e/" + "x" * 100, "slowlink")
os.setxattr("grow", "user.small", b"v")
os.setxattr("sparse", "user.large", b"L" * 900)
os.setxattr("deep/a", "user.dir", b"on a directory")
os.makedirs("tree/" + "/".join("n%d" % i for i in range(20)),
            exist_ok=True)
shutil.rmtree("tree")
os.makedirs("keep/x/y", exist_ok=True)
os.rename("keep/x", "moved")
os.mkfifo("fifo")
with open("moved/y/last", "w") as f:
    f.write("last\n")
PY
}

# check_clean IMG WHAT: nbdscrub check agrees with e2fsck -fn that IMG is clean.
check_clean ()
{
    e2fsck -fn "$1" >"$tmp/e2fsck.out" 2>&1 || {
        cat "$tmp/e2fsck.out" >&2
        fail "$2: e2fsck -fn exits $? on a kernel-written image"
    }
    rc=0
    "$nbdscrub" check --json --no-progress "$1" >"$tmp/check.json" \
        2>"$tmp/check.err" || rc=$?
    if grep -q 'Sanitizer\|runtime error:' "$tmp/check.err"; then
        cat "$tmp/check.err" >&2
        fail "$2: sanitizer report"
    fi
    [ $rc -eq 0 ] || {
        cat "$tmp/check.json" "$tmp/check.err" >&2
        fail "$2: nbdscrub check exits $rc where e2fsck -fn exits 0"
    }
    python3 - "$tmp/check.json" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
bad = [p for p in doc["problems"] if p["severity"] in ("corrupt", "xcorrupt")]
assert doc["result"] == "clean" and not bad, (sys.argv[2], bad)
extra = ["%s(%s)" % (p["name"], p["severity"]) for p in doc["problems"]]
print("%s: clean, e2fsck agrees%s" % (sys.argv[2],
      (", also: " + " ".join(extra)) if extra else ""))
PY
}

for kind in "ext4 -b 4096" "ext4 -b 1024" \
            "ext4 -b 4096 -O ^metadata_csum,uninit_bg" "ext3 -b 1024"; do
    img=$tmp/img
    rm -f "$img"
    truncate -s 64M "$img"
    # shellcheck disable=SC2086
    mke2fs -q -F -t $kind "$img"
    loop=$(losetup -f --show "$img") || skip "losetup failed"
    mount "$loop" "$mnt" || { detach; skip "cannot mount $kind here"; }
    workload "$mnt"
    umount "$mnt"
    losetup -d "$loop"
    loop=
    check_clean "$img" "mke2fs -t $kind, kernel workload, unmounted"
done

# The crash image: ext4, copied while mounted, after sync.
img=$tmp/img
rm -f "$img"
truncate -s 64M "$img"
mke2fs -q -F -t ext4 -b 1024 "$img"
loop=$(losetup -f --show "$img")
mount "$loop" "$mnt"
workload "$mnt"
sync
rm -rf "$mnt/deep/a/b/c"
echo more >"$mnt/moved/y/more"
sync
cp --sparse=always "$img" "$tmp/crash"
detach

cp --sparse=always "$tmp/crash" "$tmp/crash-replayed"
e2fsck -E journal_only -y "$tmp/crash-replayed" >/dev/null 2>&1 || true
e2rc=0
e2fsck -fn "$tmp/crash-replayed" >"$tmp/e2fsck.out" 2>&1 || e2rc=$?
nbrc=0
"$nbdscrub" check --json --no-progress "$tmp/crash" >"$tmp/check.json" \
    2>"$tmp/check.err" || nbrc=$?
if grep -q 'Sanitizer\|runtime error:' "$tmp/check.err"; then
    cat "$tmp/check.err" >&2
    fail "crash image: sanitizer report"
fi
needs=$(dumpe2fs -h "$tmp/crash" 2>/dev/null |
        awk '/^Filesystem features:/ && /needs_recovery/ { print "yes" }')
echo "crash image (needs_recovery: ${needs:-no}): e2fsck after replay" \
     "exits $e2rc, nbdscrub check exits $nbrc"
python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print("crash image findings: " + (" ".join("%s(%s)" % (p["name"], p["severity"])
      for p in doc["problems"]) or "none"))' "$tmp/check.json" || true
case $e2rc/$nbrc in
0/0 | 4/4) ;;
*) cat "$tmp/e2fsck.out" "$tmp/check.json" >&2
   fail "crash image: nbdscrub exits $nbrc, e2fsck after replay $e2rc" ;;
esac
