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
