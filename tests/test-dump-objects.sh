#!/bin/sh
# nbdscrub dump --groups and --inode N agree with dumpe2fs and debugfs:
# every group's bitmap and inode-table locations, free counts and
# checksum; regular files, directories, symlinks and their block maps
# (extents on ext4, indirect maps on ext3) as debugfs stat shows them;
# directory entries (linear and htree, made by e2fsck -fD) as debugfs
# ls -p lists them; symlink targets, fast and slow.
. "$(dirname "$0")/functions.sh"

requires debugfs -V
nbdscrub=$top/scrub/nbdscrub

tree=$tmp/tree
mkdir -p "$tree/dir/sub"
head -c 5M /dev/urandom >"$tree/big"
echo small >"$tree/dir/small"
ln -s big "$tree/fastlink"
ln -s "$(printf '%0100d' 0)" "$tree/slowlink"
i=0
while [ $i -lt 6000 ]; do
    echo $i >"$tree/dir/sub/a-file-name-long-enough-to-fill-index-blocks-$i"
    i=$((i + 1))
done

for kind in "-t ext4" "-t ext4 -b 1024" "-t ext3" "-t ext4 -O ^metadata_csum,uninit_bg"; do
    img=$tmp/img
    rm -f "$img"
    truncate -s 128M "$img"
    # shellcheck disable=SC2086
    mke2fs -q -F $kind -d "$tree" "$img" 2>/dev/null
    # Index the large directory (htree), as the kernel would.
    e2fsck -fyD "$img" >/dev/null 2>&1 || true
    debugfs -R "htree /dir/sub" "$img" 2>/dev/null |
        awk '/Indirect levels/ { print "    htree indirect levels:", $3 }'
    "$nbdscrub" dump --json --groups "$img" >"$tmp/groups.json"
    dumpe2fs "$img" >"$tmp/dumpe2fs.txt" 2>/dev/null
    python3 - "$tmp/groups.json" "$tmp/dumpe2fs.txt" "$kind" <<'PY'
import json, re, sys
groups = json.load(open(sys.argv[1]))["groups"]
text = open(sys.argv[2]).read()
kind = sys.argv[3]
blocks = re.split(r"\nGroup (\d+): ", text)
seen = 0
for i in range(1, len(blocks), 2):
    g, body = int(blocks[i]), blocks[i + 1]
    d = groups[g]
    bb = int(re.search(r"Block bitmap at (\d+)", body).group(1))
    ib = int(re.search(r"Inode bitmap at (\d+)", body).group(1))
    it = int(re.search(r"Inode table at (\d+)", body).group(1))
    fb = int(re.search(r"(\d+) free (?:blocks|clusters)", body).group(1))
    fi = int(re.search(r"(\d+) free inodes", body).group(1))
    assert (d["block_bitmap"], d["inode_bitmap"], d["inode_table"]) == \
        (bb, ib, it), (kind, g, d)
    assert (d["free_blocks_count"], d["free_inodes_count"]) == (fb, fi), \
        (kind, g, d)
    assert d["checksum_ok"], (kind, g)
    seen += 1
assert seen == len(groups), (kind, seen, len(groups))
PY
    for path in / /big /dir /dir/small /fastlink /slowlink /dir/sub; do
        ino=$(debugfs -R "stat $path" "$img" 2>/dev/null |
              awk '/^Inode:/ { print $2; exit }')
        "$nbdscrub" dump --json --inode "$ino" "$img" >"$tmp/inode.json"
        debugfs -R "stat <$ino>" "$img" >"$tmp/stat.txt" 2>/dev/null
        debugfs -R "ls -p <$ino>" "$img" >"$tmp/ls.txt" 2>/dev/null || true
        debugfs -R "cat <$ino>" "$img" >"$tmp/cat.txt" 2>/dev/null || true
        python3 - "$tmp/inode.json" "$tmp/stat.txt" "$kind $path" \
            "$tmp/ls.txt" "$tmp/cat.txt" <<'PY'
import json, re, sys
ino = json.load(open(sys.argv[1]))["inode"]
stat = open(sys.argv[2]).read()
what = sys.argv[3]
size = int(re.search(r"Size: (\d+)", stat).group(1))
links = int(re.search(r"Links: (\d+)", stat).group(1))
count = int(re.search(r"Blockcount: (\d+)", stat).group(1))
assert (ino["size"], ino["links_count"], ino["blocks"]) == \
    (size, links, count), (what, ino, size, links, count)
assert ino["checksum_ok"], what
assert "map_error" not in ino, (what, ino.get("map_error"))
# Data blocks: debugfs lists them as "(0-11):1234-1245, (IND):..."
m = re.search(r"\n(?:EXTENTS|BLOCKS):\n(.*)", stat)
want = []
if m:
    for part in m.group(1).split(", "):
        r = re.match(r"\((\d+)(?:-(\d+))?\):(\d+)(?:-(\d+))?", part)
        if r:
            l0, l1 = int(r.group(1)), int(r.group(2) or r.group(1))
            want.append((l0, int(r.group(3)), l1 - l0 + 1))
got = [(e["logical"], e["physical"], e["length"]) for e in ino["extents"]]
# debugfs splits runs where indirect blocks sit; compare block by block.
def expand(runs):
    return sorted((l + i, p + i) for l, p, n in runs for i in range(n))
assert expand(got) == expand(want), (what, got[:5], want[:5])
ls, cat = open(sys.argv[4]).read(), open(sys.argv[5], "rb").read()
if ino["type"] == "directory":
    # debugfs also prints the fake entries of htree index nodes (inode 0)
    want = sorted((int(l.split("/")[1]), l.split("/")[5])
                  for l in ls.splitlines()
                  if l.startswith("/") and l.split("/")[1] != "0")
    got = sorted((e["inode"], e["name"]) for e in ino["entries"])
    assert got == want, (what, len(got), len(want), got[:3], want[:3])
    assert "dir_error" not in ino, (what, ino["dir_error"])
if ino["type"] == "symlink":
    m = re.search(r'Fast link dest: "(.*)"', stat)
    target = m.group(1) if m else cat.decode()
    assert ino["target"] == target, (what, ino.get("target"), target)
PY
    done
    echo "groups and inodes agree with dumpe2fs and debugfs: mke2fs $kind"
done
