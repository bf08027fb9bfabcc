# nbdscrub: helpers shared by the integration tests (tests/test-*.sh).
#
# Source it first:   . "$(dirname "$0")/functions.sh"
#
# A test exits 0 when it passed, 77 when it cannot run here (it prints why
# on stderr first), anything else when it failed.  Every test makes its
# files under $tmp, which cleanup removes.

set -eu

srcdir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$srcdir/.." && pwd)
plugin="$top/plugin/nbdkit-scrub-plugin.so"

# nbdsh runs "python3 -m nbd", and the first python3 on PATH may be one
# without the nbd module (pyenv); Debian's is in /usr/bin.
PATH=/usr/bin:/usr/sbin:/sbin:/bin:$PATH
export PATH

# The Python helpers of the tests (tests/nbdtest.py).
PYTHONPATH="$srcdir${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nbdscrub-test.XXXXXX")
_cleanup_cmds=

# cleanup_fn CMD ARGS...: run CMD at exit, last registered first.
cleanup_fn ()
{
    _cleanup_cmds="$*
$_cleanup_cmds"
}

_run_cleanup ()
{
    _status=$?
    set +e
    printf '%s\n' "$_cleanup_cmds" | while IFS= read -r c; do
        [ -n "$c" ] && eval "$c"
    done
    rm -rf "$tmp"
    exit $_status
}
trap _run_cleanup EXIT
trap 'exit 130' INT QUIT TERM

skip ()
{
    echo "$(basename "$0"): SKIP: $*" >&2
    exit 77
}

fail ()
{
    echo "$(basename "$0"): FAIL: $*" >&2
    exit 1
}

# requires CMD [ARGS...]: skip unless the command runs.
requires ()
{
    "$@" </dev/null >/dev/null 2>&1 || skip "'$*' does not work here"
}

requires_root ()
{
    [ "$(id -u)" -eq 0 ] || skip "needs root"
}

requires_fuse ()
{
    requires_root
    [ -c /dev/fuse ] || skip "no /dev/fuse"
    requires nbdfuse --version
}

requires_loop ()
{
    requires_root
    [ -e /dev/loop-control ] || skip "no loop devices (/dev/loop-control)"
    losetup -f >/dev/null 2>&1 || skip "no free loop device"
}

[ -f "$plugin" ] || fail "$plugin is not built: run make"
requires nbdkit --version

# make_image FILE SIZE [MKE2FS-ARGS...]: a fresh ext4 image.
make_image ()
{
    _img=$1 _size=$2
    shift 2
    rm -f "$_img"
    truncate -s "$_size" "$_img"
    mke2fs -q -F -t ext4 "$@" "$_img"
}

# start_nbdkit PIDFILE ARGS...: start nbdkit in the background, wait until
# it serves (its pidfile appears), stop it at exit.
start_nbdkit ()
{
    _pidfile=$1
    shift
    nbdkit -P "$_pidfile" "$@"
    _i=0
    while [ ! -s "$_pidfile" ]; do
        _i=$((_i + 1))
        [ $_i -le 600 ] || fail "nbdkit did not start: nbdkit $*"
        sleep 0.1
    done
    cleanup_fn kill_nbdkit "$_pidfile"
}

# start_nbdkit_fg LOGFILE PIDFILE ARGS...: like start_nbdkit, but nbdkit
# stays in the foreground (-f) as a background job of the test, so that
# what the plugin logs with nbdkit_error reaches LOGFILE (its stderr)
# without -v and its debug flood.
start_nbdkit_fg ()
{
    _log=$1 _pidfile=$2
    shift 2
    nbdkit -f -P "$_pidfile" "$@" 2>"$_log" &
    _bg=$!
    _i=0
    while [ ! -s "$_pidfile" ]; do
        kill -0 "$_bg" 2>/dev/null || {
            cat "$_log" >&2
            fail "nbdkit exited before serving: nbdkit $*"
        }
        _i=$((_i + 1))
        [ $_i -le 600 ] || fail "nbdkit did not start: nbdkit $*"
        sleep 0.1
    done
    cleanup_fn kill_nbdkit "$_pidfile"
}

# kill_nbdkit PIDFILE: SIGTERM, then wait up to 60 s for it to go.
kill_nbdkit ()
{
    [ -s "$1" ] || return 0
    _pid=$(cat "$1")
    kill "$_pid" 2>/dev/null || return 0
    _i=0
    while kill -0 "$_pid" 2>/dev/null; do
        _i=$((_i + 1))
        if [ $_i -gt 600 ]; then
            kill -9 "$_pid" 2>/dev/null
            echo "kill_nbdkit: $_pid did not stop in 60 s" >&2
            return 1
        fi
        sleep 0.1
    done
    rm -f "$1"
}

# is_mounted DIR: DIR is a mount point.  Unlike mountpoint(1) it does not
# stat DIR, so it still says yes for a FUSE mount whose server is gone
# (where stat fails with ENOTCONN), the case a cleanup must not miss.
is_mounted ()
{
    awk -v d="$1" '$2 == d { found = 1 } END { exit !found }' /proc/self/mounts
}

# start_nbdfuse FILE SOCKET: nbdfuse serving the export on SOCKET as
# FILE (inside a directory it mounts), in the background; sets fuse_pid
# and returns once it serves (fails after 30 s, or if it exits).  The
# pidfile is $tmp/fuse.pid.
start_nbdfuse ()
{
    nbdfuse -P "$tmp/fuse.pid" "$1" --unix "$2" &
    fuse_pid=$!
    _i=0
    while [ ! -s "$tmp/fuse.pid" ]; do
        kill -0 "$fuse_pid" 2>/dev/null || fail "nbdfuse exited before serving"
        _i=$((_i + 1))
        [ $_i -le 300 ] || fail "nbdfuse did not start in 30 s"
        sleep 0.1
    done
}

# stop_nbdfuse DIR: the orderly end of start_nbdfuse: unmount the FUSE
# mount at DIR; nbdfuse must then exit, with status 0, within 30 s.
stop_nbdfuse ()
{
    umount "$1" || fail "umount of the FUSE mount failed"
    wait_gone "$fuse_pid" 30 ||
        fail "nbdfuse did not exit within 30 s of umount"
    _status=0
    wait "$fuse_pid" || _status=$?
    fuse_pid=
    [ $_status -eq 0 ] || fail "nbdfuse exited with status $_status"
}

# unmount_fuse DIR PID: unmount the FUSE mount at DIR and wait for its
# nbdfuse (PID, may be empty) to exit, killing it if it does not.  For
# cleanups: umount -l is the last resort, so that a failed run leaks no
# mount.
unmount_fuse ()
{
    if is_mounted "$1"; then
        timeout 30 umount "$1" 2>/dev/null || umount -l "$1"
    fi
    if [ -n "$2" ]; then
        wait_gone "$2" 20 || kill "$2" 2>/dev/null
    fi
}

# unmount_loop DIR FILE...: unmount the filesystem at DIR (again after a
# second if busy, lazily as the last resort) and detach any loop device
# still backed by one of the FILEs (left by a failed mount -o loop).
unmount_loop ()
{
    _dir=$1
    shift
    if is_mounted "$_dir"; then
        timeout 30 umount "$_dir" 2>/dev/null ||
            { sleep 1; timeout 30 umount "$_dir"; } 2>/dev/null ||
            umount -l "$_dir"
    fi
    for _file in "$@"; do
        for _dev in $(losetup -j "$_file" -O NAME -n 2>/dev/null); do
            losetup -d "$_dev" 2>/dev/null
        done
    done
}

# wait_gone PID SECONDS: wait for a process to exit; fails after SECONDS.
wait_gone ()
{
    _i=0
    while kill -0 "$1" 2>/dev/null; do
        _i=$((_i + 1))
        [ $_i -le $(($2 * 10)) ] || return 1
        sleep 0.1
    done
}
