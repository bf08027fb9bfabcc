#!/bin/bash
# nbdscrub: background scrub benchmark: what scrubbing costs a client.
#
# Usage: scripts/bench-scrub.sh          (or: make bench; needs root)
#
# Builds one ext4 image (4 GiB, 4k blocks) written by the kernel through a
# loop mount: first one large file, /big (BENCH_BIG_MB MiB, written with
# dd so every block is allocated and initialised, no unwritten extents),
# then a tree that gives a pass real work: 3,331 directories (30 x 10 x 10,
# 25 files in each leaf, 0-64 KiB), hard links, fast and slow symlinks,
# user xattrs in the inode and in their own block, one 20k-entry htree
# directory, 4 files grown by interleaved fsync'd appends, and 3,000 files
# deleted at the end: about 99k inodes in use.  "e2fsck -fn" must exit 0.
#
# fio must touch only /big's data blocks, so that the filesystem's
# metadata stays intact while it writes.  ext4 splits /big where a backup
# superblock sits (groups 1, 3, 5, 7, 9 of the first flex group), so it is
# in several physical runs, none of 256 MiB.  The script reads the extents
# with "debugfs -R 'ex /big'", merges physically adjacent ones into runs,
# and gives one fio job the range from the first run's start to the last
# run's end with random_distribution=zoned_abs: each run gets a share of
# the I/O in proportion to its size (whole percents), each gap between
# runs 0%.  So it is the same single job as bench-serve.sh (one
# connection, iodepth 16) and every request falls inside /big.  (Checked
# with nbdkit's log filter when the script was written: no request
# outside the runs.)  After the rounds, "e2fsck -fn" must still exit 0.
#
# Then, on the same image, in one run:
#
#   offline   "nbdscrub check IMG", one unmeasured run for the verdict and
#             BENCH_ROUNDS timed runs (wall time, ns clock)
#   idle      one server with scrubbing on and no client for BENCH_IDLE s:
#             the duration of a pass with no load (last_pass.duration_s)
#   rounds    BENCH_ROUNDS rounds, each serving the image twice, once with
#             BENCH_OFF (scrub=off) and once with BENCH_ON
#             (scrub-interval=0s: passes back to back), odd rounds off
#             first, even rounds on first, the same fio job against each:
#               4k random, 70% read / 30% write, iodepth 16, one job,
#               BENCH_RAMP s unmeasured then BENCH_RUNTIME s measured
#             fio starts as soon as the server listens and its scrub
#             thread is up; the first pass starts about 1 s later,
#             inside the ramp.
#
# Every server gets a fresh state-dir= in the work directory.  While fio
# runs, a poller (pinned with fio) reads STATE-DIR/status.json every
# 0.1 s and keeps every new version: the passes, each pass's duration,
# result, mode and copy-before-write chunks, and the drain statistics.
# A pass counts as "under load" if it started after fio did and ended
# before fio did (to within the poll interval).  The scrub=off server
# gets the same poller so both sides pay for it.  nbdkit's CPU time over
# the measured window is read from /proc twice: all of it, and its
# background threads' (the scrub thread), so the report can say how much
# of the server's CPU the scrub took and what a request costs the
# serving threads.
#
# The report: per round, IOPS (read + write) and completion latency p99.9
# (fio's "mixed" clat_ns percentile 99.9, reads and writes together) for
# both servers, their ratios on/off; the medians and the median of the
# paired ratios (on/off within a round, the two ran back to back); the
# drain hold p99 and max (drains.p99_hold_us, max_hold_us) against
# scrub-budget; and the cost of a full pass: its duration under load
# against no load and against "nbdscrub check".  Targets (issue 5):
#   IOPS   on/off >= 0.9      (paired median)
#   p99.9  on/off <= 1.5      (paired median)
#   drain hold p99 <= scrub-budget, in every round
# Printed on stdout and written as markdown to BENCH_OUT.
#
# Like bench-serve.sh, nbdkit is pinned to CPU 1 and fio to CPU 0 by
# default: the scrub thread then competes with the 16 serving threads for
# the same CPU, the harder case for the client.
#
# Exit status 1: a server does not start or exits badly, fio fails, the
# image is not clean for e2fsck before or after, nbdscrub check does not
# exit 0 on it, or a pass reports the image corrupt (a false positive: the
# image is clean).  A target not met is only reported.
#
# Environment:
#   BENCH_ROUNDS    rounds (default 3)
#   BENCH_RUNTIME   seconds measured per fio run (default 20)
#   BENCH_RAMP      unmeasured seconds before them (default 2)
#   BENCH_IDLE      seconds the no-client server scrubs (default 5)
#   BENCH_BIG_MB    size of /big in MiB (default 512)
#   BENCH_OFF       plugin parameters of the "off" server (default
#                   "scrub=off")
#   BENCH_ON        plugin parameters of the "on" server (default
#                   "scrub-interval=0s"); BENCH_ON=scrub=off is an A/A run
#   BENCH_BUDGET    scrub-budget= for the "on" server, and the target for
#                   the drain hold p99 (default: not passed; the plugin's
#                   2ms)
#   BENCH_SCRUB_SCHED  idle: an experiment, not the product: put the
#                   server's background threads (the scrub thread) in
#                   SCHED_IDLE with chrt before fio starts, so they run
#                   only when no serving thread wants the CPU
#   BENCH_PIN       1: nbdkit on CPU 1, fio on CPU 0 (default with 2 CPUs
#                   and taskset); 0: no pinning
#   BENCH_PLUGIN    the plugin .so (default the one built here)
#   BENCH_NBDSCRUB  the nbdscrub binary (default scrub/nbdscrub)
#   BENCH_DIR       work directory (default: a new mktemp directory under
#                   /var/tmp, removed at the end unless KEEP=1; a BENCH_DIR
#                   you name is kept)
#   KEEP            1: keep the work directory (fio JSON, status.json
#                   versions, server logs)
#   BENCH_CACHE     directory to keep the built image in, keyed by the
#                   recipe version and BENCH_BIG_MB; later runs reuse it
#                   (fio's writes change only /big's data)
#   BENCH_OUT       results file (default build/bench-scrub.md)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/bench-lib.sh"
# Bump when the image changes, so a cached one is not reused.
recipe=1
rounds=${BENCH_ROUNDS:-3}
runtime=${BENCH_RUNTIME:-20}
ramp=${BENCH_RAMP:-2}
idle=${BENCH_IDLE:-5}
big_mb=${BENCH_BIG_MB:-512}
off_params=${BENCH_OFF:-scrub=off}
on_params=${BENCH_ON:-scrub-interval=0s}
budget=${BENCH_BUDGET:-}
scrub_sched=${BENCH_SCRUB_SCHED:-}
plugin=${BENCH_PLUGIN:-$top/plugin/nbdkit-scrub-plugin.so}
nbdscrub=${BENCH_NBDSCRUB:-$top/scrub/nbdscrub}
out=${BENCH_OUT:-$top/build/bench-scrub.md}
python=/usr/bin/python3     # Debian's, not whatever is first on PATH
poll=0.1
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

die () { echo "bench-scrub: $*" >&2; exit 1; }
say () { echo "bench-scrub: $*" >&2; }

# whole NAME VALUE [MIN]: VALUE must be a whole number, MIN (1) or more.
whole ()
{
    case $2 in
    ''|*[!0-9]*) die "$1 must be a whole number, not '$2'" ;;
    esac
    [ "$2" -ge "${3:-1}" ] || die "$1 must be at least ${3:-1}"
}
whole BENCH_ROUNDS "$rounds"
whole BENCH_RUNTIME "$runtime"
whole BENCH_RAMP "$ramp" 0
whole BENCH_IDLE "$idle"
whole BENCH_BIG_MB "$big_mb" 256
[ "$big_mb" -le 2048 ] || die "BENCH_BIG_MB must be at most 2048 (the image is 4 GiB)"

# The budget the drain holds are judged against, in microseconds.
[ -n "$budget" ] && on_params="$on_params scrub-budget=$budget"
b=${budget:-2ms}
case $b in
*[0-9]us) budget_us=${b%us} ;;
*[0-9]ms) budget_us=${b%ms}000 ;;
*[0-9]s)  budget_us=${b%s}000000 ;;
*)   die "BENCH_BUDGET must be a whole number of us, ms or s, like 2ms" ;;
esac
whole BENCH_BUDGET "$budget_us"
case $scrub_sched in
''|idle) ;;
*) die "BENCH_SCRUB_SCHED must be empty or idle, not '$scrub_sched'" ;;
esac

[ "$(id -u)" -eq 0 ] || die "needs root: the image is written by the kernel through a loop mount"
for cmd in nbdkit fio mke2fs e2fsck debugfs dumpe2fs mount "$python"; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is not installed (run scripts/install-deps.sh)"
done
fio --enghelp=nbd >/dev/null 2>&1 || die "this fio has no nbd ioengine"
[ -f "$plugin" ] || die "$plugin is not built: run make"
plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")
if [ -z "${BENCH_NBDSCRUB:-}" ]; then
    make -s -C "$top" scrub/nbdscrub >/dev/null || die "make scrub/nbdscrub failed"
fi
[ -x "$nbdscrub" ] || die "$nbdscrub is not built: run make"

bench_pinning "fio and the status poller"

bench_workdir bench-scrub
mnt=$work/mnt
mounted=0
sock=$work/nbd.sock
pidfile=$work/nbdkit.pid
server_pid=
poller_pid=

cleanup ()
{
    local st=$?

    set +e
    [ -n "$poller_pid" ] && kill -TERM "$poller_pid" 2>/dev/null
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    bench_leave
    exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_store

# --- the image -------------------------------------------------------------------

# The tree writer: deterministic (seeded), GENSTATS on its last line.
cat >"$work/gen.py" <<'EOF'
import os, random, sys, time
root = sys.argv[1]
rng = random.Random(20261121)
t0 = time.time()
def log(*a): print("gen: %5.1fs" % (time.time() - t0), *a, file=sys.stderr, flush=True)
blob = rng.randbytes(65536)
st = dict(files=0, dirs=0, symlinks=0, hardlinks=0, xattrs=0, data_bytes=0)
def mkfile(p, size):
    with open(p, "wb") as f:
        f.write(blob[:size])
    st["files"] += 1; st["data_bytes"] += size
def pick_size():
    r = rng.random()
    if r < 0.40: return 0
    if r < 0.80: return rng.randint(1, 4000)
    if r < 0.97: return rng.randint(4097, 16384)
    return rng.randint(16385, 65536)
# 30 x 10 x 10 directories; the 3,000 leaves hold 25 files each
leaves = []
for a in range(30):
    for b in range(10):
        for c in range(10):
            d = os.path.join(root, "tree", "t%02d" % a, "m%02d" % b, "l%02d" % c)
            os.makedirs(d); leaves.append(d)
st["dirs"] += 1 + 30 + 300 + 3000
prev = None
for i, d in enumerate(leaves):
    for j in range(25):
        p = os.path.join(d, "file-%03d.dat" % j)
        mkfile(p, pick_size())
        r = rng.random()
        if r < 0.05:      # fits in the inode
            os.setxattr(p, "user.tag", b"in-inode-%07d" % i); st["xattrs"] += 1
        elif r < 0.06:    # needs its own block
            os.setxattr(p, "user.blob", rng.randbytes(1500)); st["xattrs"] += 1
        if prev and rng.random() < 0.02:
            os.link(prev, os.path.join(d, "hardlink-%03d" % j)); st["hardlinks"] += 1
        prev = p
    os.symlink("file-000.dat", os.path.join(d, "fast-link")); st["symlinks"] += 1
    if i % 10 == 0:
        os.symlink("../../m%02d/" % (i % 10) + "x" * 100, os.path.join(d, "slow-link"))
        st["symlinks"] += 1
log("tree")
# one large directory (an htree once the kernel indexes it)
d = os.path.join(root, "htree", "h20k"); os.makedirs(d); st["dirs"] += 2
for k in range(20000):
    open(os.path.join(d, "entry-%06d-%s" % (k, "n" * (16 + k % 7))), "wb").close()
    st["files"] += 1
log("htree")
# files grown by interleaved, fsync'd appends
d = os.path.join(root, "frag"); os.makedirs(d); st["dirs"] += 1
fs = [open(os.path.join(d, "interleaved-%d" % k), "wb") for k in range(4)]
for r in range(64):
    for f in fs:
        f.write(blob[:16384]); f.flush(); os.fsync(f.fileno()); st["data_bytes"] += 16384
for f in fs:
    f.close(); st["files"] += 1
# deleted files: freed inodes with a dtime, gaps in directory blocks
for i, leaf in enumerate(leaves):
    if i % 3 == 0:
        for j in (5, 6, 20):
            os.unlink(os.path.join(leaf, "file-%03d.dat" % j)); st["files"] -= 1
log("done")
print("GENSTATS", " ".join("%s=%s" % kv for kv in st.items()))
EOF

# assert_clean IMAGE WHEN: e2fsck -fn must exit 0, or the benchmark is void.
assert_clean () { bench_assert_clean "$1" "$work/e2fsck-$2.log"; }

# build_image IMAGE: mke2fs, loop mount, /big first, then the tree.
build_image ()
{
    local img=$1 tmp=$1.tmp

    rm -f "$tmp"
    truncate -s 4G "$tmp"
    mke2fs -q -F -t ext4 -b 4096 -L bench-scrub "$tmp"
    mkdir -p "$mnt"
    mount -o loop "$tmp" "$mnt" || die "cannot loop mount $tmp"
    mounted=1
    dd if=/dev/zero of="$mnt/big" bs=1M count="$big_mb" conv=fsync status=none
    "$python" "$work/gen.py" "$mnt" >"$img.stats.tmp"
    umount "$mnt"
    mounted=0
    echo "route=written by the kernel: mke2fs, loop mount, dd of /big, a Python tree writer, umount" >>"$img.stats.tmp"
    assert_clean "$tmp" built
    mv "$img.stats.tmp" "$img.stats"
    mv "$tmp" "$img"
}

img=$store/scrub-r$recipe-big$big_mb.img
if [ -f "$img" ] && [ -f "$img.stats" ]; then
    say "cached image $img"
    assert_clean "$img" before
else
    t0=$(date +%s)
    say "building $img"
    build_image "$img"
    echo "build_seconds=$(( $(date +%s) - t0 ))" >>"$img.stats"
    say "built in $(( $(date +%s) - t0 )) s"
fi
dumpe2fs -h "$img" >"$work/dumpe2fs.txt" 2>/dev/null

# /big's physical runs and the fio job that stays inside them: the
# offset, size and zoned_abs distribution, one "NAME=VALUE" a line.
debugfs -R 'ex /big' "$img" >"$work/big-extents.txt" 2>/dev/null
"$python" - "$work/big-extents.txt" "$big_mb" >"$work/region.sh" <<'EOF' || die "cannot place fio inside /big (above)"
import re, sys
path, big_mb = sys.argv[1], int(sys.argv[2])
BS = 4096
leaves = []     # (logical start, physical start, length) of each leaf extent
for line in open(path):
    # " 1/ 1   1/  5      0 -  32767   34816 -   67583  32768 [Uninit]"
    m = re.match(r"\s*(\d+)/\s*(\d+)\s+\d+/\s*\d+\s+(\d+)\s*-\s*(\d+)\s+(\d+)\s*-\s*(\d+)\s+(\d+)\s*(.*)$", line)
    if not m or m.group(1) != m.group(2):
        continue        # the header, index nodes
    if "Uninit" in m.group(8):
        sys.exit("/big has an unwritten extent: %s" % line.strip())
    leaves.append((int(m.group(3)), int(m.group(5)), int(m.group(7))))
leaves.sort()
want = big_mb * 1048576 // BS
if sum(n for _, _, n in leaves) != want or leaves[0][0] != 0:
    sys.exit("/big's extents do not cover its %d blocks: %s" % (want, leaves))
runs = []       # [physical start, length], physically adjacent extents merged
for _, p, n in leaves:
    if runs and runs[-1][0] + runs[-1][1] == p:
        runs[-1][1] += n
    else:
        runs.append([p, n])
runs.sort()
# Whole percents in proportion to the runs' sizes, largest remainder.
total = sum(n for _, n in runs)
exact = [100 * n / total for _, n in runs]
pct = [int(x) for x in exact]
for i in sorted(range(len(runs)), key=lambda i: exact[i] - pct[i], reverse=True)[:100 - sum(pct)]:
    pct[i] += 1
zones, pos = [], runs[0][0]
for (p, n), c in zip(runs, pct):
    if p > pos:
        zones.append("0/%d" % ((p - pos) * BS))
    zones.append("%d/%d" % (c, n * BS))
    pos = p + n
print("fio_offset=%d" % (runs[0][0] * BS))
print("fio_size=%d" % ((pos - runs[0][0]) * BS))
print("fio_zones=zoned_abs:%s" % ":".join(zones))
print("big_runs='%s'" % " ".join("%d+%d" % (p, n) for p, n in runs))
EOF
# shellcheck source=/dev/null
. "$work/region.sh"
say "/big: physical runs (block+count) $big_runs; fio offset $fio_offset size $fio_size"

# --- servers, fio, the status poller -------------------------------------------

# The poller: every new version of status.json as one JSON line
# {"t": time seen, "doc": the document without its bulky parts}.
cat >"$work/poll.py" <<'EOF'
import json, os, signal, sys, time
path, out, interval = sys.argv[1], sys.argv[2], float(sys.argv[3])
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
seen = None
with open(out, "w") as f:
    while True:
        last_round = stop
        try:
            s = os.stat(path)
            key = (s.st_ino, s.st_mtime_ns, s.st_size)
        except FileNotFoundError:
            key = None
        if key is not None and key != seen:
            try:
                with open(path) as fh:
                    doc = json.load(fh)
            except (OSError, ValueError):
                doc = None          # replaced while we read: next time
            if isinstance(doc, dict):
                seen = key
                doc.pop("health", None)
                doc.pop("stats", None)
                if isinstance(doc.get("problems"), list):
                    doc["problems"] = doc["problems"][:10]
                f.write(json.dumps({"t": time.time(), "doc": doc}) + "\n")
                f.flush()
        if last_round:
            break
        time.sleep(interval)
EOF

# start_server NAME PARAMS...: serve $img on $sock, state in $work/state-NAME.
start_server ()
{
    local name=$1
    shift

    rm -rf "$sock" "$pidfile" "$work/state-$name"
    # shellcheck disable=SC2086
    "${pin_server[@]}" nbdkit -f -U "$sock" -P "$pidfile" "$plugin" "$img" \
        "$@" state-dir="$work/state-$name" >"$work/$name.log" 2>&1 &
    server_pid=$!
    bench_wait_server "$name" "$work/$name.log"
}

# stop_server NAME: SIGTERM, and its exit status into $work/NAME.exit.
stop_server ()
{
    local pid=$server_pid st=0

    server_pid=
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || st=$?
    echo "$st" >"$work/$1.exit"
    if [ "$st" -ne 0 ]; then
        say "$1: nbdkit exited $st on SIGTERM; its log:"
        tail -n 20 "$work/$1.log" >&2
    fi
}

start_poller ()
{
    "${pin_fio[@]}" "$python" "$work/poll.py" "$work/state-$1/status.json" \
        "$work/$1.status.jsonl" "$poll" &
    poller_pid=$!
}

stop_poller ()
{
    kill -TERM "$poller_pid" 2>/dev/null || true
    wait "$poller_pid" || true
    poller_pid=
}

# server_cpu: nbdkit's user + system CPU time so far, in clock ticks.
server_cpu () { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }

# bg_cpu TID...: the same for some of its threads (those still there).
bg_cpu ()
{
    local t s=0 f

    for t in "$@"; do
        f=/proc/$server_pid/task/$t/stat
        [ -r "$f" ] && s=$(( s + $(awk '{ print $14 + $15 }' "$f" 2>/dev/null || echo 0) ))
    done
    echo "$s"
}

now () { date +%s.%N; }

# run_fio NAME: the job against $sock, JSON into $work/NAME.json, the
# start and end times and nbdkit's CPU ticks over the measured window
# into $work/NAME.meta: all of it, and its background threads'.  Those
# are the threads there before the first client connects, other than
# the main one: nbdkit starts its serving threads per connection, so
# with scrub=on this is the scrub thread.
run_fio ()
{
    local name=$1 t0 t1 cpu0 cpu1 bg0 bg1 fio_pid t
    local -a bg

    # nbdkit writes the pidfile before the plugin's .after_fork starts
    # the scrub thread: wait for status.json (written there, just before
    # the thread starts) and, unless it says "off", for a second thread.
    for t in $(seq 1 100); do
        if [ -s "$work/state-$name/status.json" ]; then
            grep -q '"state": *"off"' "$work/state-$name/status.json" && break
            [ "$(ls "/proc/$server_pid/task" | wc -l)" -ge 2 ] && break
        fi
        sleep 0.02
    done
    bg=()
    for t in /proc/"$server_pid"/task/*; do
        t=${t##*/}
        [ "$t" = "$server_pid" ] || bg+=("$t")
    done
    if [ "$scrub_sched" = idle ]; then
        for t in "${bg[@]}"; do chrt --idle -p 0 "$t" >/dev/null; done
    fi
    t0=$(now)
    # fio prints "connected to NBD server" on stdout: keep the JSON apart.
    "${pin_fio[@]}" fio --name=randrw --ioengine=nbd \
        --uri="nbd+unix:///?socket=$sock" --numjobs=1 --iodepth=16 \
        --rw=randrw --rwmixread=70 --bs=4k \
        --offset="$fio_offset" --size="$fio_size" \
        --random_distribution="$fio_zones" \
        --time_based --ramp_time="$ramp" --runtime="$runtime" \
        --unified_rw_reporting=both \
        --output-format=json --output="$work/$name.json" \
        >"$work/$name.fio.log" 2>&1 &
    fio_pid=$!
    sleep "$ramp"
    cpu0=$(server_cpu)
    bg0=$(bg_cpu "${bg[@]}")
    if ! wait "$fio_pid"; then
        cat "$work/$name.fio.log" >&2
        die "$name: fio failed"
    fi
    t1=$(now)
    cpu1=$(server_cpu)
    bg1=$(bg_cpu "${bg[@]}")
    echo "t0=$t0 t1=$t1 cpu=$((cpu1 - cpu0)) bgcpu=$((bg1 - bg0)) bgthreads=${#bg[@]}" >"$work/$name.meta"
    "$python" - "$work/$name.json" <<'EOF' || die "$name: fio reported an error"
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(1 if any(j.get("error", 0) for j in d["jobs"]) else 0)
EOF
}

# --- the runs --------------------------------------------------------------------

approx=$(( rounds * 2 * (runtime + ramp + 2) + idle + 30 ))
say "$rounds round(s) of ${runtime} s (+${ramp} s ramp) per server, about ${approx} s after the image; $pinning"
say "off: $off_params"
say "on:  $on_params${scrub_sched:+ (background threads in SCHED_IDLE)}"

# nbdscrub check: the verdict (unmeasured, warms the cache), then timed.
check_rc=0
"$nbdscrub" check "$img" --no-progress >"$work/check.txt" 2>&1 || check_rc=$?
: >"$work/check.times"
for r in $(seq 1 "$rounds"); do
    t0=$(date +%s%N)
    "$nbdscrub" check "$img" --no-progress >/dev/null 2>&1 || true
    echo $(( ($(date +%s%N) - t0) / 1000 )) >>"$work/check.times"
done
say "nbdscrub check: exit $check_rc, $(tr '\n' ' ' <"$work/check.times")us"

# A pass with no load: a scrubbing server and no client.
say "idle: scrubbing with no client for $idle s"
# shellcheck disable=SC2086
start_server idle $on_params
start_poller idle
echo "t0=$(now)" >"$work/idle.meta"
sleep "$idle"
echo "t1=$(now)" >>"$work/idle.meta"
stop_poller
stop_server idle

for r in $(seq 1 "$rounds"); do
    order="off on"
    [ $((r % 2)) -eq 1 ] || order="on off"
    for side in $order; do
        name=r$r-$side
        say "round $r/$rounds: $side"
        if [ "$side" = off ]; then params=$off_params; else params=$on_params; fi
        # shellcheck disable=SC2086
        start_server "$name" $params
        start_poller "$name"
        run_fio "$name"
        stop_poller
        stop_server "$name"
        sync "$img"
    done
done

after_rc=0
e2fsck -fn "$img" >"$work/e2fsck-after.log" 2>&1 || after_rc=$?
echo "$after_rc" >"$work/e2fsck-after.exit"

# --- the report ------------------------------------------------------------------

export BENCH_WORK=$work BENCH_IMG=$img BENCH_ROUNDS_N=$rounds BENCH_RUNTIME_S=$runtime \
       BENCH_RAMP_S=$ramp BENCH_IDLE_S=$idle BENCH_POLL=$poll BENCH_PINNING="$pinning" \
       BENCH_OFF_PARAMS="$off_params" BENCH_ON_PARAMS="$on_params" \
       BENCH_BUDGET_US=$budget_us BENCH_CHECK_RC=$check_rc \
       BENCH_BIG_RUNS="$big_runs" BENCH_FIO_ZONES="$fio_zones" \
       BENCH_FIO_OFFSET=$fio_offset BENCH_FIO_SIZE=$fio_size BENCH_BIG_MB_N=$big_mb \
       BENCH_SCHED_NOTE="${scrub_sched:+; background threads put in SCHED_IDLE with chrt (BENCH_SCRUB_SCHED=idle, an experiment)}" \
       BENCH_LOAD="$load_start -> $(cut -d' ' -f1-3 /proc/loadavg)"
export BENCH_REV="$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$top" diff --quiet HEAD -- plugin scrub fsformat 2>/dev/null || echo '+changes')"
export BENCH_VERSIONS="$(nbdkit --version | head -n 1), $(fio --version), $(e2fsck -V 2>&1 | head -n 1)"
mkdir -p "$(dirname "$out")"
rc=0
"$python" - "$out" <<'EOF' || rc=$?
import json, os, re, statistics, sys, time
E = os.environ
W = E["BENCH_WORK"]
rounds = int(E["BENCH_ROUNDS_N"])
budget = int(E["BENCH_BUDGET_US"])
IOPS_MIN, P999_MAX = 0.9, 1.5
problems = []       # what makes the run fail

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
def kv(path):
    d = {}
    for tok in open(path).read().split():
        k, v = tok.split("=", 1); d[k] = float(v)
    return d
def g(x, nd=0):
    if x is None: return "n/a"
    return "{:,.{}f}".format(x, nd)
def ratio(a, b):
    return a / b if a is not None and b else None

def fio(name):
    j = json.load(open(os.path.join(W, name + ".json")))["jobs"][0]
    m = j["mixed"]
    meta = kv(os.path.join(W, name + ".meta"))
    reqs = j["read"]["total_ios"] + j["write"]["total_ios"]
    window = meta["t1"] - meta["t0"] - int(E["BENCH_RAMP_S"])
    return dict(iops=m["iops"],
                p999=m["clat_ns"]["percentile"]["99.900000"] / 1000,
                p99=m["clat_ns"]["percentile"]["99.000000"] / 1000,
                rp999=j["read"]["clat_ns"]["percentile"]["99.900000"] / 1000,
                wp999=j["write"]["clat_ns"]["percentile"]["99.900000"] / 1000,
                cpu_req=meta["cpu"] * 1e6 / os.sysconf("SC_CLK_TCK") / reqs if reqs else None,
                cpu_pct=100 * meta["cpu"] / os.sysconf("SC_CLK_TCK") / window,
                bg_pct=100 * meta["bgcpu"] / os.sysconf("SC_CLK_TCK") / window,
                serve_req=(meta["cpu"] - meta["bgcpu"]) * 1e6 / os.sysconf("SC_CLK_TCK") / reqs if reqs else None,
                t0=meta["t0"], t1=meta["t1"])

def status(name, t0=None, t1=None):
    """What the status.json versions seen while NAME ran say."""
    recs = [json.loads(l) for l in open(os.path.join(W, name + ".status.jsonl"))]
    passes, by_id = [], {}
    for r in recs:
        lp = r["doc"].get("last_pass")
        if isinstance(lp, dict) and lp.get("id") not in by_id:
            lp = dict(lp, seen=r["t"])
            by_id[lp.get("id")] = lp
            passes.append(lp)
    last = recs[-1]["doc"] if recs else {}
    dr = last.get("drains") or {}
    def under_load(p):
        if t0 is None: return True
        d = p.get("duration_s") or 0
        return p["seen"] - d >= t0 and p["seen"] - float(E["BENCH_POLL"]) <= t1
    loaded = [p for p in passes if under_load(p)]
    return dict(seen=len(recs), passes=last.get("passes"), state=last.get("state"),
                recorded=len(passes), loaded=loaded, all=passes,
                dur=med([p.get("duration_s") for p in loaded]),
                dmin=min((p["duration_s"] for p in loaded if p.get("duration_s") is not None), default=None),
                dmax=max((p["duration_s"] for p in loaded if p.get("duration_s") is not None), default=None),
                chunks=med([p.get("snapshot_chunks") for p in loaded]),
                modes=sorted(set(str(p.get("mode")) for p in loaded)),
                results=sorted(set(str(p.get("result")) for p in passes)),
                reasons=sorted(set(p["reason"] for p in passes if p.get("reason"))),
                problems_total=last.get("problems_total"),
                problems=last.get("problems") or [],
                dcount=dr.get("count"), p99=dr.get("p99_hold_us"),
                max=dr.get("max_hold_us"), wait=dr.get("max_wait_us"))

R = []
for r in range(1, rounds + 1):
    row = {"r": r, "first": "off" if r % 2 else "on"}
    for side in ("off", "on"):
        f = fio("r%d-%s" % (r, side))
        row[side] = f
        row[side + "_st"] = status("r%d-%s" % (r, side), f["t0"], f["t1"])
        ex = int(open(os.path.join(W, "r%d-%s.exit" % (r, side))).read())
        if ex != 0:
            problems.append("round %d %s: nbdkit exited %d on SIGTERM" % (r, side, ex))
    R.append(row)
idle = status("idle")
idle_meta = kv(os.path.join(W, "idle.meta"))
if int(open(os.path.join(W, "idle.exit")).read()) != 0:
    problems.append("idle: nbdkit exited %s on SIGTERM" % open(os.path.join(W, "idle.exit")).read().strip())
checks = [int(l) / 1e6 for l in open(os.path.join(W, "check.times"))]
check_rc = int(E["BENCH_CHECK_RC"])
if check_rc != 0:
    problems.append("nbdscrub check exited %d on an image e2fsck calls clean" % check_rc)
after_rc = int(open(os.path.join(W, "e2fsck-after.exit")).read())
if after_rc != 0:
    problems.append("e2fsck -fn exited %d after the rounds: fio touched metadata?" % after_rc)
for st, what in [(idle, "idle")] + [(row["on_st"], "round %d on" % row["r"]) for row in R]:
    if "corrupt" in st["results"] or (st["problems_total"] or 0) > 0:
        problems.append("%s: a pass reported the clean image corrupt (problems_total %s): %s" % (
            what, st["problems_total"], "; ".join("%s %s %s" % (p.get("name"), p.get("object"), p.get("message"))
                                               for p in st["problems"][:3])))

iops_r = [ratio(x["on"]["iops"], x["off"]["iops"]) for x in R]
p999_r = [ratio(x["on"]["p999"], x["off"]["p999"]) for x in R]
p99_holds = [x["on_st"]["p99"] for x in R]
max_holds = [x["on_st"]["max"] for x in R]
scrubbing = any(x["on_st"]["passes"] for x in R)
iops_ok = med(iops_r) >= IOPS_MIN
p999_ok = med(p999_r) <= P999_MAX
hold_known = scrubbing and all(h is not None for h in p99_holds)
hold_ok = hold_known and max(p99_holds) <= budget

def verdict(ok, known=True):
    if not known: return "n/a (no passes)"
    return "met" if ok else "**NOT met**"

img = E["BENCH_IMG"]
st = dict(l.rstrip("\n").split("=", 1) for l in open(img + ".stats") if "=" in l and not l.startswith("GENSTATS"))
gen = {}
for l in open(img + ".stats"):
    if l.startswith("GENSTATS"):
        gen = dict(x.split("=", 1) for x in l.split()[1:])
d2 = {}
for l in open(os.path.join(W, "dumpe2fs.txt"), errors="replace"):
    if ":" in l:
        k, v = l.split(":", 1); d2[k.strip()] = v.strip()
used = int(d2["Inode count"]) - int(d2["Free inodes"])
runs = E["BENCH_BIG_RUNS"].split()
mb = lambda s: int(s.split("+")[1]) * 4096 / 1048576

L = []
L.append("### Results: `scripts/bench-scrub.sh` (%s)" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
L.append("")
L.append("- machine: %d CPUs, Linux %s; %s" % (os.cpu_count(), os.uname().release, E["BENCH_VERSIONS"]))
L.append("- plugin and nbdscrub at %s; load average (1, 5, 15 min) at start and end: %s" % (
         E["BENCH_REV"], E["BENCH_LOAD"]))
L.append("- image: 4 GiB ext4, %s of %s inodes in use (%s directories, %s files, %s symlinks, %s hard links, %s xattrs), "
         "/big %s MiB in %d physical runs (%s MiB), %s" % (
         "{:,}".format(used), "{:,}".format(int(d2["Inode count"])), "{:,}".format(int(gen.get("dirs", 0))),
         "{:,}".format(int(gen.get("files", 0))), gen.get("symlinks", "?"), gen.get("hardlinks", "?"),
         gen.get("xattrs", "?"), E["BENCH_BIG_MB_N"], len(runs), " + ".join("%g" % mb(s) for s in runs),
         st.get("route", "?")))
L.append("- fio: `--ioengine=nbd --rw=randrw --rwmixread=70 --bs=4k --iodepth=16 --numjobs=1 --time_based "
         "--ramp_time=%s --runtime=%s --offset=%s --size=%s --random_distribution=%s`, one Unix socket; %s" % (
         E["BENCH_RAMP_S"], E["BENCH_RUNTIME_S"], E["BENCH_FIO_OFFSET"], E["BENCH_FIO_SIZE"], E["BENCH_FIO_ZONES"],
         E["BENCH_PINNING"]))
L.append("- off: `%s`; on: `%s`%s; %d rounds, alternating which goes first; a fresh state-dir per server" % (
         E["BENCH_OFF_PARAMS"], E["BENCH_ON_PARAMS"], E["BENCH_SCHED_NOTE"], rounds))
L.append("- reproduce: `scripts/bench-scrub.sh` (as root; `BENCH_CACHE=DIR` keeps the image, `KEEP=1` the work directory)")
L.append("")
L.append("| round | first | IOPS off | IOPS on | on/off | p99.9 off (us) | p99.9 on (us) | on/off | passes | under load | pass median (s) | drains | hold p99 (us) | hold max (us) | wait max (us) | results |")
L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for x, ir, pr in zip(R, iops_r, p999_r):
    s = x["on_st"]
    L.append("| %d | %s | %s | %s | %.3f | %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        x["r"], x["first"], g(x["off"]["iops"]), g(x["on"]["iops"]), ir, g(x["off"]["p999"]), g(x["on"]["p999"]), pr,
        g(s["passes"]), len(s["loaded"]), g(s["dur"], 3), g(s["dcount"]), g(s["p99"]), g(s["max"]), g(s["wait"]),
        ", ".join(s["results"]) or "-"))
L.append("")
L.append("| metric | off (median) | on (median) | paired on/off (median) | target |")
L.append("|---|---:|---:|---:|---|")
def mrow(label, key, nd, rule):
    off = med([x["off"][key] for x in R]); on = med([x["on"][key] for x in R])
    pr = med([ratio(x["on"][key], x["off"][key]) for x in R])
    L.append("| %s | %s | %s | %s | %s |" % (label, g(off, nd), g(on, nd), "%.3f" % pr if pr is not None else "n/a", rule))
mrow("IOPS, read + write", "iops", 0, ">= %.1f: %s" % (IOPS_MIN, verdict(iops_ok)))
mrow("clat p99.9, read + write (us)", "p999", 0, "<= %.1f: %s" % (P999_MAX, verdict(p999_ok)))
mrow("clat p99, read + write (us)", "p99", 0, "info")
mrow("clat p99.9, read (us)", "rp999", 0, "info")
mrow("clat p99.9, write (us)", "wp999", 0, "info")
mrow("server CPU per request (us)", "cpu_req", 1, "info")
mrow("server CPU, % of one CPU", "cpu_pct", 0, "info")
mrow("of which the scrub thread, % of one CPU", "bg_pct", 0, "info")
mrow("server CPU per request without the scrub thread (us)", "serve_req", 1, "info")
L.append("| drain hold p99 (us), worst round | | %s | | <= %d (scrub-budget): %s |" % (
    g(max(p99_holds) if hold_known else None), budget, verdict(hold_ok, hold_known)))
L.append("| drain hold max (us), worst round | | %s | | info |" % g(max((h for h in max_holds if h is not None), default=None)))
L.append("")
loaded = [p for x in R for p in x["on_st"]["loaded"]]
ldur = [p["duration_s"] for p in loaded if p.get("duration_s") is not None]
idur = [p["duration_s"] for p in idle["all"] if p.get("duration_s") is not None]
L.append("| full pass | passes timed | median (s) | min-max (s) | mode | snapshot chunks (median) |")
L.append("|---|---:|---:|---:|---|---:|")
L.append("| no client (scrubbing server, %s s) | %d | %s | %s | %s | %s |" % (
    E["BENCH_IDLE_S"], len(idur), g(med(idur), 3),
    "%.3f-%.3f" % (min(idur), max(idur)) if idur else "n/a", ", ".join(idle["modes"]) or "n/a", g(idle["chunks"])))
L.append("| under fio (all rounds) | %d | %s | %s | %s | %s |" % (
    len(ldur), g(med(ldur), 3), "%.3f-%.3f" % (min(ldur), max(ldur)) if ldur else "n/a",
    ", ".join(sorted(set(str(p.get("mode")) for p in loaded))) or "n/a",
    g(med([p.get("snapshot_chunks") for p in loaded]))))
L.append("| `nbdscrub check IMG` (offline, wall, %d runs) | %d | %.3f | %.3f-%.3f | - | - |" % (
    len(checks), len(checks), med(checks), min(checks), max(checks)))
L.append("")
if ldur and idur:
    L.append("A pass under fio takes %.2fx as long as with no client, %.2fx `nbdscrub check`; "
             "%s passes in %s s of fio per round (median)." % (
             med(ldur) / med(idur), med(ldur) / med(checks),
             g(med([x["on_st"]["passes"] for x in R])), E["BENCH_RUNTIME_S"]))
    L.append("")
reasons = sorted(set(r for x in R for r in x["on_st"]["reasons"]) | set(idle["reasons"]))
if reasons:
    L.append("Incomplete passes said: " + "; ".join("`%s`" % r for r in reasons))
    L.append("")
L.append("`e2fsck -fn` after the rounds: exit %d%s." % (after_rc, " (metadata intact)" if after_rc == 0 else ""))
if not scrubbing:
    L.append("")
    L.append("**No pass finished on the \"on\" servers (status.json says %s): the scrub figures are empty.**" % (
        ", ".join(sorted(set(str(x["on_st"]["state"]) for x in R)))))
for p in problems:
    L.append("")
    L.append("**%s**" % p)
text = "\n".join(L) + "\n"
open(sys.argv[1], "w").write(text)
print(text)
print("bench-scrub: targets: IOPS on/off >= %.1f %s, p99.9 on/off <= %.1f %s, drain hold p99 <= %d us %s" % (
    IOPS_MIN, verdict(iops_ok), P999_MAX, verdict(p999_ok), budget, verdict(hold_ok, hold_known)))
sys.exit(1 if problems else 0)
EOF
say "results in $out (total $(( $(date +%s) - t_start )) s)"
[ "$rc" = 0 ] || die "the run is not valid (see the report's last lines)"
