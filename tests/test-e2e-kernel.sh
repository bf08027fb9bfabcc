#!/bin/sh
# The Linux kernel as the client: an ext4 filesystem in an image served by
# the plugin, reached through nbdfuse and a loop device (no nbd module
# needed), keeps everything written to it:
#  - a tree of a few hundred small files, a 20 MiB random file, nested
#    directories, a sparse file, a symlink, a hard link and an xattr
#    survive sync + umount + mount, with identical checksums and metadata;
#  - deleting a file and running fstrim punches holes in the image file
#    (discard travels loop -> FUSE -> NBD trim -> the plugin);
#  - after an orderly teardown (umount, umount FUSE, nbdfuse exits 0,
#    nbdkit stops) e2fsck -fn finds the image clean, and the same tree is
#    in the image file itself (loop-mounted directly, read-only).
. "$(dirname "$0")/functions.sh"

requires_fuse
requires_loop
requires mke2fs -V
requires e2fsck -V
requires mount --version
requires umount --version
requires python3 -c 'import os; os.setxattr'

t0=$(date +%s)
img=$tmp/disk.img
sock=$tmp/sock
fmnt=$tmp/fmnt
mnt=$tmp/mnt
raw=$fmnt/disk.raw
mkdir "$fmnt" "$mnt"

make_image "$img" 256M
start_nbdkit "$tmp/nbdkit.pid" -U "$sock" "$plugin" "$img"

# Cleanup, in reverse order of registration: the filesystem, then the
# FUSE mount and nbdfuse, then (registered by start_nbdkit) nbdkit.
# umount -l is the last resort, so that a failed run leaks no mount.
fuse_pid=
stop_fuse ()
{
    unmount_fuse "$fmnt" "$fuse_pid"
}
unmount_fs ()
{
    unmount_loop "$mnt" "$raw" "$img"
}
cleanup_fn stop_fuse
cleanup_fn unmount_fs

start_nbdfuse "$raw" "$sock"
[ "$(stat -c %s "$raw")" -eq $((256 * 1024 * 1024)) ] ||
    fail "the FUSE file has the wrong size: $(stat -c %s "$raw")"

mount -o loop "$raw" "$mnt" || fail "mount -o loop of the FUSE file failed"
t1=$(date +%s)

# --- write a tree --------------------------------------------------------
mkdir -p "$mnt/d/a/b/c" "$mnt/many" "$mnt/empty-dir"
i=0
while [ $i -lt 300 ]; do
    j=0 line=
    while [ $j -le $((i % 37)) ]; do line="$line$i.$j "; j=$((j + 1)); done
    printf 'file %d\n%s\n' $i "$line" >"$mnt/many/f$i.txt"
    i=$((i + 1))
done
echo "leaf" >"$mnt/d/a/b/c/leaf.txt"
: >"$mnt/empty"
dd if=/dev/urandom of="$mnt/big.bin" bs=1M count=20 status=none
big_sum=$(md5sum <"$mnt/big.bin")
# A sparse file: data at 5 MiB inside 10 MiB of nothing.
truncate -s 10M "$mnt/sparse.bin"
printf 'in the middle' | dd of="$mnt/sparse.bin" bs=1 seek=$((5 * 1024 * 1024)) \
    conv=notrunc status=none
ln -s d/a/b/c/leaf.txt "$mnt/link"
ln "$mnt/big.bin" "$mnt/big.hard"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.nbdscrub", b"scrubbed value")' \
    "$mnt/d/a/b/c/leaf.txt" || fail "setting an xattr failed"
# Something to delete later (so that fstrim has something to discard):
# synced, so that it really is in the image before it goes.
dd if=/dev/urandom of="$mnt/doomed.bin" bs=1M count=24 status=none
sync
before=$(du -k "$img" | cut -f1)

# The manifest: type, path, size, link count, symlink target, mode, and a
# checksum of every regular file; the xattr; the hard link's inode.
manifest ()
{
    (
        cd "$1" &&
        find . -path ./lost+found -prune -o \
             -printf '%y %p %s %n %l %m\n' | LC_ALL=C sort &&
        find . -path ./lost+found -prune -o -type f -print0 |
            LC_ALL=C sort -z | xargs -0 md5sum &&
        python3 -c 'import os; print(os.getxattr("d/a/b/c/leaf.txt", "user.nbdscrub"))' &&
        [ "$(stat -c %i big.bin)" = "$(stat -c %i big.hard)" ] &&
        echo "hard link OK"
    )
}

rm -f "$mnt/doomed.bin"
sync
manifest "$mnt" >"$tmp/manifest.1" || fail "could not read the tree back"
grep -q "^f ./big.hard 20971520 2 " "$tmp/manifest.1" ||
    fail "the hard link is not there: $(grep big "$tmp/manifest.1")"
grep -q "^l ./link 16 1 d/a/b/c/leaf.txt " "$tmp/manifest.1" ||
    fail "the symlink is not there"
[ "$(grep -c '^f ./many/' "$tmp/manifest.1")" -eq 300 ] ||
    fail "not 300 files in many/"
grep -qx "b'scrubbed value'" "$tmp/manifest.1" || fail "the xattr is not there"
sync
t2=$(date +%s)

# fstrim: the freed blocks become holes in the image file.  (Only if the
# loop device over the FUSE file offers discard at all.)
if fstrim "$mnt" 2>"$tmp/fstrim.err"; then
    sync
    after=$(du -k "$img" | cut -f1)
    [ "$after" -lt $((before - 16 * 1024)) ] ||
        fail "fstrim: the image file did not shrink by 16 MiB" \
             "(${before}k -> ${after}k)"
    echo "fstrim: image file ${before}k -> ${after}k allocated"
else
    echo "note: fstrim not possible here: $(cat "$tmp/fstrim.err")"
fi

# --- umount, mount again, compare ----------------------------------------
umount "$mnt" || fail "umount failed"
mount -o loop "$raw" "$mnt" || fail "mounting again failed"
manifest "$mnt" >"$tmp/manifest.2" || fail "could not read the tree after remount"
diff "$tmp/manifest.1" "$tmp/manifest.2" ||
    fail "the tree changed across umount/mount"
[ "$(md5sum <"$mnt/big.bin")" = "$big_sum" ] ||
    fail "big.bin checksum changed"
[ "$(cat "$mnt/link")" = "leaf" ] || fail "the symlink does not resolve"
umount "$mnt" || fail "umount (second) failed"
t3=$(date +%s)

# --- teardown in order ---------------------------------------------------
losetup -j "$raw" | grep -q . && fail "the loop device was not detached"
stop_nbdfuse "$fmnt"
kill_nbdkit "$tmp/nbdkit.pid" || fail "nbdkit did not stop"

e2fsck -fn "$img" >"$tmp/fsck.out" 2>&1 || {
    cat "$tmp/fsck.out"
    fail "e2fsck -fn found problems in the image"
}

# The image file itself, without the plugin in the way.
mount -o loop,ro "$img" "$mnt" || fail "loop-mounting the image file failed"
manifest "$mnt" >"$tmp/manifest.3" || fail "could not read the image file's tree"
umount "$mnt"
diff "$tmp/manifest.1" "$tmp/manifest.3" ||
    fail "the image file does not hold the tree written through the plugin"
t4=$(date +%s)

echo "e2e kernel: $((t4 - t0)) s in all: setup $((t1 - t0)) s," \
     "write $((t2 - t1)) s, remount+verify $((t3 - t2)) s," \
     "teardown+fsck+direct verify $((t4 - t3)) s"
