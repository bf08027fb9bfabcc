# nbdscrub corruption corpus: the profiles (the feature matrix) and the
# clean base image of each, made once per run and copied for every case.
#
# A base image is mke2fs -d from a generated tree, then e2fsck -fyD to
# index the large directories (htree, as the kernel would have made
# them), then debugfs for what mke2fs -d cannot make: a multi-block
# linear directory, device and fifo nodes, xattrs (in the inode and in a
# block), a file fragmented over many extents.  It must be clean to
# e2fsck -fn, or the run stops.

import os
import subprocess

# name: (image size in MiB, mke2fs options)
PROFILES = {
    "ext4-4k": (32, "-t ext4 -b 4096 -g 4096 -N 2048"),
    "ext4-1k": (16, "-t ext4 -b 1024"),
    "ext4-nocsum": (16, "-t ext4 -b 1024 -O ^metadata_csum,uninit_bg"),
    "ext4-128": (16, "-t ext4 -b 1024 -O ^64bit -I 128"),
    # The other features issue 4 supports, together: orphan_file,
    # metadata_csum_seed, meta_bg (without resize_inode), sparse_super2.
    "ext4-feat": (16, "-t ext4 -b 1024 -O orphan_file,metadata_csum_seed,"
                  "meta_bg,sparse_super2,^resize_inode"),
    "ext3": (16, "-t ext3 -b 1024"),
    "ext2": (16, "-t ext2 -b 1024"),
}


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, **kw)


def debugfs(img, cmds, write=True):
    """Run debugfs commands from a file (several -R run only the last)."""
    path = img + ".cmds"
    with open(path, "w") as f:
        f.write("\n".join(cmds) + "\n")
    r = run(["debugfs"] + (["-w"] if write else []) + ["-f", path, img],
            check=False)
    os.unlink(path)
    return r.stdout.decode(errors="replace")


def make_tree(root):
    """The generated tree every profile starts from."""
    os.makedirs(root + "/a/b/c/d", exist_ok=True)
    os.makedirs(root + "/x/y", exist_ok=True)
    os.makedirs(root + "/loop/l1/l2", exist_ok=True)
    os.makedirs(root + "/links", exist_ok=True)
    os.makedirs(root + "/files", exist_ok=True)
    os.makedirs(root + "/xattr", exist_ok=True)
    with open(root + "/files/empty", "w"):
        pass
    with open(root + "/files/small", "w") as f:
        f.write("small file\n")
    # Deterministic data: a corpus must not change from run to run.
    chunk = bytes((i * 7 + 3) & 0xFF for i in range(4096))
    with open(root + "/files/multi", "wb") as f:
        f.write(chunk * 24)                       # 96 KiB
    with open(root + "/files/big", "wb") as f:
        f.write(chunk * 300)                      # 1.2 MiB: DIND on 1k
    with open(root + "/files/sparse", "wb") as f:
        f.write(chunk)
        f.seek(200 * 1024)
        f.write(chunk)
        f.seek(600 * 1024)
        f.write(chunk)
    for i in range(40):                           # several blocks
        with open(root + "/x/y/entry-%03d" % i, "w") as f:
            f.write("%d\n" % i)
    for i in range(500):                          # an htree once -D
        with open(root + "/a/b/htree-entry-name-%04d" % i, "w") as f:
            f.write("%d\n" % i)
    for d in ("/a", "/a/b/c", "/a/b/c/d"):
        with open(root + d + "/file", "w") as f:
            f.write(d + "\n")
    os.symlink("small", root + "/links/fast")
    os.symlink("../files/" + "s" * 90, root + "/links/slow")
    os.link(root + "/files/small", root + "/links/hard")
    for x in ("in", "big", "shared1", "shared2"):
        with open(root + "/xattr/" + x, "w") as f:
            f.write(x + "\n")


def make_base(img, profile, tree, work):
    size, opts = PROFILES[profile]
    if os.path.exists(img):
        os.unlink(img)
    with open(img, "wb") as f:
        f.truncate(size << 20)
    run(["mke2fs", "-q", "-F", "-E", "lazy_itable_init=1"] + opts.split()
        + ["-d", tree, img])
    run(["e2fsck", "-fyD", img], check=False)
    one = work + "/one-block"
    with open(one, "wb") as f:
        f.write(b"\x5a" * 1024)
    frag = work + "/frag-data"
    with open(frag, "wb") as f:
        f.write(bytes(range(256)) * 4 * 24)       # 24 KiB
    longval = work + "/long-value"
    with open(longval, "wb") as f:
        f.write(b"v" * 700)
    # debugfs makes new names in its working directory: cd first.
    cmds = ["mkdir /lin", "cd /lin"]
    # A linear directory of several blocks (made after -D, so not indexed).
    cmds += ["mknod linear-directory-entry-with-a-long-name-%03d p" % i
             for i in range(100)]
    cmds += ["cd /", "mknod dev-null c 1 3", "mknod dev-loop b 7 0",
             "mknod fifo p"]
    cmds += ["ea_set /xattr/in user.small tiny",
             "ea_set -f %s /xattr/big user.long" % longval,
             "ea_set -f %s /xattr/shared1 user.long" % longval]
    # A fragmented file: fill the space with one-block files, free every
    # other one, write a file that lands in the holes.
    cmds += ["mkdir /frag", "cd /frag"]
    cmds += ["write %s h%02d" % (one, i) for i in range(40)]
    cmds += ["rm h%02d" % i for i in range(0, 40, 2)]
    cmds += ["write %s file" % frag]
    debugfs(img, cmds)
    r = run(["e2fsck", "-fn", img], check=False)
    if r.returncode != 0:
        raise SystemExit("base image %s is not clean:\n%s"
                         % (profile, r.stdout.decode(errors="replace")))
