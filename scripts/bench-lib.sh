# nbdscrub: what the benchmark scripts share (bash; sourced, not run).
#
#   . "$top/scripts/bench-lib.sh"
#
# bench_pinning WHAT: with two CPUs or more and taskset (or BENCH_PIN=1),
#   the server goes on CPU 1 and the load on CPU 0; BENCH_PIN=0 turns it
#   off.  Sets the arrays pin_server and pin_fio (commands to prefix) and
#   pinning, a line for the report ("nbdkit pinned to CPU 1, WHAT to
#   CPU 0").
# bench_workdir NAME: the work directory: BENCH_DIR if set (kept), else a
#   new /var/tmp/nbdscrub-NAME.XXXXXX (removed at the end unless KEEP=1).
#   Sets work (absolute) and remove_work (1: remove it at exit).
# bench_store: where images are made and kept: BENCH_CACHE if set (made
#   if missing), else the work directory.  Sets store (absolute).
# bench_leave: the end of a script's EXIT trap: unmount $mnt if
#   mounted=1, remove the work directory unless it is kept (and say so).
# bench_assert_clean, bench_wait_server: below.  The scripts define die
#   and say.

bench_pinning ()
{
    if [ -z "${BENCH_PIN:-}" ]; then
        if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
            BENCH_PIN=1
        else
            BENCH_PIN=0
        fi
    fi
    if [ "$BENCH_PIN" = 1 ]; then
        pin_server=(taskset -c 1)
        pin_fio=(taskset -c 0)
        pinning="nbdkit pinned to CPU 1, $1 to CPU 0"
    else
        pin_server=()
        pin_fio=()
        pinning="no CPU pinning"
    fi
}

bench_workdir ()
{
    if [ -n "${BENCH_DIR:-}" ]; then
        work=$BENCH_DIR
        mkdir -p "$work"
        remove_work=0
    else
        work=$(mktemp -d "/var/tmp/nbdscrub-$1.XXXXXX")
        remove_work=1
    fi
    [ "${KEEP:-0}" = 1 ] && remove_work=0
    work=$(cd "$work" && pwd)
}

bench_store ()
{
    if [ -n "${BENCH_CACHE:-}" ]; then
        mkdir -p "$BENCH_CACHE"
        store=$(cd "$BENCH_CACHE" && pwd)
    else
        store=$work
    fi
}

# bench_assert_clean IMAGE LOG: e2fsck -fn must exit 0, or the benchmark
#   is void (e2fsck's output goes to LOG, and to stderr when it fails).
bench_assert_clean ()
{
    local rc=0

    e2fsck -fn "$1" >"$2" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        cat "$2" >&2
        die "$1: e2fsck -fn exited $rc: the image is not clean"
    fi
}

# bench_wait_server NAME LOG: wait up to 10 s for the nbdkit just started
#   in the background (server_pid, logging to LOG) to write $pidfile and
#   listen on $sock; dies with its log if it exits or does not.
bench_wait_server ()
{
    local _

    for _ in $(seq 1 200); do
        [ -s "$pidfile" ] && [ -S "$sock" ] && return 0
        if ! kill -0 "$server_pid" 2>/dev/null; then
            server_pid=
            cat "$2" >&2
            die "$1: nbdkit exited before serving"
        fi
        sleep 0.05
    done
    cat "$2" >&2
    die "$1: nbdkit did not start within 10 s"
}

bench_leave ()
{
    [ "${mounted:-0}" = 1 ] && umount "$mnt"
    if [ "$remove_work" = 1 ]; then
        rm -rf "$work"
    else
        say "work directory kept: $work"
    fi
}
