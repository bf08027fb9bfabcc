# nbdscrub corruption corpus: what a recipe can do to a copy of a base
# image.  A recipe is a function of one Recipe; it finds its object by
# path (as debugfs would) and changes it with debugfs commands or a byte
# edit.  A byte edit puts the object's checksum right again unless the
# case is about the checksum (csum=False), so each case damages one thing.

import os
import re

from base import debugfs, run
from ext4 import Fs, le, put

SB = 1024                     # byte offset of the primary superblock


class Recipe:
    def __init__(self, img, work):
        self.img = img
        self.work = work

    # -- tools --
    def fs(self):
        return Fs(self.img)

    def dbg(self, *cmds):
        out = debugfs(self.img, list(cmds))
        if "debugfs:" in out and re.search(
                r"(?m)^[a-z_]+: .*(not found|Invalid|Usage|usage|"
                r"[Cc]ould not|[Ff]ailed|Bad )", out):
            raise RuntimeError("debugfs: " + out)
        return out

    def geo(self, name):
        """A geometry value of the filesystem: blocks_count, bpg, ipg,
        first_data, bs (attributes of ext4.Fs)."""
        fs = self.fs()
        try:
            return getattr(fs, name)
        finally:
            fs.close()

    def ino(self, path):
        if path.startswith("<"):
            return int(path[1:-1])
        fs = self.fs()
        try:
            return fs.lookup(path)
        finally:
            fs.close()

    def free_inode(self):
        """An inode unused in group 0, past the reserved ones."""
        fs = self.fs()
        try:
            bm = fs.block(fs.inode_bitmap(0))
            first = le(fs.sb, 0x54, 4)
            for i in range(first, fs.ipg):
                if not bm[i // 8] & (1 << (i % 8)):
                    return i + 1
        finally:
            fs.close()
        raise RuntimeError("no free inode in group 0")

    def free_block(self):
        """A free block of group 0."""
        fs = self.fs()
        try:
            bm = fs.block(fs.block_bitmap(0))
            for i in range(fs.bpg - 1, 0, -1):
                if not bm[i // 8] & (1 << (i % 8)):
                    return fs.first_data + i
        finally:
            fs.close()
        raise RuntimeError("no free block in group 0")

    # -- superblock and group descriptors --
    def sb_get(self, off, n):
        fs = self.fs()
        try:
            return le(fs.sb, off, n)
        finally:
            fs.close()

    def sb_set(self, off, n, val, csum=True):
        fs = self.fs()
        put(fs.sb, off, n, val)
        fs.write_sb(fix_csum=csum)
        fs.close()

    def gd_get(self, g, off, n):
        fs = self.fs()
        try:
            return le(fs.gd(g), off, n)
        finally:
            fs.close()

    def gd_set(self, g, off, n, val, csum=True):
        fs = self.fs()
        d = fs.gd(g)
        put(d, off, n, val)
        fs.write_gd(g, d, fix_csum=csum)
        fs.close()

    # -- inodes --
    def inode_get(self, path, off, n):
        ino = self.ino(path)
        fs = self.fs()
        try:
            return le(fs.inode(ino), off, n)
        finally:
            fs.close()

    def inode_set(self, path, off, n, val, csum=True):
        ino = self.ino(path)
        fs = self.fs()
        raw = fs.inode(ino)
        put(raw, off, n, val)
        fs.write_inode(ino, raw, fix_csum=csum)
        fs.close()

    def inode_or(self, path, off, n, bits):
        self.inode_set(path, off, n, self.inode_get(path, off, n) | bits)

    def inode_edit(self, path, fn, csum=True):
        """fn(raw, fs) changes the inode's bytes in place."""
        ino = self.ino(path)
        fs = self.fs()
        raw = fs.inode(ino)
        fn(raw, fs)
        fs.write_inode(ino, raw, fix_csum=csum)
        fs.close()

    def bmap(self, path):
        ino = self.ino(path)
        fs = self.fs()
        try:
            return fs.bmap(ino)
        finally:
            fs.close()

    def data_blocks(self, path):
        ino = self.ino(path)
        fs = self.fs()
        try:
            return fs.blocks(ino)
        finally:
            fs.close()

    # -- blocks --
    def block_edit(self, blk, fn):
        """fn(buf, fs) changes the block's bytes in place (no checksum
        fixed: call a fix_* afterwards if the case wants one)."""
        fs = self.fs()
        b = fs.block(blk)
        fn(b, fs)
        fs.write_block(blk, b)
        fs.close()

    def fix_extent_block(self, path, blk):
        ino = self.ino(path)
        fs = self.fs()
        fs.fix_extent_block_csum(ino, blk)
        fs.close()

    def fix_dir_block(self, path, blk):
        ino = self.ino(path)
        fs = self.fs()
        fs.fix_dir_csum(ino, blk)
        fs.close()

    def fix_xattr_block(self, blk):
        fs = self.fs()
        fs.fix_xattr_block_csum(blk)
        fs.close()

    def fix_bitmaps(self, g):
        fs = self.fs()
        fs.fix_bitmap_csums(g)
        fs.close()

    # -- directory entries --
    def entries(self, path):
        ino = self.ino(path)
        fs = self.fs()
        try:
            return fs.dirents(ino)
        finally:
            fs.close()

    def entry(self, dirpath, name):
        ino = self.ino(dirpath)
        fs = self.fs()
        try:
            return fs.find_entry(ino, name)
        finally:
            fs.close()

    def dirent_edit(self, dirpath, name, fn, csum=True):
        """fn(block, offset_of_entry, fs) changes one entry in place; the
        block's checksum is fixed afterwards unless csum=False."""
        blk, off = self.entry(dirpath, name)[:2]
        self.block_edit(blk, lambda b, fs: fn(b, off, fs))
        if csum:
            self.fix_dir_block(dirpath, blk)

    def copy_of(self, suffix):
        path = self.img + suffix
        run(["cp", "--sparse=always", self.img, path])
        return path
