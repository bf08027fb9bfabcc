#!/bin/sh
# Parameter validation as users see it:
#  - each bad value makes nbdkit exit non-zero before serving (the --run
#    command never runs), with exactly one line on stderr, an
#    "nbdkit: error:" line that names the offending key (and, for a
#    missing or unusable image, the path);
#  - good values start the server and nbdinfo can talk to it, with no
#    error on stderr; state-dir= is created (and FILE.nbdscrub is not);
#  - --dump-plugin prints name=scrub, thread_model=parallel and the
#    scrub_* lines; --help lists the parameters.
. "$(dirname "$0")/functions.sh"

requires nbdinfo --version

img=$tmp/disk.img
truncate -s 4M "$img"
mkdir "$tmp/adir"
n=0

# bad NAME ARGS...: nbdkit must refuse ARGS, naming NAME on one line.
bad ()
{
    _name=$1
    shift
    n=$((n + 1))
    rm -f "$tmp/served"
    if nbdkit -U - "$plugin" "$@" --run "touch $tmp/served" \
            >"$tmp/out" 2>"$tmp/err"; then
        fail "nbdkit accepted $*"
    fi
    [ ! -e "$tmp/served" ] || fail "nbdkit served with $*"
    _lines=$(wc -l <"$tmp/err")
    if [ "$_lines" -ne 1 ]; then
        cat "$tmp/err" >&2
        fail "$*: $_lines lines on stderr, expected exactly 1"
    fi
    grep -q '^nbdkit: error: ' "$tmp/err" || {
        cat "$tmp/err" >&2
        fail "$*: stderr is not an 'nbdkit: error:' line"
    }
    [ "$(grep -cF -- "$_name" "$tmp/err")" -eq 1 ] || {
        cat "$tmp/err" >&2
        fail "$*: the error does not name '$_name'"
    }
    echo "refused as expected: $* -> $(cat "$tmp/err")"
}

bad fs "$img" fs=xfs
bad scrub "$img" scrub=maybe
bad scrub-interval "$img" scrub-interval=10
bad scrub-interval "$img" scrub-interval=5x
bad scrub-budget "$img" scrub-budget=10us
bad repair "$img" repair=always
bad flush "$img" flush=sometimes
bad writeback-interval "$img" writeback-interval=0s
bad report-past-errors "$img" report-past-errors=perhaps
bad retries "$img" retries=-1
bad retries "$img" retries=99
bad errortag "$img" errortag=read-eio@
bad errortag "$img" errortag=fatal-eio
bad errortag "$img" errortag=fsync-eio@0
bad errortag "$img" errortag=bogus
bad control-listen "$img" control-listen=nohost
bad control-listen "$img" control-listen=1.2.3.4:99999
bad control-listen "$img" control-listen=127.0.0.1:1
bad control-cert "$img" control-cert=x
bad foo "$img" foo=bar
# A missing image and a directory: the message names the key and path.
bad "file: $tmp/missing.img" "$tmp/missing.img"
bad "file: $tmp/missing.img" file="$tmp/missing.img"
bad "$tmp/adir" "$tmp/adir"
bad "$tmp/adir" file="$tmp/adir"
[ ! -e "$tmp/missing.img.nbdscrub" ] ||
    fail "a state dir was created for a missing image"
echo "$n bad parameter sets refused"

# good ARGS...: nbdkit starts, nbdinfo talks to it, nothing on stderr.
good ()
{
    if ! nbdkit -U - "$plugin" "$@" --run 'nbdinfo "$uri"' \
            >"$tmp/out" 2>"$tmp/err"; then
        cat "$tmp/err" >&2
        fail "nbdkit or nbdinfo failed with $*"
    fi
    grep -q 'export-size: 4194304' "$tmp/out" || {
        cat "$tmp/out" >&2
        fail "$*: nbdinfo did not report the export"
    }
    if [ -s "$tmp/err" ]; then
        cat "$tmp/err" >&2
        fail "$*: unexpected output on stderr"
    fi
    echo "accepted: $*"
}

good "$img" scrub-interval=0s
good "$img" scrub-interval=2h
good "$img" flush=volatile writeback-interval=100ms
good "$img" retries=0
good "$img" retries=20
# An errortag= list is accepted and means what it says: reads touching
# [1M, 1M+4k) fail with EIO, others work; the first fdatasync fails.
cat >"$tmp/tag.py" <<'PY'
import nbd
M = 1 << 20
def eio(fn, *args):
    try:
        fn(*args)
    except nbd.Error as ex:
        assert ex.errno == "EIO", ex.errno
    else:
        raise AssertionError("%s%r did not fail" % (fn.__name__, args))
assert h.pread(4096, 0) == bytes(4096)
assert h.pread(4096, M + 4096) == bytes(4096)
eio(h.pread, 1, M + 4095)
eio(h.pread, 8192, M - 4096)
eio(h.flush)
h.flush()
PY
nbdkit -U - "$plugin" "$img" errortag=read-eio@1M+4k,fsync-eio*1 \
    --run 'nbdsh -u "$uri" -c "exec(open(\"'"$tmp"'/tag.py\").read())"' \
    2>"$tmp/err" || {
    cat "$tmp/err" >&2
    fail "errortag=read-eio@1M+4k,fsync-eio*1 was not accepted or not honoured"
}
echo "accepted: errortag=read-eio@1M+4k,fsync-eio*1"
good "$img" report-past-errors=yes
good file="$img" fs=none scrub=off repair=online scrub-budget=100us

mkdir "$tmp/fresh"
truncate -s 4M "$tmp/fresh/disk.img"
good "$tmp/fresh/disk.img" state-dir="$tmp/state"
[ -d "$tmp/state" ] || fail "state-dir=$tmp/state was not created"
[ ! -e "$tmp/fresh/disk.img.nbdscrub" ] ||
    fail "disk.img.nbdscrub was created although state-dir= was given"
# Without state-dir= it is FILE.nbdscrub.
good "$tmp/fresh/disk.img"
[ -d "$tmp/fresh/disk.img.nbdscrub" ] ||
    fail "the default state dir disk.img.nbdscrub was not created"

# --dump-plugin
nbdkit "$plugin" --dump-plugin >"$tmp/dump" || fail "--dump-plugin failed"
for re in '^name=scrub$' '^thread_model=parallel$' \
          '^scrub_version=[0-9]+\.[0-9]+\.[0-9]+' \
          '^scrub_flush=.*sync' '^scrub_flush=.*volatile' \
          '^scrub_errortag=read,write,trim,zero,fsync,any,fatal$' \
          '^scrub_error_classes=([A-Z]+:[a-z-]+,)*[A-Z]+:[a-z-]+$' \
          '^scrub_error_classes=(.*,)?EIO:'; do
    grep -Eq "$re" "$tmp/dump" || {
        cat "$tmp/dump" >&2
        fail "--dump-plugin: no line matches $re"
    }
done
echo "--dump-plugin OK"

# --help
nbdkit "$plugin" --help >"$tmp/help" || fail "--help failed"
for key in file= scrub-interval= scrub-budget= repair= state-dir= \
           control-listen= flush= writeback-interval= \
           report-past-errors= retries= errortag=; do
    grep -qF -- "$key" "$tmp/help" || fail "--help does not mention $key"
done
echo "--help OK"
