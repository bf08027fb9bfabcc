#!/bin/bash
# nbdscrub: offline check benchmark, "nbdscrub check" against "e2fsck -fn".
#
# Usage: scripts/bench-check.sh          (or: make bench)
#
# Builds two ext4 images and times both checkers on each, in one run:
#
#   populated  6 GiB, 4k blocks, about 205k inodes in use: 3,300 directories
#              in a 30 x 10 x 10 tree with 34 files each (sizes 0-64 KiB,
#              hard links, fast and slow symlinks), three htree directories
#              of 50k, 30k and 20k entries (the 50k one two levels deep),
#              8 files written in interleaved fsync'd 16 KiB appends, 4
#              files with a hole every other block (up to 8,000 extents,
#              extent trees of depth 1 and 2), 4 fallocated files (unwritten
#              extents), a block at 5 GiB, user xattrs: short ones that fit
#              in the inode, 1,500-byte ones that need their own block, one
#              identical 2,000-byte value on 1,000 files (a shared xattr
#              block), POSIX ACLs, trusted.* and security.* names; a FIFO
#              and device nodes; 4,000 files deleted at the end (freed
#              inodes, gaps in directory blocks).  Over 200k inodes in use.
#   sparse-1t  a 1 TiB sparse file, "mke2fs -t ext4" with lazy inode table
#              init and a few files (mke2fs -d).
#
# The populated image is written by the kernel: mke2fs, a loop mount, a
# Python script writing the tree, umount.  The kernel builds the htree
# indexes and the fragmentation is real allocation.  Without root or
# loop devices it falls back to writing the tree in the work directory,
# "mke2fs -d" and "e2fsck -fyD" to index the directories; the interleaved
# files are then contiguous (said on the output).  Either way "e2fsck -fn"
# must exit 0 on both images before anything is timed.
#
# Then, for each image, an unmeasured run of each tool (it warms the cache
# and gives the verdicts: e2fsck must say clean, and nbdscrub's findings
# are printed if it does not), then BENCH_ROUNDS rounds of both tools,
# alternating which goes first, with the page cache warm and, as root,
# cold (caches dropped before every measured run).  Each run is timed with
# /usr/bin/time -f '%e %M %U %S' for peak RSS and CPU, and with a
# nanosecond wall clock around it (e2fsck takes well under a second on
# the populated image: %e's 10 ms steps are too coarse).  The report gives
# the median wall time, the largest peak RSS, the median CPU time and the
# ratios nbdscrub / e2fsck (target: 1.0 or less for wall time and peak
# RSS), as markdown on stdout and in BENCH_OUT.
#
# Exit status: 1 if an image cannot be built or is not clean for e2fsck,
# if nbdscrub check is missing, or if nbdscrub check does not exit 0 on
# these clean images (a false positive, "cannot check" or a crash); a
# ratio over the target is only reported.
#
# Environment:
#   BENCH_ROUNDS    measured rounds per image and cache state (default 3)
#   BENCH_DIR       work directory (default: a new mktemp directory under
#                   /var/tmp, removed at the end unless KEEP=1; a BENCH_DIR
#                   you name is kept)
#   KEEP            1: keep the work directory
#   BENCH_CACHE     directory to keep the built images in, keyed by the
#                   recipe version below; later runs reuse them (they are
#                   only ever opened read-only)
#   BENCH_COLD      0: skip the cold-cache runs (default 1 as root)
#   BENCH_OUT       results file (default build/bench-check.md)
#   BENCH_NBDSCRUB  the nbdscrub binary (default scrub/nbdscrub)
#   BENCH_LOOP      0: build the populated image without a loop mount
#                   (the mke2fs -d route), even as root
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/bench-lib.sh"
# Bump when the images change, so cached ones are not reused.
recipe=2
rounds=${BENCH_ROUNDS:-3}
out=${BENCH_OUT:-$top/build/bench-check.md}
nbdscrub=${BENCH_NBDSCRUB:-$top/scrub/nbdscrub}
python=/usr/bin/python3     # Debian's, not whatever is first on PATH
t_start=$(date +%s)

die () { echo "bench-check: $*" >&2; exit 1; }
say () { echo "bench-check: $*" >&2; }

case $rounds in ''|*[!0-9]*|0) die "BENCH_ROUNDS must be a whole number, 1 or more" ;; esac
for cmd in mke2fs e2fsck dumpe2fs debugfs "$python"; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is not installed (run scripts/install-deps.sh)"
done

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
cold=${BENCH_COLD:-$is_root}
if [ "$cold" = 1 ] && [ "$is_root" = 0 ]; then
    say "not root: cannot drop caches, no cold-cache runs"
    cold=0
fi

bench_workdir bench-check
mnt=$work/mnt
mounted=0

cleanup ()
{
    local st=$?

    set +e
    bench_leave
    exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_store

# --- the timer ---------------------------------------------------------------

# GNU time's %M is the peak RSS of the command.  Without it, a Python
# wrapper reads ru_maxrss of its child; that includes the wrapper's own
# pages copied before exec, so its floor is measured and reported.
timer=(/usr/bin/time -f '%e %M %U %S' -o)
timer_note="/usr/bin/time -f '%e %M %U %S' (GNU time)"
if [ ! -x /usr/bin/time ]; then
    cat >"$work/timer.py" <<'EOF'
import os, resource, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, st, ru = os.wait4(pid, 0)
with open(out, "w") as f:
    f.write("%.2f %d %.2f %.2f\n" % (time.monotonic() - t, ru.ru_maxrss,
                                     ru.ru_utime, ru.ru_stime))
sys.exit(os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
EOF
    timer=("$python" "$work/timer.py")
    "${timer[@]}" "$work/floor.time" /bin/true
    timer_note="/usr/bin/time is missing (Debian package 'time'): peak RSS from a Python wrapper's ru_maxrss, which cannot read below its own $(cut -d' ' -f2 "$work/floor.time") KiB"
    say "$timer_note"
fi

# --- the images ----------------------------------------------------------------

# The tree writer.  Deterministic (seeded), prints GENSTATS on its last line.
cat >"$work/gen.py" <<'EOF'
import os, random, sys, time
root = sys.argv[1]
rng = random.Random(20261121)
t0 = time.time()
def log(*a): print("gen: %5.1fs" % (time.time() - t0), *a, file=sys.stderr, flush=True)
blob = rng.randbytes(65536)
shared_val = rng.randbytes(2000)
st = dict(files=0, dirs=1, symlinks=0, hardlinks=0, xattr_in_inode=0,
          xattr_block=0, xattr_shared=0, data_bytes=0)
skipped = set()      # xattr namespaces the tree's filesystem refused
def setx(p, name, val, key):
    ns = name.split(".", 1)[0]
    if ns in skipped:
        return
    try:
        os.setxattr(p, name, val, follow_symlinks=False)
        st[key] += 1
    except OSError as e:
        skipped.add(ns)
        log("SKIPPED %s.* xattrs, refused where the tree is written (%s)" % (ns, e))
def mkfile(p, size):
    with open(p, "wb") as f:
        while size > 0:
            n = min(size, len(blob))
            f.write(blob[:n]); size -= n; st["data_bytes"] += n
    st["files"] += 1
def pick_size():
    r = rng.random()
    if r < 0.40: return 0
    if r < 0.80: return rng.randint(1, 4000)
    if r < 0.97: return rng.randint(4097, 16384)
    return rng.randint(16385, 65536)

if sys.argv[2] == "small":
    # the few files of the 1 TiB image
    d = os.path.join(root, "a", "b"); os.makedirs(d); st["dirs"] += 2
    mkfile(os.path.join(root, "a", "hello"), 6)
    mkfile(os.path.join(d, "random.bin"), 3 << 20)
    with open(os.path.join(d, "holes"), "wb") as f:
        for b in range(0, 64, 2):
            f.seek(b * 4096); f.write(blob[:4096])
    st["files"] += 1
    os.symlink("hello", os.path.join(root, "a", "link")); st["symlinks"] += 1
    setx(os.path.join(root, "a", "hello"), "user.tag", b"small", "xattr_in_inode")
    print("GENSTATS", " ".join("%s=%s" % kv for kv in st.items()))
    sys.exit(0)

# 1. 30 x 10 x 10 directories; the 3,000 leaves hold the files
leaves = []
for a in range(30):
    for b in range(10):
        for c in range(10):
            d = os.path.join(root, "tree", "t%02d" % a, "m%02d" % b, "l%02d" % c)
            os.makedirs(d); leaves.append(d)
st["dirs"] += 1 + 30 + 300 + 3000
prev = None
for i, d in enumerate(leaves):
    for j in range(34):
        p = os.path.join(d, "file-%03d.dat" % j)
        mkfile(p, pick_size())
        r = rng.random()
        if r < 0.05: setx(p, "user.tag", b"in-inode-%07d" % i, "xattr_in_inode")
        elif r < 0.06: setx(p, "user.blob", rng.randbytes(1500), "xattr_block")
        elif r < 0.07: setx(p, "user.shared", shared_val, "xattr_shared")
        if prev and rng.random() < 0.02:
            os.link(prev, os.path.join(d, "hardlink-%03d" % j)); st["hardlinks"] += 1
        prev = p
    os.symlink("file-000.dat", os.path.join(d, "fast-link")); st["symlinks"] += 1
    if i % 10 == 0:
        os.symlink("../../m%02d/" % (i % 10) + "x" * 100, os.path.join(d, "slow-link"))
        st["symlinks"] += 1
    if i % 20 == 0:
        setx(d, "user.dirtag", b"directory %d" % i, "xattr_in_inode")
log("tree: %d dirs, %d files" % (st["dirs"], st["files"]))
# 2. three large directories (htree once indexed); longer names in the
#    biggest make its index two levels deep
for name, n, pad in (("h50k", 50000, 48), ("h30k", 30000, 16), ("h20k", 20000, 4)):
    d = os.path.join(root, "htree", name); os.makedirs(d); st["dirs"] += 1
    for k in range(n):
        p = os.path.join(d, "entry-%06d-%s" % (k, "n" * (pad + k % 7)))
        open(p, "wb").close(); st["files"] += 1
        if k % 100 == 0: setx(p, "user.tag", b"h", "xattr_in_inode")
st["dirs"] += 1
log("htree directories")
# 3. fragmented files: 8 files grown by interleaved, fsync'd 16 KiB appends
d = os.path.join(root, "frag"); os.makedirs(d); st["dirs"] += 1
fs = [open(os.path.join(d, "interleaved-%d" % k), "wb") for k in range(8)]
for r in range(256):
    for f in fs:
        f.write(blob[:16384]); f.flush(); os.fsync(f.fileno()); st["data_bytes"] += 16384
for f in fs:
    f.close(); st["files"] += 1
#    files with a 4 KiB hole every other block: one extent per block
for k, nblk in enumerate((600, 1200, 3000, 8000)):
    with open(os.path.join(d, "holes-%d" % k), "wb") as f:
        for b in range(0, nblk * 2, 2):
            f.seek(b * 4096); f.write(blob[:4096]); st["data_bytes"] += 4096
    st["files"] += 1
#    unwritten extents
for k in range(4):
    fd = os.open(os.path.join(d, "fallocated-%d" % k), os.O_CREAT | os.O_WRONLY, 0o644)
    os.posix_fallocate(fd, 0, (k + 1) << 20); os.close(fd); st["files"] += 1
#    a file past 4 GiB (large_file), one block at 5 GiB
with open(os.path.join(d, "past-4g"), "wb") as f:
    f.seek(5 << 30); f.write(blob[:4096])
st["files"] += 1
log("fragmented files")
# 4. what a used filesystem has besides: POSIX ACLs (system.* xattrs),
#    trusted.* and security.* names, an inode whose xattrs fill its block,
#    special files, and deleted files (freed inodes with a dtime, gaps in
#    directory blocks)
def acl(*entries):
    return b"\x02\x00\x00\x00" + b"".join(
        tag.to_bytes(2, "little") + perm.to_bytes(2, "little") + i.to_bytes(4, "little")
        for tag, perm, i in entries)
ACL = acl((1, 6, 0xffffffff), (2, 4, 1000), (4, 4, 0xffffffff), (0x10, 6, 0xffffffff), (0x20, 4, 0xffffffff))
for i, leaf in enumerate(leaves):
    if i % 30 == 0:
        setx(leaf, "system.posix_acl_default", ACL, "xattr_in_inode")
    if i % 10 == 0:
        p = os.path.join(leaf, "file-001.dat")
        setx(p, "system.posix_acl_access", ACL, "xattr_in_inode")
        setx(p, "trusted.bench", b"t" * 24, "xattr_in_inode")
        setx(p, "security.bench", b"s" * 24, "xattr_in_inode")
d = os.path.join(root, "special"); os.makedirs(d); st["dirs"] += 1
p = os.path.join(d, "many-xattrs"); mkfile(p, 100)
for k in range(40):
    setx(p, "user.attr-%02d" % k, rng.randbytes(64), "xattr_block")
os.mkfifo(os.path.join(d, "fifo")); st["files"] += 1
try:
    os.mknod(os.path.join(d, "char"), 0o600 | 0o020000, os.makedev(1, 3))
    os.mknod(os.path.join(d, "block"), 0o600 | 0o060000, os.makedev(7, 0))
    st["files"] += 2
except OSError as e:
    log("SKIPPED device nodes (%s)" % e)
deleted = 0
for i, leaf in enumerate(leaves):
    if i % 3 == 0:
        for j in (5, 6, 7, 20):
            os.unlink(os.path.join(leaf, "file-%03d.dat" % j)); deleted += 1
st["files"] -= deleted
st["deleted"] = deleted
log("ACLs, special files, %d deleted" % deleted)
print("GENSTATS", " ".join("%s=%s" % kv for kv in st.items()),
      "xattrs_skipped=%s" % (",".join(sorted(skipped)) or "none"))
EOF

# assert_clean IMAGE: e2fsck -fn must exit 0, or the benchmark is void.
assert_clean () { bench_assert_clean "$1" "$work/assert.log"; }

# build_populated IMAGE: the kernel route if we can loop mount, else
# mke2fs -d + e2fsck -fyD.  GENSTATS and the route go to IMAGE.stats.
build_populated ()
{
    local img=$1 tmp=$1.tmp route rc=0

    rm -f "$tmp"
    truncate -s 6G "$tmp"
    mkdir -p "$mnt"
    if [ "$is_root" = 1 ] && [ "${BENCH_LOOP:-1}" = 1 ] &&
       mke2fs -q -F -t ext4 -b 4096 -N 300000 -L bench-populated "$tmp" &&
       mount -o loop "$tmp" "$mnt" 2>"$work/mount.log"; then
        mounted=1
        route="written by the kernel: mke2fs, loop mount, a Python tree writer, umount"
        "$python" "$work/gen.py" "$mnt" big >"$img.stats.tmp"
        umount "$mnt"
        mounted=0
    else
        say "SKIPPED the kernel route (not root, BENCH_LOOP=0, or no loop mount: $(cat "$work/mount.log" 2>/dev/null))"
        say "  using mke2fs -d + e2fsck -fyD; the interleaved files will be contiguous"
        route="mke2fs -d from a tree written in the work directory, then e2fsck -fyD (interleaved files NOT fragmented: no loop mount)"
        rm -rf "$work/tree"
        mkdir "$work/tree"
        "$python" "$work/gen.py" "$work/tree" big >"$img.stats.tmp"
        rm -f "$tmp"
        truncate -s 6G "$tmp"
        mke2fs -q -F -t ext4 -b 4096 -N 300000 -L bench-populated -d "$work/tree" "$tmp"
        rm -rf "$work/tree"
        # -D indexes the large directories; exit 1 means it changed them.
        e2fsck -fyD "$tmp" >"$work/fsck-D.log" 2>&1 || rc=$?
        [ "$rc" -le 1 ] || { cat "$work/fsck-D.log" >&2; die "e2fsck -fyD exited $rc"; }
    fi
    echo "route=$route" >>"$img.stats.tmp"
    assert_clean "$tmp"
    debugfs -R 'htree /htree/h50k' "$tmp" 2>/dev/null | grep -q 'Indirect levels: 1' ||
        say "WARNING: /htree/h50k is not a two-level htree"
    mv "$img.stats.tmp" "$img.stats"
    mv "$tmp" "$img"
}

build_sparse ()
{
    local img=$1 tmp=$1.tmp

    rm -rf "$tmp" "$work/small"
    mkdir "$work/small"
    "$python" "$work/gen.py" "$work/small" small >"$img.stats.tmp"
    echo "route=truncate -s 1T, mke2fs -t ext4 (lazy init) -d with a few files" >>"$img.stats.tmp"
    truncate -s 1T "$tmp"
    mke2fs -q -F -t ext4 -L bench-1t -d "$work/small" "$tmp"
    rm -rf "$work/small"
    assert_clean "$tmp"
    mv "$img.stats.tmp" "$img.stats"
    mv "$tmp" "$img"
}

images=(populated sparse-1t)
declare -A image_path
for name in "${images[@]}"; do
    img=$store/$name-r$recipe.img
    image_path[$name]=$img
    if [ -f "$img" ] && [ -f "$img.stats" ]; then
        say "$name: cached image $img"
        assert_clean "$img"
        continue
    fi
    t0=$(date +%s)
    say "$name: building $img"
    case $name in
    populated) build_populated "$img" ;;
    sparse-1t) build_sparse "$img" ;;
    esac
    echo "build_seconds=$(( $(date +%s) - t0 ))" >>"$img.stats"
    say "$name: built in $(( $(date +%s) - t0 )) s"
done

# --- nbdscrub check ------------------------------------------------------------

have_check=0
check_opts=()
# Build it when it is ours (make bench has already; this is for a direct run).
if [ -z "${BENCH_NBDSCRUB:-}" ]; then
    make -s -C "$top" scrub/nbdscrub >"$work/make.log" 2>&1 ||
        say "make scrub/nbdscrub failed (see below); using what is there"
    [ -s "$work/make.log" ] && tail -n 5 "$work/make.log" >&2
fi
if [ -x "$nbdscrub" ] && "$nbdscrub" check --help >"$work/check-help.txt" 2>&1; then
    have_check=1
    grep -q -- '--no-progress' "$work/check-help.txt" && check_opts+=(--no-progress)
else
    say "nbdscrub check is not available ($nbdscrub): timing e2fsck alone"
fi

# --- the runs -------------------------------------------------------------------

results=$work/results.tsv
: >"$results"
verdicts=$work/verdicts.tsv
: >"$verdicts"
failed=0

drop_caches () { sync; echo 3 >/proc/sys/vm/drop_caches; }

# tool_argv TOOL IMAGE: the command line of one tool on one image, in argv.
tool_argv ()
{
    case $1 in
    e2fsck)   argv=(e2fsck -fn "$2") ;;
    nbdscrub) argv=("$nbdscrub" check "$2" "${check_opts[@]}") ;;
    esac
}

# measure IMAGE-NAME TOOL CACHE ROUND: one timed run, a line in $results.
measure ()
{
    local name=$1 tool=$2 state=$3 round=$4 rc=0 t0 t1 us e m u s
    local -a argv

    tool_argv "$tool" "${image_path[$name]}"
    [ "$state" = cold ] && drop_caches
    t0=$(date +%s%N)
    "${timer[@]}" "$work/run.time" "${argv[@]}" >"$work/out.txt" 2>&1 || rc=$?
    t1=$(date +%s%N)
    us=$(( (t1 - t0) / 1000 ))
    read -r e m u s < <(tail -n 1 "$work/run.time")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$tool" "$state" \
        "$round" "$us" "$m" "$u" "$s" "$rc" >>"$results"
    printf '  %-9s %-8s %-4s round %d: %4d.%03d s %8d KiB  exit %d\n' "$name" \
        "$tool" "$state" "$round" $(( us / 1000000 )) $(( us / 1000 % 1000 )) \
        "$m" "$rc" >&2
}

for name in "${images[@]}"; do
    img=${image_path[$name]}
    dumpe2fs -h "$img" >"$work/$name.dumpe2fs" 2>/dev/null
    # The unmeasured runs: the verdicts, e2fsck's statistics (-v), and a
    # warm page cache for the first measured round.
    e2fsck -fnv "$img" >"$work/$name.e2fsck.txt" 2>&1 || die "$name: e2fsck -fnv is not clean"
    check_rc=-
    if [ "$have_check" = 1 ]; then
        check_rc=0
        "$nbdscrub" check "$img" "${check_opts[@]}" >"$work/$name.nbdscrub.txt" 2>&1 || check_rc=$?
        if [ "$check_rc" -ne 0 ]; then
            failed=1
            say "$name: nbdscrub check exited $check_rc on an image e2fsck calls clean; its output:"
            head -n 40 "$work/$name.nbdscrub.txt" | sed 's/^/    /' >&2
        fi
    fi
    printf '%s\t%s\n' "$name" "$check_rc" >>"$verdicts"
    # Where each spends its time: e2fsck per pass (-tt), nbdscrub per
    # scrubber (the stats of --json).  Unmeasured, warm.
    e2fsck -fn -tt "$img" >"$work/$name.e2fsck-tt.txt" 2>&1 || true
    if [ "$have_check" = 1 ] && [ "$check_rc" -lt 126 ]; then
        "$nbdscrub" check "$img" --json "${check_opts[@]}" \
            >"$work/$name.nbdscrub.json" 2>/dev/null || true
    fi
    tools=(e2fsck)
    # A tool that crashed is not timed; one that found problems still is.
    if [ "$check_rc" != - ] && [ "$check_rc" -lt 126 ]; then
        tools+=(nbdscrub)
    fi
    states=(warm)
    [ "$cold" = 1 ] && states+=(cold)
    for state in "${states[@]}"; do
        for round in $(seq 1 "$rounds"); do
            # Odd rounds e2fsck first, even rounds nbdscrub first.
            if [ $(( round % 2 )) = 1 ]; then order=("${tools[@]}")
            else order=(); for (( i = ${#tools[@]} - 1; i >= 0; i-- )); do order+=("${tools[i]}"); done
            fi
            for tool in "${order[@]}"; do
                measure "$name" "$tool" "$state" "$round"
            done
        done
    done
done

# --- the report -------------------------------------------------------------------

export BENCH_WORK=$work BENCH_ROUNDS_N=$rounds BENCH_TIMER="$timer_note" \
       BENCH_IMAGES="${images[*]}" BENCH_CHECK_OPTS="${check_opts[*]}" \
       BENCH_HAVE_CHECK=$have_check BENCH_COLD_RUN=$cold
export BENCH_REV="$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$top" diff --quiet HEAD -- scrub fsformat 2>/dev/null || echo '+changes')"
export BENCH_E2FSPROGS="$(e2fsck -V 2>&1 | head -n 1)"
for name in "${images[@]}"; do
    export "BENCH_IMG_${name//-/_}=${image_path[$name]}"
done
mkdir -p "$(dirname "$out")"
"$python" - >"$out" <<'EOF'
import os, re, statistics, subprocess, time
W = os.environ["BENCH_WORK"]
images = os.environ["BENCH_IMAGES"].split()
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(W, "results.tsv"))]
verdict = dict(l.rstrip("\n").split("\t") for l in open(os.path.join(W, "verdicts.tsv")))

def cpu_model():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()
    return "unknown"
def mem_gib():
    for l in open("/proc/meminfo"):
        if l.startswith("MemTotal"):
            return int(l.split()[1]) / 2**20
def kv(path, sep=":"):
    d = {}
    for l in open(path, errors="replace"):
        if sep in l:
            k, v = l.split(sep, 1); d[k.strip()] = v.strip()
    return d
def fsck_v(path):
    t = open(path, errors="replace").read()
    def num(pat):
        m = re.search(r"^\s*(\d+) " + pat, t, re.M)
        return int(m.group(1)) if m else 0
    m = re.search(r"Extent depth histogram: ([\d/]+)", t)
    return dict(dirs=num("director(?:y|ies)"), files=num("regular files?"),
                symlinks=num("symbolic links?"), links=num("links?"),
                noncontig=num("non-contiguous files?"),
                depth=m.group(1) if m else "-")
def gen(path):
    d = {}
    for l in open(path):
        if l.startswith("GENSTATS"):
            d.update(x.split("=", 1) for x in l.split()[1:])
        elif "=" in l:
            k, v = l.rstrip("\n").split("=", 1); d[k] = v
    return d
def g(n): return "{:,}".format(n)

print("### Results: `scripts/bench-check.sh` (%s)" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
print()
print("- machine: %d CPUs (%s), %.0f GiB RAM, Linux %s" % (os.cpu_count(), cpu_model(), mem_gib(), os.uname().release))
print("- %s; nbdscrub at %s, `nbdscrub check IMAGE%s`" % (os.environ["BENCH_E2FSPROGS"], os.environ["BENCH_REV"],
      (" " + os.environ["BENCH_CHECK_OPTS"]) if os.environ["BENCH_CHECK_OPTS"] else ""))
print("- %s measured rounds per image and cache state, alternating which tool goes first; "
      "warm = page cache hot%s" % (os.environ["BENCH_ROUNDS_N"],
      ", cold = `sync; echo 3 > /proc/sys/vm/drop_caches` before every run" if os.environ["BENCH_COLD_RUN"] == "1" else
      " (no cold runs: not root)"))
print("- timer: %s; wall time from a ns clock around it" % os.environ["BENCH_TIMER"])
print("- reproduce: `make bench` or `scripts/bench-check.sh` (`BENCH_CACHE=DIR` keeps the images)")
print()
print("| image | size | block | inodes used | dirs | files | symlinks | extent depth 0/1/2 | non-contiguous | xattrs in-inode/block/shared | built by |")
print("|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|")
for name in images:
    path = os.environ["BENCH_IMG_" + name.replace("-", "_")]
    d = kv(os.path.join(W, name + ".dumpe2fs"))
    f = fsck_v(os.path.join(W, name + ".e2fsck.txt"))
    s = gen(path + ".stats")
    bs = int(d["Block size"]); bc = int(d["Block count"]); fb = int(d["Free blocks"])
    ic = int(d["Inode count"]); fi = int(d["Free inodes"])
    alloc = os.stat(path).st_blocks * 512
    print("| %s | %s GiB (%s GiB used, %.1f GiB on disk) | %d | %s of %s | %s | %s | %s | %s | %s | %s/%s/%s | %s, %s s |" % (
        name, g(bc * bs >> 30), "%.1f" % ((bc - fb) * bs / 2**30), alloc / 2**30, bs, g(ic - fi), g(ic),
        g(f["dirs"]), g(f["files"]), g(f["symlinks"]), f["depth"], g(f["noncontig"]),
        s.get("xattr_in_inode", "0"), s.get("xattr_block", "0"), s.get("xattr_shared", "0"),
        s.get("route", "?"), s.get("build_seconds", "?")))
print()

def med(xs): return statistics.median(xs)
print("| image | cache | tool | exit | wall median (s) | wall min-max (s) | peak RSS (MiB) | CPU user+sys median (s) |")
print("|---|---|---|---|---:|---:|---:|---:|")
summary = []
for name in images:
    for state in ("warm", "cold"):
        got = {}
        for tool in ("e2fsck", "nbdscrub"):
            rs = [r for r in rows if r[0] == name and r[1] == tool and r[2] == state]
            if not rs: continue
            wall = [int(r[4]) / 1e6 for r in rs]
            rss = max(int(r[5]) for r in rs)
            cpu = med([float(r[6]) + float(r[7]) for r in rs])
            codes = sorted(set(r[8] for r in rs))
            got[tool] = (med(wall), rss, cpu, {r[3]: int(r[4]) for r in rs})
            print("| %s | %s | %s | %s | %.3f | %.3f-%.3f | %.1f | %.2f |" % (
                name, state, "nbdscrub check" if tool == "nbdscrub" else "e2fsck -fn",
                ",".join(codes), med(wall), min(wall), max(wall), rss / 1024, cpu))
        if "e2fsck" in got and "nbdscrub" in got:
            n, e = got["nbdscrub"], got["e2fsck"]
            paired = med([n[3][r] / e[3][r] for r in n[3] if r in e[3]])
            summary.append((name, state, n[0] / e[0], paired, n[1] / e[1],
                            n[2] / e[2] if e[2] else float("nan")))
print()
if summary:
    print("| image | cache | wall nbdscrub/e2fsck | paired wall | peak RSS nbdscrub/e2fsck | CPU nbdscrub/e2fsck | target <= 1.0 (wall, RSS) |")
    print("|---|---|---:|---:|---:|---:|---|")
    for name, state, w, pw, m, c in summary:
        print("| %s | %s | %.2f | %.2f | %.2f | %.2f | %s |" % (name, state, w, pw, m, c,
              "met" if w <= 1.0 and m <= 1.0 else "NOT met (%s)" % ", ".join(
                  x for x, v in (("wall", w), ("RSS", m)) if v > 1.0)))
    print()
    print("wall = ratio of the medians; paired = median over rounds of the ratio "
          "within a round (the two ran back to back); CPU = user+sys, for information.")
    print()
# Where the time goes, from one unmeasured warm run of each.
import json
print("Where the time goes (one unmeasured warm run each; e2fsck `-tt` real time per pass, "
      "nbdscrub `--json` time per scrubber, largest first):")
print()
for name in images:
    t = open(os.path.join(W, name + ".e2fsck-tt.txt"), errors="replace").read()
    passes = re.findall(r"^(Pass \d+):.*?time:\s+([\d.]+)/", t, re.M)
    e = ", ".join("%s %s s" % (p.lower(), v) for p, v in passes)
    try:
        doc = json.load(open(os.path.join(W, name + ".nbdscrub.json")))
        st = doc["stats"]
        top = sorted(((v.get("time_s", 0), k) for k, v in st.items()), reverse=True)[:5]
        n = "%.3f s in all by its own clock, of which %s" % (
            doc.get("summary", {}).get("elapsed_s", float("nan")),
            ", ".join("%s %.3f s" % (k, v) for v, k in top))
    except Exception:
        n = "(no --json statistics)"
    print("- %s: e2fsck: %s; nbdscrub: %s" % (name, e or "(no -tt output)", n))
print()
if os.environ["BENCH_HAVE_CHECK"] != "1":
    print("**nbdscrub check was not available: e2fsck alone was timed.**")
else:
    # What the pass covered, in its own words: a check that has not yet
    # looked at the inodes is fast for that reason.
    print("nbdscrub check's summary line on each image:")
    print()
    for name in images:
        lines = open(os.path.join(W, name + ".nbdscrub.txt"), errors="replace").read().strip().splitlines()
        print("- %s: `%s`" % (name, lines[-1].split(": ", 1)[-1] if lines else "(no output)"))
    print()
for name in images:
    rc = verdict.get(name, "-")
    if rc not in ("0", "-"):
        print("**nbdscrub check exited %s on %s, which e2fsck -fn calls clean%s.** First lines of its output:" % (
            rc, name, " (a crash: not timed)" if int(rc) >= 126 else ""))
        print()
        print("```")
        print("".join(open(os.path.join(W, name + ".nbdscrub.txt"), errors="replace").readlines()[:20]).rstrip())
        print("```")
        print()
EOF
echo
cat "$out"
echo
say "results in $out (total $(( $(date +%s) - t_start )) s)"
[ "$have_check" = 1 ] || die "nbdscrub check is not available: only e2fsck was timed"
[ "$failed" = 0 ] || die "nbdscrub check did not say clean on every image (see above)"
