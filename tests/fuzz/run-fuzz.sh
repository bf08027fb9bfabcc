#!/bin/sh
# nbdscrub: run a libFuzzer target for FUZZ_SECONDS on a seed corpus made
# here from mke2fs images (nothing fetched, nothing committed).
#
#   FUZZ_SECONDS=60 tests/fuzz/run-fuzz.sh build/fuzz/fuzz-fsformat
#
# The seeds are whole 3 MiB images of each kind (a filesystem larger than
# its image is refused at open, so a truncated seed reaches nothing), and
# 3 MiB images whose journal holds committed transactions still to be
# replayed (debugfs jo/jw/jc), so the fuzzer starts from real logs; the
# corpus each fuzzer grows is kept in build/fuzz/corpus-NAME between
# runs.
# Exits non-zero on any crash, leak, timeout or out-of-memory.
set -eu

bin=${1:?usage: run-fuzz.sh FUZZER}
seconds=${FUZZ_SECONDS:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$top/build/fuzz/corpus-$(basename "$bin")
seeds=$top/build/fuzz/seeds
mkdir -p "$corpus" "$seeds"

if [ -z "$(ls "$seeds")" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/tree/d"
    for i in 1 2 3 4 5; do echo "seed $i" >"$tmp/tree/d/f$i"; done
    n=0
    for recipe in "-t ext4" "-t ext4 -b 1024" "-t ext4 -O ^metadata_csum" \
                  "-t ext4 -O ^64bit -I 128" "-t ext3" "-t ext2" \
                  "-t ext4 -O meta_bg,^resize_inode"; do
        n=$((n + 1))
        truncate -s 3M "$tmp/img"
        # shellcheck disable=SC2086
        mke2fs -q -F -d "$tmp/tree" $recipe "$tmp/img" 2>/dev/null
        cp "$tmp/img" "$seeds/seed$n"
        rm -f "$tmp/img"
    done
    for recipe in "-t ext4 -b 1024 -J size=1" \
                  "-t ext4 -b 1024 -J size=1 -O ^metadata_csum" \
                  "-t ext3 -b 1024 -J size=1"; do
        n=$((n + 1))
        truncate -s 3M "$tmp/img"
        # shellcheck disable=SC2086
        mke2fs -q -F -d "$tmp/tree" $recipe "$tmp/img" 2>/dev/null
        # Two transactions: a copy of the root directory's first inode-
        # table block, and of block 1 (the superblock), both committed.
        dd if="$tmp/img" of="$tmp/blk" bs=1024 skip=1 count=1 status=none
        printf 'jo\njw -b 1 %s\njc\njo\njw -b 2 %s\njc\n' \
            "$tmp/blk" "$tmp/blk" >"$tmp/cmds"
        debugfs -w -f "$tmp/cmds" "$tmp/img" >/dev/null 2>&1
        cp "$tmp/img" "$seeds/seed$n"
        rm -f "$tmp/img"
    done
fi

# -rss_limit_mb and -timeout make runaway allocations and hangs failures.
"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -max_len=3145728 -print_final_stats=1 "$corpus" "$seeds"
