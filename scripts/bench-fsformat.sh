#!/bin/sh
# nbdscrub: fsformat micro-benchmarks: crc32c throughput (CPU instruction
# and tables) and decode speed.  Usage: scripts/bench-fsformat.sh
# (make bench runs it).  Results on stdout, and as markdown in
# BENCH_FSF_OUT (default build/bench-fsformat.md).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_FSF_OUT:-$top/build/bench-fsformat.md}
bin=build/bench/bench-fsformat
make -s -C "$top" "$bin"
bin=$top/$bin
res=$("$bin")
echo "$res"
mkdir -p "$(dirname "$out")"
{
    echo "# fsformat micro-benchmarks"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)"
    echo
    echo "| measurement | value | unit |"
    echo "|---|---:|---|"
    echo "$res" | awk '{ u = $3; for (i = 4; i <= NF; i++) u = u " " $i;
                         print "| " $1 " | " $2 " | " u " |" }'
} >"$out"
echo "bench-fsformat: results in $out"
