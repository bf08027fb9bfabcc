# nbdscrub corruption corpus: one case per kind of damage.
#
# Each case: an id, the metadata type it damages, the profiles it runs
# on (base.PROFILES), the problem codes nbdscrub is expected to report
# (at least one of them), the verdict the recipe means e2fsck -fn to
# give (0 clean, 4 corrupt: the run compares it with the real one and
# says so when they differ, a sign of a recipe that damages nothing or
# something else) and the recipe.  The verdict nbdscrub must match is
# e2fsck's, computed at run time.
#
# Offsets: superblock, group descriptor and inode fields as in
# lib/ext2fs/ext2_fs.h; each recipe names the field it changes.

import re
import struct

from ext4 import EXTENTS_FL, INDEX_FL, crc32c, le, put

CASES = []

ALL = ("ext4-4k", "ext4-1k", "ext4-nocsum", "ext4-128", "ext4-feat", "ext3",
       "ext2")
EXT4 = ("ext4-4k", "ext4-1k", "ext4-nocsum", "ext4-128", "ext4-feat")
CSUM = ("ext4-4k", "ext4-1k", "ext4-128", "ext4-feat")
IND = ("ext3", "ext2")
JOURNAL = ("ext4-4k", "ext4-1k", "ext4-nocsum", "ext4-128", "ext4-feat",
           "ext3")
HUGE = ("ext4-4k", "ext4-1k", "ext4-nocsum", "ext4-feat", "ext3",
        "ext2")                                   # 256-byte inodes


class Case:
    def __init__(self, cid, mtype, profiles, codes, expect, fn, doc,
                 replay=False):
        self.id, self.type, self.profiles = cid, mtype, profiles
        self.codes, self.expect, self.fn, self.doc = codes, expect, fn, doc
        self.replay = replay       # the journal needs recovery: oracle
                                   # is e2fsck after journal_only replay


def case(cid, mtype, profiles, codes, expect=4, replay=False):
    def reg(fn):
        CASES.append(Case(cid, mtype, profiles, codes, expect, fn,
                          (fn.__doc__ or "").strip(), replay))
        return fn
    return reg


def setb(b, i, on):
    if on:
        b[i // 8] |= 1 << (i % 8)
    else:
        b[i // 8] &= ~(1 << (i % 8)) & 0xFF


# ---------------------------------------------------------------- superblock

@case("sb-magic", "superblock", ("ext4-4k", "ext3", "ext2"),
      ["SB_BAD_MAGIC"])
def _(r):
    "primary superblock s_magic zeroed (backups intact)"
    r.sb_set(0x38, 2, 0)


@case("sb-csum", "superblock", CSUM, ["SB_CSUM"])
def _(r):
    "superblock s_checksum wrong"
    r.sb_set(0x3FC, 4, r.sb_get(0x3FC, 4) ^ 0x5A5A, csum=False)


@case("sb-inodes-count", "superblock", ("ext4-1k", "ext2"),
      ["SB_INODES_COUNT"])
def _(r):
    "s_inodes_count not inodes_per_group * groups"
    r.sb_set(0x00, 4, r.sb_get(0x00, 4) - 8)


@case("sb-free-blocks-range", "superblock", ("ext4-4k", "ext3"),
      ["SB_FREE_BLOCKS_RANGE"], expect=0)
def _(r):
    "s_free_blocks_count above s_blocks_count"
    r.sb_set(0x0C, 4, r.sb_get(0x04, 4) + 100)


@case("sb-free-inodes-range", "superblock", ("ext4-1k", "ext2"),
      ["SB_FREE_INODES_RANGE"], expect=0)
def _(r):
    "s_free_inodes_count above s_inodes_count"
    r.sb_set(0x10, 4, r.sb_get(0x00, 4) + 100)


@case("sb-r-blocks", "superblock", ("ext4-4k", "ext2"),
      ["SB_R_BLOCKS_RANGE"])
def _(r):
    "s_r_blocks_count above s_blocks_count"
    r.sb_set(0x08, 4, r.sb_get(0x04, 4) + 1)


@case("sb-first-ino", "superblock", ("ext4-1k", "ext3"),
      ["SB_FIRST_INO_RANGE"])
def _(r):
    "s_first_ino below EXT2_GOOD_OLD_FIRST_INO"
    r.sb_set(0x54, 4, 5)


@case("sb-geometry", "superblock", ("ext4-4k", "ext2"),
      ["SB_BAD_GEOMETRY"])
def _(r):
    "s_blocks_per_group not a multiple of 8 and above 8 * block size"
    r.sb_set(0x20, 4, r.sb_get(0x20, 4) * 16 + 3)


@case("sb-extra-isize", "superblock", ("ext4-4k", "ext4-nocsum"),
      ["SB_EXTRA_ISIZE"], expect=0)
def _(r):
    "s_min_extra_isize beyond the inode"
    r.sb_set(0x15C, 2, 300)


@case("sb-error-state", "superblock", ("ext4-1k", "ext2"),
      ["SB_ERROR_STATE"], expect=0)
def _(r):
    "s_state has EXT2_ERROR_FS: the kernel saw an error"
    r.sb_set(0x3A, 2, r.sb_get(0x3A, 2) | 2)


@case("sb-backup-differs", "superblock", ("ext4-1k", "ext3", "ext2"),
      ["SB_BACKUP_DIFFERS"], expect=0)
def _(r):
    "group 1's backup superblock has another s_blocks_count (PREEN)"
    fs = r.fs()
    off = (fs.bpg + fs.first_data) * fs.bs
    b = bytearray(fs.pread(off, 1024))
    assert le(b, 0x38, 2) == 0xEF53, "no backup at group 1"
    put(b, 0x04, 4, le(b, 0x04, 4) - 1)
    if fs.csum:
        put(b, 0x3FC, 4, crc32c(0xFFFFFFFF, b[:0x3FC]))
    fs.pwrite(off, b)
    fs.close()


@case("sb-free-blocks-stale", "counters", ALL,
      ["CNT_SB_FREE_BLOCKS"], expect=0)
def _(r):
    "s_free_blocks_count a little low, as while mounted (PREEN)"
    r.sb_set(0x0C, 4, r.sb_get(0x0C, 4) - 5)


@case("sb-free-inodes-stale", "counters", ("ext4-1k", "ext2"),
      ["CNT_SB_FREE_INODES"], expect=0)
def _(r):
    "s_free_inodes_count a little high (PREEN)"
    r.sb_set(0x10, 4, r.sb_get(0x10, 4) + 3)


# ------------------------------------------------------- group descriptors

@case("gd-csum", "gdt", ("ext4-4k", "ext4-nocsum", "ext4-128"),
      ["GD_CSUM_MISMATCH"])
def _(r):
    "group 1's bg_checksum wrong"
    r.gd_set(1, 0x1E, 2, r.gd_get(1, 0x1E, 2) ^ 0x1111, csum=False)


@case("gd-bbitmap-range", "gdt", ("ext4-1k", "ext2"),
      ["GD_BBITMAP_RANGE"])
def _(r):
    "group 1's block bitmap beyond the filesystem"
    r.gd_set(1, 0x00, 4, r.geo("blocks_count") + 50)


@case("gd-ibitmap-range", "gdt", ("ext4-4k", "ext3"),
      ["GD_IBITMAP_RANGE"])
def _(r):
    "group 1's inode bitmap beyond the filesystem"
    r.gd_set(1, 0x04, 4, r.geo("blocks_count") + 50)


@case("gd-itable-range", "gdt", ("ext4-nocsum", "ext2"),
      ["GD_ITABLE_RANGE"])
def _(r):
    "group 1's inode table runs past the end of the filesystem"
    fs = r.fs()
    r.gd_set(1, 0x08, 4, fs.blocks_count - 3)


@case("gd-overlap", "gdt", ("ext4-1k", "ext2"),
      ["GD_OVERLAP", "GD_BBITMAP_RANGE"])
def _(r):
    """group 1's block bitmap placed inside group 0's inode table (with
    flex_bg still in range, so only an overlap; on ext2 also outside its
    group)"""
    r.gd_set(1, 0x00, 4, r.gd_get(0, 0x08, 4) + 2)


@case("gd-free-blocks-wrong", "gdt", ALL, ["GD_FREE_BLOCKS_WRONG"])
def _(r):
    "group 0's bg_free_blocks_count off by 7"
    r.gd_set(0, 0x0C, 2, r.gd_get(0, 0x0C, 2) - 7)


@case("gd-free-inodes-wrong", "gdt", ("ext4-4k", "ext3", "ext2"),
      ["GD_FREE_INODES_WRONG"])
def _(r):
    "group 0's bg_free_inodes_count off by 3"
    r.gd_set(0, 0x0E, 2, r.gd_get(0, 0x0E, 2) + 3)


@case("gd-dirs-wrong", "gdt", ("ext4-1k", "ext4-128", "ext2"),
      ["GD_DIRS_WRONG"])
def _(r):
    "group 0's bg_used_dirs_count off by 2"
    r.gd_set(0, 0x10, 2, r.gd_get(0, 0x10, 2) + 2)


@case("gd-free-blocks-range", "gdt", ("ext4-4k", "ext2"),
      ["GD_FREE_BLOCKS_RANGE", "GD_FREE_BLOCKS_WRONG"])
def _(r):
    "group 1's bg_free_blocks_count above blocks per group"
    r.gd_set(1, 0x0C, 2, r.geo("bpg") + 10)


@case("gd-free-inodes-range", "gdt", ("ext4-1k", "ext3"),
      ["GD_FREE_INODES_RANGE", "GD_FREE_INODES_WRONG"])
def _(r):
    "group 1's bg_free_inodes_count above inodes per group"
    r.gd_set(1, 0x0E, 2, r.geo("ipg") + 10)


@case("gd-itable-unused-range", "gdt", ("ext4-4k", "ext4-nocsum"),
      ["GD_ITABLE_UNUSED_RANGE"], expect=0)
def _(r):
    "group 1's bg_itable_unused above inodes per group"
    r.gd_set(1, 0x1C, 2, r.geo("ipg") + 1)


@case("gd-itable-unused-covers-used", "gdt", ("ext4-1k", "ext4-128"),
      ["GD_ITABLE_UNUSED_RANGE", "IBITMAP_USED_MARKED_FREE",
       "DIR_INOREF_UNINIT"])
def _(r):
    "group 0's bg_itable_unused claims inodes that are in use"
    r.gd_set(0, 0x1C, 2, r.geo("ipg") - 20)


@case("gd-flags-without-csum", "gdt", IND, ["GD_FLAGS_WITHOUT_CSUM"],
      expect=0)
def _(r):
    "INODE_UNINIT set in group 1 on a filesystem without gdt checksums"
    r.gd_set(1, 0x12, 2, 1)


@case("gd-block-uninit-used", "gdt", ("ext4-4k", "ext4-nocsum"),
      ["BBITMAP_USED_MARKED_FREE"])
def _(r):
    "BLOCK_UNINIT set on group 0, whose blocks are in use"
    r.gd_set(0, 0x12, 2, r.gd_get(0, 0x12, 2) | 2)


@case("gd-inode-uninit-used", "gdt", ("ext4-1k",),
      ["IBITMAP_USED_MARKED_FREE", "DIR_INOREF_UNINIT", "LINKS_NO_ROOT"])
def _(r):
    """INODE_UNINIT set on group 0, whose inodes are in use: the root
    among them (e2fsck: root inode not allocated)"""
    r.gd_set(0, 0x12, 2, r.gd_get(0, 0x12, 2) | 1)


@case("gd-backup-differs", "gdt", ("ext4-1k", "ext2"),
      ["GD_BACKUP_DIFFERS"], expect=0)
def _(r):
    "group 1's copy of the descriptor table moves group 0's inode bitmap"
    fs = r.fs()
    off = (fs.bpg + fs.first_data + 1) * fs.bs
    d = bytearray(fs.pread(off, fs.descsize))
    assert le(d, 0x04, 4) == fs.inode_bitmap(0)
    put(d, 0x04, 4, le(d, 0x04, 4) + 1)
    if fs.csum or fs.gdt_csum:
        put(d, 0x1E, 2, fs.gd_csum_of(0, d))
    fs.pwrite(off, d)
    fs.close()


# ------------------------------------------------------------------ bitmaps

@case("bb-free-marked-used", "block-bitmap", ALL,
      ["BBITMAP_FREE_MARKED_USED"])
def _(r):
    "a free block marked in use in the block bitmap"
    r.dbg("setb %d" % r.free_block())


@case("bb-used-marked-free", "block-bitmap", ALL,
      ["BBITMAP_USED_MARKED_FREE"])
def _(r):
    "a data block of /files/multi marked free"
    r.dbg("freeb %d" % r.data_blocks("/files/multi")[3])


@case("bb-metadata-marked-free", "block-bitmap", ("ext4-4k", "ext2"),
      ["BBITMAP_USED_MARKED_FREE"])
def _(r):
    "a block of group 0's inode table marked free"
    r.dbg("freeb %d" % (r.gd_get(0, 0x08, 4) + 1))


@case("bb-csum", "block-bitmap", CSUM, ["BBITMAP_CSUM"])
def _(r):
    "group 0's block bitmap checksum wrong"
    r.gd_set(0, 0x18, 2, r.gd_get(0, 0x18, 2) ^ 0x0F0F)


@case("bb-padding", "block-bitmap", ("ext4-1k", "ext2"),
      ["BBITMAP_PADDING"])
def _(r):
    "a padding bit past the last block of the last group cleared"
    fs = r.fs()
    g = fs.groups - 1
    last = (fs.blocks_count - fs.first_data) - g * fs.bpg   # blocks in g
    assert last < fs.bpg, "last group is full: no padding"
    blk = fs.block_bitmap(g)
    fs.close()
    r.block_edit(blk, lambda b, fs: setb(b, fs.bpg - 1, 0))
    r.fix_bitmaps(g)


@case("ib-free-marked-used", "inode-bitmap", ALL,
      ["IBITMAP_FREE_MARKED_USED"])
def _(r):
    "an unused inode marked in use"
    r.dbg("seti <%d>" % r.free_inode())


@case("ib-used-marked-free", "inode-bitmap", ALL,
      ["IBITMAP_USED_MARKED_FREE"])
def _(r):
    "/files/multi's inode marked free"
    r.dbg("freei /files/multi")


@case("ib-csum", "inode-bitmap", CSUM, ["IBITMAP_CSUM"])
def _(r):
    "group 0's inode bitmap checksum wrong"
    r.gd_set(0, 0x1A, 2, r.gd_get(0, 0x1A, 2) ^ 0x0F0F)


# ------------------------------------------------------------------- inodes

@case("ino-csum", "inode", CSUM, ["INODE_CSUM"])
def _(r):
    "/files/multi's inode checksum wrong"
    r.inode_set("/files/multi", 0x7C, 2,
                r.inode_get("/files/multi", 0x7C, 2) ^ 0x4242, csum=False)


@case("ino-bad-mode", "inode", ("ext4-4k", "ext4-128", "ext2"),
      ["INODE_BAD_MODE"])
def _(r):
    "/files/multi's file type bits 0xF000 (no such type)"
    r.inode_set("/files/multi", 0x00, 2, 0xF1A4)


@case("ino-dtime", "inode", ("ext4-1k", "ext4-nocsum", "ext3"),
      ["INODE_SET_DTIME"])
def _(r):
    "i_dtime set on the in-use /files/multi"
    r.inode_set("/files/multi", 0x14, 4, 1700000000)


@case("ino-size-small", "inode", ("ext4-4k", "ext4-128", "ext2"),
      ["INODE_SIZE"])
def _(r):
    "/files/multi's i_size ends before its last block"
    r.inode_set("/files/multi", 0x04, 4, 100)


@case("ino-dir-size", "inode", ("ext4-1k", "ext3"),
      ["INODE_SIZE"])
def _(r):
    "directory /lin's i_size not a multiple of the block size"
    r.inode_set("/lin", 0x04, 4, r.inode_get("/lin", 0x04, 4) - 100)


@case("ino-i-blocks", "inode", ALL, ["INODE_I_BLOCKS"])
def _(r):
    "/files/multi's i_blocks 16 sectors too many"
    r.inode_set("/files/multi", 0x1C, 4,
                r.inode_get("/files/multi", 0x1C, 4) + 16)


@case("ino-extents-fl-no-feature", "inode", IND,
      ["INODE_EXTENTS_FEATURE"])
def _(r):
    "EXTENTS_FL on /files/small where the filesystem has no extents"
    r.inode_or("/files/small", 0x20, 4, EXTENTS_FL)


@case("ino-index-fl-file", "inode", ("ext4-4k", "ext2"),
      ["INODE_HTREE_NODIR"])
def _(r):
    "INDEX_FL (htree) on the regular file /files/multi"
    r.inode_or("/files/multi", 0x20, 4, INDEX_FL)


@case("ino-inline-fl-no-feature", "inode", ("ext4-1k", "ext3"),
      ["INODE_INLINE_DATA"])
def _(r):
    "INLINE_DATA_FL on /files/small without the inline_data feature"
    r.inode_or("/files/small", 0x20, 4, 0x10000000)


@case("ino-casefold-fl-no-feature", "inode", ("ext4-nocsum", "ext2"),
      ["INODE_CASEFOLD"])
def _(r):
    "CASEFOLD_FL on directory /x without the casefold feature"
    r.inode_or("/x", 0x20, 4, 0x40000000)


@case("ino-imagic-fl", "inode", ("ext4-4k", "ext3"),
      ["INODE_IMAGIC"])
def _(r):
    "IMAGIC_FL on /files/small without the imagic_inodes feature"
    r.inode_or("/files/small", 0x20, 4, 0x2000)


@case("ino-extra-isize-huge", "inode", HUGE, ["INODE_EXTRA_ISIZE"])
def _(r):
    "/files/small's i_extra_isize beyond the inode"
    r.inode_set("/files/small", 0x80, 2, 200)


@case("ino-extra-isize-odd", "inode", ("ext4-1k", "ext2"),
      ["INODE_EXTRA_ISIZE"])
def _(r):
    "/files/small's i_extra_isize not a multiple of 4"
    r.inode_set("/files/small", 0x80, 2, 30)


@case("ino-reserved-mode", "inode", ("ext4-4k", "ext4-128", "ext2"),
      ["INODE_RESERVED_MODE"])
def _(r):
    "reserved inode 10 has a directory's mode"
    r.inode_set("<10>", 0x00, 2, 0o40700)


@case("ino-root-not-dir", "inode", ("ext4-1k", "ext3"),
      ["INODE_ROOT_NOT_DIR", "LINKS_ROOT_NOT_DIR"])
def _(r):
    "the root inode is a regular file"
    r.inode_set("<2>", 0x00, 2, 0o100755)


@case("ino-immutable-dev", "inode", ("ext4-1k", "ext2"),
      ["INODE_SPECIAL_FLAGS"], expect=0)
def _(r):
    "IMMUTABLE_FL on the character device /dev-null"
    r.inode_or("/dev-null", 0x20, 4, 0x10)


@case("ino-dev-size", "inode", ("ext4-4k", "ext3"),
      ["INODE_SPECIAL_SIZE"])
def _(r):
    "the fifo /fifo has i_size 100"
    r.inode_set("/fifo", 0x04, 4, 100)


@case("ino-links-zero-dtime", "inode", ("ext4-nocsum", "ext2"),
      ["DIR_UNUSED_INODE", "LINKS_COUNT"])
def _(r):
    "a linked inode looks deleted: links_count 0 and i_dtime set"
    r.inode_set("/files/multi", 0x1A, 2, 0)
    r.inode_set("/files/multi", 0x14, 4, 1700000000)


@case("ino-size-high-dir", "inode", ("ext4-1k",),
      ["INODE_DIR_SIZE_HIGH", "INODE_SIZE"])
def _(r):
    "directory /x with i_size_high set (a 4 GiB directory)"
    r.inode_set("/x", 0x6C, 4, 1)


# ----------------------------------------------------------------- extents

# The extent tree's root sits in i_block (0x28): a 12-byte header
# (magic, entries, max, depth), then 12-byte entries; an extent is
# ee_block (+0), ee_len (+4), ee_start_hi (+6), ee_start_lo (+8).

@case("ext-bad-magic", "extents", EXT4, ["EXTENT_HEADER"])
def _(r):
    "/files/multi's extent header magic wrong (in the inode)"
    r.inode_set("/files/multi", 0x28, 2, 0xF30B)


@case("ext-depth", "extents", ("ext4-4k", "ext4-128"),
      ["EXTENT_DEPTH", "EXTENT_HEADER"])
def _(r):
    "/files/multi's extent tree depth 6 (the kernel's limit is 5)"
    r.inode_set("/files/multi", 0x28 + 6, 2, 6)


@case("ext-entries-max", "extents", ("ext4-1k", "ext4-nocsum"),
      ["EXTENT_HEADER"])
def _(r):
    "/files/sparse's extent header entries above max"
    r.inode_set("/files/sparse", 0x28 + 2, 2, 5)


@case("ext-max-wrong", "extents", ("ext4-4k",),
      ["EXTENT_HEADER"])
def _(r):
    "/files/multi's in-inode extent header max 10 (room for 4)"
    r.inode_set("/files/multi", 0x28 + 4, 2, 10)


@case("ext-overlap", "extents", EXT4, ["EXTENT_ORDER"])
def _(r):
    "/files/sparse's second extent starts inside the first"
    r.inode_set("/files/sparse", 0x28 + 24, 4, 0)


@case("ext-past-end", "extents", ("ext4-4k", "ext4-1k", "ext4-128"),
      ["EXTENT_BAD_START", "EXTENT_ENDS_BEYOND"])
def _(r):
    "/files/multi's extent starts past the end of the filesystem"
    fs = r.fs()
    end = fs.blocks_count
    fs.close()
    r.inode_set("/files/multi", 0x28 + 12 + 8, 4, end + 100)


@case("ext-on-itable", "extents", ("ext4-4k", "ext4-nocsum"),
      ["BBITMAP_MULTIPLY_CLAIMED", "EXTENT_BAD_START"])
def _(r):
    "/files/small's extent points into group 0's inode table"
    r.inode_set("/files/small", 0x28 + 12 + 8, 4, r.gd_get(0, 0x08, 4) + 1)


@case("ext-zero-len", "extents", ("ext4-1k", "ext4-128"),
      ["EXTENT_ZERO_LEN"])
def _(r):
    "/files/sparse's second extent has length 0"
    r.inode_set("/files/sparse", 0x28 + 24 + 4, 2, 0)


@case("ext-lblk-huge", "extents", ("ext4-4k",),
      ["MAP_TOO_BIG", "EXTENT_END_BOUNDS", "INODE_SIZE"])
def _(r):
    "/files/sparse's last extent ends past the largest logical block"
    r.inode_set("/files/sparse", 0x28 + 36, 4, 0xFFFFFFF0)


@case("ext-uninit-dir", "extents", ("ext4-4k", "ext4-1k"),
      ["EXTENT_UNINIT_DIR"])
def _(r):
    "directory /a/b/c's only extent marked uninitialised"
    r.inode_set("/a/b/c", 0x28 + 12 + 4, 2,
                r.inode_get("/a/b/c", 0x28 + 12 + 4, 2) | 0x8000)


def frag_leaf(r):
    runs, meta = r.bmap("/frag/file")
    assert meta, "/frag/file has no extent block"
    return meta[0]


@case("ext-leaf-magic", "extents", EXT4, ["EXTENT_HEADER"])
def _(r):
    "/frag/file's extent leaf block has a bad magic"
    blk = frag_leaf(r)
    r.block_edit(blk, lambda b, fs: put(b, 0, 2, 0x1234))
    r.fix_extent_block("/frag/file", blk)


@case("ext-leaf-csum", "extents", CSUM, ["EXTENT_CSUM"])
def _(r):
    "/frag/file's extent leaf block checksum wrong"
    blk = frag_leaf(r)

    def flip(b, fs):
        t = 12 + 12 * le(b, 4, 2)
        b[t] ^= 0xFF
    r.block_edit(blk, flip)


@case("ext-index-range", "extents", ("ext4-1k", "ext4-128"),
      ["EXTENT_BAD_START"])
def _(r):
    "/frag/file's index entry points past the end of the filesystem"
    fs = r.fs()
    end = fs.blocks_count
    fs.close()
    r.inode_set("/frag/file", 0x28 + 12 + 4, 4, end + 7)


@case("ext-index-lblk", "extents", ("ext4-4k", "ext4-nocsum"),
      ["EXTENT_INDEX_START"])
def _(r):
    "/frag/file's index entry starts after its leaf's first extent"
    r.inode_set("/frag/file", 0x28 + 12, 4, 3)


@case("ext-dup-block", "counters", ("ext4-1k", "ext4-nocsum"),
      ["BBITMAP_MULTIPLY_CLAIMED"])
def _(r):
    "/files/small's data block is also /files/multi's first block"
    r.inode_set("/files/small", 0x28 + 12 + 8, 4,
                r.data_blocks("/files/multi")[0])


# ------------------------------------------------------ indirect block maps

@case("ind-ind-range", "extents", IND, ["BLOCKMAP_BAD_BLOCK"])
def _(r):
    "/files/multi's IND pointer beyond the filesystem"
    r.inode_set("/files/multi", 0x28 + 4 * 12, 4, r.geo("blocks_count") + 10)


@case("ind-entry-range", "extents", IND, ["BLOCKMAP_BAD_BLOCK"])
def _(r):
    "an entry of /files/multi's IND block beyond the filesystem"
    ind = r.inode_get("/files/multi", 0x28 + 4 * 12, 4)
    end = r.geo("blocks_count")
    r.block_edit(ind, lambda b, fs: put(b, 8, 4, end + 99))


@case("ind-dind-range", "extents", ("ext2",),
      ["BLOCKMAP_BAD_BLOCK"])
def _(r):
    "/files/big's DIND pointer beyond the filesystem"
    r.inode_set("/files/big", 0x28 + 4 * 13, 4, 0x0FFFFFFF)


@case("ind-superblock", "extents", IND,
      ["BBITMAP_MULTIPLY_CLAIMED", "BLOCKMAP_BAD_BLOCK"])
def _(r):
    "/files/small's block 0 is the superblock"
    r.inode_set("/files/small", 0x28, 4, r.geo("first_data"))


@case("ind-gdt", "extents", ("ext2",),
      ["BBITMAP_MULTIPLY_CLAIMED", "BLOCKMAP_BAD_BLOCK"])
def _(r):
    "/files/small's block 0 is the group descriptor table"
    r.inode_set("/files/small", 0x28, 4, r.geo("first_data") + 1)


@case("ind-dup-block", "counters", IND, ["BBITMAP_MULTIPLY_CLAIMED"])
def _(r):
    "/files/small's block 0 is also /files/big's block 0"
    r.inode_set("/files/small", 0x28, 4, r.data_blocks("/files/big")[0])


# ------------------------------------------------------------------ xattrs

def xblock(r, path="/xattr/big"):
    fs = r.fs()
    try:
        blk = fs.xattr_block(fs.lookup(path))
    finally:
        fs.close()
    assert blk, path + " has no xattr block"
    return blk


@case("xa-block-magic", "xattr", ALL, ["XATTR_BLOCK_MAGIC"])
def _(r):
    "/xattr/big's xattr block has a bad magic"
    blk = xblock(r)
    r.block_edit(blk, lambda b, fs: put(b, 0, 4, 0xEA020001))
    r.fix_xattr_block(blk)


@case("xa-block-csum", "xattr", CSUM, ["XATTR_BLOCK_CSUM"])
def _(r):
    "/xattr/big's xattr block checksum wrong"
    blk = xblock(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x10, 4, le(b, 0x10, 4) ^ 0xFF))


@case("xa-refcount", "xattr", ("ext4-4k", "ext4-nocsum", "ext2"),
      ["XATTR_REFCOUNT"])
def _(r):
    "/xattr/big's xattr block h_refcount 3 with one user"
    blk = xblock(r)
    r.block_edit(blk, lambda b, fs: put(b, 4, 4, 3))
    r.fix_xattr_block(blk)


@case("xa-blocks", "xattr", ("ext4-1k", "ext3"),
      ["XATTR_BLOCK_HBLOCKS"])
def _(r):
    "/xattr/big's xattr block h_blocks 2"
    blk = xblock(r)
    r.block_edit(blk, lambda b, fs: put(b, 8, 4, 2))
    r.fix_xattr_block(blk)


@case("xa-value-beyond", "xattr", ("ext4-4k", "ext4-128", "ext2"),
      ["XATTR_BLOCK_ENTRY"])
def _(r):
    "/xattr/big's xattr value runs past the end of its block"
    blk = xblock(r)

    def edit(b, fs):
        put(b, 0x20 + 2, 2, fs.bs - 16)     # e_value_offs
    r.block_edit(blk, edit)
    r.fix_xattr_block(blk)


@case("xa-hash", "xattr", ("ext4-1k", "ext4-nocsum", "ext3"),
      ["XATTR_BLOCK_HASH"])
def _(r):
    "/xattr/big's xattr entry hash wrong"
    blk = xblock(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x20 + 0xC, 4,
                                       le(b, 0x20 + 0xC, 4) ^ 0x77))
    r.fix_xattr_block(blk)


@case("xa-block-range", "xattr", ("ext4-4k", "ext2"),
      ["XATTR_BLOCK_RANGE"])
def _(r):
    "/xattr/big's i_file_acl beyond the filesystem"
    r.inode_set("/xattr/big", 0x68, 4, r.geo("blocks_count") + 5)


@case("xa-block-on-itable", "xattr", ("ext4-1k", "ext3"),
      ["XATTR_BLOCK_MAGIC", "BBITMAP_MULTIPLY_CLAIMED", "XATTR_BLOCK_RANGE"])
def _(r):
    "/xattr/big's i_file_acl points into group 0's inode table"
    r.inode_set("/xattr/big", 0x68, 4, r.gd_get(0, 0x08, 4) + 1)


def ibody(r, path):
    raw_isize = r.inode_get(path, 0x80, 2)
    return 0x80 + raw_isize


@case("xa-inode-value-size", "xattr", ("ext4-4k", "ext4-1k", "ext3"),
      ["XATTR_IBODY"])
def _(r):
    "/xattr/in's in-inode xattr value size runs past the inode"
    off = ibody(r, "/xattr/in")
    assert r.inode_get("/xattr/in", off, 4) == 0xEA020000
    r.inode_set("/xattr/in", off + 4 + 8, 4, 4000)


@case("xa-inode-magic", "xattr", ("ext4-4k", "ext2"), [], expect=0)
def _(r):
    "/xattr/in's in-inode xattr magic wrong: e2fsck reads no xattrs there"
    off = ibody(r, "/xattr/in")
    r.inode_set("/xattr/in", off, 4, 0xEA020001)


# ---------------------------------------------------------------- symlinks

@case("sym-fast-size-long", "symlink", ("ext4-4k", "ext4-128", "ext2"),
      ["SYMLINK_SIZE", "SYMLINK_MAP"])
def _(r):
    """fast symlink /links/fast with i_size 70 (> 60): read as a slow
    symlink, its i_block is no block map"""
    r.inode_set("/links/fast", 0x04, 4, 70)


@case("sym-fast-size-short", "symlink", ("ext4-1k", "ext3"),
      ["SYMLINK_SIZE"])
def _(r):
    "fast symlink /links/fast's i_size shorter than its target"
    r.inode_set("/links/fast", 0x04, 4, 3)


@case("sym-fast-nul", "symlink", ("ext4-4k", "ext4-nocsum", "ext2"),
      ["SYMLINK_SIZE", "SYMLINK_TARGET"])
def _(r):
    "fast symlink /links/fast's target has a NUL inside"
    r.inode_set("/links/fast", 0x28 + 2, 1, 0)


@case("sym-slow-no-block", "symlink", ("ext4-1k", "ext4-128", "ext2"),
      ["SYMLINK_MAP"])
def _(r):
    "slow symlink /links/slow lost its block (map emptied)"
    def edit(raw, fs):
        if le(raw, 0x20, 4) & EXTENTS_FL:
            put(raw, 0x28 + 2, 2, 0)          # eh_entries
        else:
            put(raw, 0x28, 4, 0)
    r.inode_edit("/links/slow", edit)


@case("sym-slow-size", "symlink", ("ext4-4k", "ext3"),
      ["SYMLINK_SIZE"])
def _(r):
    "slow symlink /links/slow's i_size longer than its target"
    r.inode_set("/links/slow", 0x04, 4, 150)


@case("sym-slow-nul", "symlink", ("ext4-nocsum", "ext2"),
      ["SYMLINK_SIZE", "SYMLINK_TARGET"])
def _(r):
    "slow symlink /links/slow's target has a NUL inside"
    blk = r.data_blocks("/links/slow")[0]
    r.block_edit(blk, lambda b, fs: put(b, 20, 1, 0))


@case("sym-fast-extents-fl", "symlink", ("ext4-1k",),
      ["SYMLINK_FLAGS"])
def _(r):
    "fast symlink /links/fast with EXTENTS_FL"
    r.inode_or("/links/fast", 0x20, 4, EXTENTS_FL)


# -------------------------------------------------------------- directories

def lin_entry(r, k):
    """The k-th entry (0: '.') in the first block of /lin."""
    es = r.entries("/lin")
    blk = es[0][0]
    return [e for e in es if e[0] == blk][k]


def dirent_poke(r, dirpath, e, off, n, val, csum=True):
    blk, eoff = e[0], e[1]
    r.block_edit(blk, lambda b, fs: put(b, eoff + off, n, val))
    if csum:
        r.fix_dir_block(dirpath, blk)


@case("dir-reclen-small", "directory", ALL, ["DIR_REC_LEN_SMALL"])
def _(r):
    "an entry of /lin with rec_len 8 (below the 12 a header needs)"
    dirent_poke(r, "/lin", lin_entry(r, 3), 4, 2, 8)


@case("dir-reclen-unaligned", "directory", ("ext4-4k", "ext4-nocsum", "ext2"),
      ["DIR_REC_LEN_ALIGN"])
def _(r):
    "an entry of /lin with rec_len not a multiple of 4"
    e = lin_entry(r, 3)
    dirent_poke(r, "/lin", e, 4, 2, e[3] + 2)


@case("dir-reclen-past-block", "directory", ("ext4-1k", "ext4-128", "ext3"),
      ["DIR_REC_LEN_PAST_END"])
def _(r):
    "the last entry of /lin's first block runs past the block"
    es = r.entries("/lin")
    blk = es[0][0]
    last = [e for e in es if e[0] == blk and e[2]][-1]
    dirent_poke(r, "/lin", last, 4, 2, last[3] + 256)


@case("dir-namelen", "directory", ("ext4-4k", "ext4-1k", "ext2"),
      ["DIR_NAME_LEN"])
def _(r):
    "an entry of /lin with name_len larger than its rec_len"
    dirent_poke(r, "/lin", lin_entry(r, 4), 6, 1, 200)


@case("dir-ino-range", "directory", ALL, ["DIR_BAD_INODE"])
def _(r):
    "an entry of /lin names an inode beyond s_inodes_count"
    n = r.sb_get(0x00, 4)
    dirent_poke(r, "/lin", lin_entry(r, 5), 0, 4, n + 5)


@case("dir-ino-unused", "directory", ("ext4-4k", "ext4-nocsum", "ext3"),
      ["DIR_UNUSED_INODE", "DIR_INOREF_UNINIT"])
def _(r):
    "an entry of /lin names an unused inode"
    dirent_poke(r, "/lin", lin_entry(r, 5), 0, 4, r.free_inode())


@case("dir-ino-reserved", "directory", ("ext4-1k", "ext2"),
      ["DIR_BAD_INODE"])
def _(r):
    "an entry of /lin names reserved inode 5"
    dirent_poke(r, "/lin", lin_entry(r, 5), 0, 4, 5)


@case("dir-filetype", "directory", ALL, ["DIR_BAD_FILETYPE"])
def _(r):
    "an entry of /lin says directory for a fifo"
    dirent_poke(r, "/lin", lin_entry(r, 6), 7, 1, 2)


@case("dir-missing-dot", "directory", ("ext4-4k", "ext4-128", "ext2"),
      ["DIR_NO_DOT"])
def _(r):
    "/a/b/c's first entry is not '.'"
    dirent_poke(r, "/a/b/c", r.entry("/a/b/c", "."), 8, 1, ord("x"))


@case("dir-bad-dotdot", "directory", ("ext4-1k", "ext4-nocsum", "ext3"),
      ["LINKS_BAD_DOTDOT"])
def _(r):
    "/a/b/c's '..' names the root, not /a/b"
    dirent_poke(r, "/a/b/c", r.entry("/a/b/c", ".."), 0, 4, 2)


@case("dir-bad-name", "directory", ("ext4-4k", "ext2"), ["DIR_BAD_NAME"])
def _(r):
    "an entry of /lin has a '/' in its name"
    dirent_poke(r, "/lin", lin_entry(r, 4), 8 + 3, 1, ord("/"))


@case("dir-dup-name", "directory", ("ext4-1k", "ext3"),
      ["DIR_DUP_NAME"])
def _(r):
    "two entries of /lin with the same name"
    e3, e4 = lin_entry(r, 3), lin_entry(r, 4)
    assert e3[4] == e4[4]
    dirent_poke(r, "/lin", e4, 8 + e4[4] - 1, 1, e3[6][-1])


@case("dir-csum", "directory", CSUM, ["DIR_LEAF_CSUM"])
def _(r):
    "/lin's first block's checksum tail wrong"
    blk = lin_entry(r, 0)[0]
    r.block_edit(blk, lambda b, fs: put(b, fs.bs - 4, 4,
                                       le(b, fs.bs - 4, 4) ^ 0x1))


@case("dir-csum-tail-missing", "directory", ("ext4-4k",),
      ["DIR_LEAF_NO_TAIL", "DIR_LEAF_CSUM"])
def _(r):
    "/lin's first block's checksum tail overwritten by an entry"
    es = r.entries("/lin")
    blk = es[0][0]
    last = [e for e in es if e[0] == blk and e[2]][-1]
    dirent_poke(r, "/lin", last, 4, 2, last[3] + 12, csum=False)


@case("dir-hole", "directory", ("ext4-1k", "ext2"),
      ["DIR_HOLE", "MAP_DIR_HOLE"])
def _(r):
    "directory /lin's second block unmapped (a hole inside the directory)"
    def edit(raw, fs):
        if le(raw, 0x20, 4) & EXTENTS_FL:
            # one extent of n blocks: move its start one block later
            ln = le(raw, 0x28 + 16, 2)
            assert le(raw, 0x28 + 2, 2) == 1 and ln > 2
            put(raw, 0x28 + 12, 4, 2)
            put(raw, 0x28 + 16, 2, ln - 2)
            put(raw, 0x28 + 20, 4, le(raw, 0x28 + 20, 4) + 2)
        else:
            put(raw, 0x28 + 4, 4, 0)
    r.inode_edit("/lin", edit)


def dx_root(r, path="/a/b"):
    es = r.entries(path)
    blk = es[0][0]
    return blk


@case("dx-hash-version", "directory", ("ext4-4k", "ext4-1k", "ext2"),
      ["DIR_DX_HASH_VERSION"])
def _(r):
    "/a/b's dx_root hash_version 7 (no such hash)"
    blk = dx_root(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x1C, 1, 7))
    r.fix_dir_block("/a/b", blk)


@case("dx-levels", "directory", ("ext4-nocsum", "ext4-128", "ext3"),
      ["DIR_DX_DEPTH"])
def _(r):
    "/a/b's dx_root indirect_levels 5"
    blk = dx_root(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x1E, 1, 5))
    r.fix_dir_block("/a/b", blk)


@case("dx-info-length", "directory", ("ext4-1k", "ext2"),
      ["DIR_DX_ROOT_BAD", "DIR_DX_LIMIT"])
def _(r):
    """/a/b's dx_root info_length 12, not 8 (e2fsck and the kernel take
    the count and limit from after info_length bytes: a bad limit)"""
    blk = dx_root(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x1D, 1, 12))
    r.fix_dir_block("/a/b", blk)


@case("dx-csum", "directory", CSUM, ["DIR_DX_CSUM"])
def _(r):
    "/a/b's dx_root checksum wrong"
    blk = dx_root(r)

    def flip(b, fs):
        limit = le(b, 0x20, 2)
        put(b, 0x20 + limit * 8 + 4, 4, le(b, 0x20 + limit * 8 + 4, 4) ^ 1)
    r.block_edit(blk, flip)


@case("dx-hash-order", "directory", ALL, ["DIR_DX_HASH_ORDER"])
def _(r):
    "/a/b's dx_root entries' hashes out of order"
    blk = dx_root(r)

    def swap(b, fs):
        assert le(b, 0x22, 2) >= 3
        h1, h2 = le(b, 0x28, 4), le(b, 0x30, 4)
        put(b, 0x28, 4, h2)
        put(b, 0x30, 4, h1)
    r.block_edit(blk, swap)
    r.fix_dir_block("/a/b", blk)


@case("dx-count-limit", "directory", ("ext4-4k", "ext3"),
      ["DIR_DX_COUNT"])
def _(r):
    "/a/b's dx_root count above its limit"
    blk = dx_root(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x22, 2, le(b, 0x20, 2) + 1))
    r.fix_dir_block("/a/b", blk)


@case("dx-block-range", "directory", ("ext4-1k", "ext4-nocsum", "ext2"),
      ["DIR_DX_BAD_BLOCK"])
def _(r):
    "/a/b's dx_root entry points past the directory's last block"
    blk = dx_root(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x2C, 4, 5000))
    r.fix_dir_block("/a/b", blk)


@case("dx-leaf-hash", "directory", ("ext4-4k", "ext4-1k", "ext3"),
      ["DIR_DX_MIN_HASH", "DIR_DX_MAX_HASH"])
def _(r):
    "an entry of /a/b renamed: it now hashes outside its leaf's range"
    fs = r.fs()
    ino = fs.lookup("/a/b")
    phys = fs.blocks(ino)
    root = fs.block(phys[0])
    u = fs.sb[0xEC:0xFC].hex()                      # s_hash_seed
    seed = "-".join((u[:8], u[8:12], u[12:16], u[16:20], u[20:]))
    alg = ("legacy", "half_md4", "tea")[fs.sb[0xFC]]
    if le(fs.sb, 0x160, 4) & 2:                     # EXT2_FLAGS_UNSIGNED_HASH
        alg += "_unsigned"
    fs.close()
    assert root[0x1E] == 0 and le(root, 0x22, 2) >= 3
    # Leaf 1 holds the hashes [h1, h2).
    h1, leaf, h2 = le(root, 0x28, 4), le(root, 0x2C, 4), le(root, 0x30, 4)
    es = [e for e in r.entries("/a/b")
          if e[0] == phys[leaf] and e[2] and e[6].startswith(b"htree")]
    e = es[0]
    names = [chr(c) + e[6][1:].decode() for c in range(ord("A"), ord("Z"))]
    out = r.dbg(*["dx_hash -h %s -s %s %s" % (alg, seed, n) for n in names])
    for n, h in re.findall(r"Hash of (\S+) is 0x([0-9a-f]+)", out):
        if not h1 <= (int(h, 16) & ~1) < h2:
            dirent_poke(r, "/a/b", e, 8, 1, ord(n[0]))
            return
    raise RuntimeError("no name hashes outside the leaf")


# -------------------------------------------------------------------- links

@case("links-high", "links", ALL, ["LINKS_COUNT"])
def _(r):
    "/files/multi's links_count 5 with one entry"
    r.inode_set("/files/multi", 0x1A, 2, 5)


@case("links-low", "links", ("ext4-4k", "ext4-1k", "ext3"),
      ["LINKS_COUNT"])
def _(r):
    "/files/small's links_count 1 with two entries"
    r.inode_set("/files/small", 0x1A, 2, 1)


@case("links-zero", "links", ("ext4-nocsum", "ext4-128", "ext2"),
      ["LINKS_COUNT", "INODE_ZERO_DTIME", "DIR_UNUSED_INODE"])
def _(r):
    "/files/multi's links_count 0 with one entry"
    r.inode_set("/files/multi", 0x1A, 2, 0)


@case("links-dir-count", "links", ("ext4-1k", "ext2"),
      ["LINKS_COUNT"])
def _(r):
    "directory /a's links_count 7 (it has one subdirectory)"
    r.inode_set("/a", 0x1A, 2, 7)


@case("links-unattached", "links", ALL, ["LINKS_UNATTACHED"])
def _(r):
    "/files/multi's only entry removed, the inode left in use"
    r.dbg("unlink /files/multi")


@case("links-unattached-empty", "links", ("ext4-4k", "ext3"),
      ["LINKS_UNATTACHED_EMPTY"])
def _(r):
    "the empty file /files/empty's only entry removed"
    r.dbg("unlink /files/empty")


@case("links-dir-two-parents", "links", ("ext4-4k", "ext4-1k", "ext2"),
      ["DIR_LINK_DIR"])
def _(r):
    "directory /a/b/c also linked as /x/c2"
    r.dbg("link /a/b/c /x/c2")


@case("links-dir-disconnected", "links", ("ext4-nocsum", "ext4-128", "ext3"),
      ["LINKS_UNCONNECTED_DIR"])
def _(r):
    "directory /x/y's entry removed: a directory nothing reaches"
    r.dbg("unlink /x/y")


@case("links-dir-loop", "links", ("ext4-4k", "ext4-1k", "ext2"),
      ["LINKS_UNCONNECTED_DIR", "DIR_LINK_DIR", "LINKS_BAD_DOTDOT"])
def _(r):
    "/loop/l1 cut from /loop and linked under its own child l2: a cycle"
    r.dbg("link /loop/l1 /loop/l1/l2/back", "unlink /loop/l1")


@case("links-no-lost-found", "links", ("ext4-1k", "ext2"),
      [], expect=0)
def _(r):
    "/lost+found removed"
    r.dbg("rmdir /lost+found")


# ------------------------------------------------------------------ orphans

@case("orphan-head-range", "orphans", ("ext4-4k", "ext4-1k", "ext3"),
      ["SB_LAST_ORPHAN", "ORPHAN_LINK_RANGE"], expect=0)
def _(r):
    "s_last_orphan beyond s_inodes_count"
    r.sb_set(0xE8, 4, r.sb_get(0x00, 4) + 10)


@case("orphan-head-used", "orphans", ("ext4-nocsum", "ext4-128", "ext3"),
      [], expect=0)
def _(r):
    """s_last_orphan names /files/multi, a linked inode in use with no
    orphan link: e2fsck -n says nothing, and the kernel would only
    truncate it to its own size"""
    r.sb_set(0xE8, 4, r.ino("/files/multi"))


@case("orphan-chain-used", "orphans", ("ext4-4k", "ext4-1k"),
      ["ORPHAN_LINK_RANGE", "ORPHAN_UNRECOVERED", "INODE_ORPHAN_DTIME"])
def _(r):
    "an orphan's i_dtime link leads to /files/multi, in use"
    head = r.ino("/files/empty")
    r.dbg("unlink /files/empty")
    r.inode_set("<%d>" % head, 0x1A, 2, 0)
    r.inode_set("<%d>" % head, 0x14, 4, r.ino("/files/multi"))
    r.sb_set(0xE8, 4, head)


@case("orphan-stale-link", "orphans", ("ext4-4k", "ext4-128", "ext2"),
      ["INODE_ORPHAN_DTIME"])
def _(r):
    """the linked, in-use /files/multi keeps an orphan link in i_dtime
    (an inode number) with no orphan list pointing at it"""
    r.inode_set("/files/multi", 0x14, 4, r.ino("/files/small"))


@case("orphan-loop", "orphans", ("ext4-1k", "ext3"),
      ["ORPHAN_LIST_LOOP", "INODE_ORPHAN_DTIME"])
def _(r):
    "two orphans whose i_dtime links point at each other"
    a, b = r.ino("/files/empty"), r.ino("/links/hard")
    r.dbg("unlink /files/empty", "unlink /files/multi")
    b = r.free_inode()
    r.dbg("seti <%d>" % b,
          "sif <%d> mode 0100644" % b, "sif <%d> links_count 0" % b)
    r.inode_set("<%d>" % a, 0x1A, 2, 0)
    r.inode_set("<%d>" % a, 0x14, 4, b)
    r.inode_set("<%d>" % b, 0x14, 4, a)
    r.sb_set(0xE8, 4, a)


# ------------------------------------------------------------------ journal

def journal_block0(r):
    fs = r.fs()
    try:
        return fs.blocks(8)[0]
    finally:
        fs.close()


def jsb_set(r, off, val):
    blk = journal_block0(r)
    r.block_edit(blk, lambda b, fs: b.__setitem__(
        slice(off, off + 4), struct.pack(">I", val)))


@case("jsb-magic", "journal", JOURNAL, ["JNL_SB_MAGIC"])
def _(r):
    "the journal superblock's magic wrong"
    jsb_set(r, 0, 0xC03B3999)


@case("jsb-blocksize", "journal", ("ext4-4k", "ext3"),
      ["JNL_SB_BLOCKSIZE"])
def _(r):
    "the journal superblock's s_blocksize not the filesystem's"
    jsb_set(r, 0x0C, 512)


@case("jsb-maxlen", "journal", ("ext4-1k", "ext4-nocsum"),
      ["JNL_SB_MAXLEN"])
def _(r):
    "the journal superblock's s_maxlen beyond the journal inode"
    jsb_set(r, 0x10, 0x100000)


@case("jsb-blocktype", "journal", ("ext4-128", "ext3"),
      ["JNL_SB_TYPE"])
def _(r):
    "the journal superblock's h_blocktype not a superblock's"
    jsb_set(r, 4, 7)


@case("journal-inode-mode", "journal", ("ext4-4k", "ext4-1k", "ext3"),
      ["JNL_INODE_MODE", "JNL_INODE_INVALID"])
def _(r):
    "the journal inode is a directory"
    r.inode_set("<8>", 0x00, 2, 0o40700)


@case("journal-inode-no-blocks", "journal", ("ext4-nocsum", "ext3"),
      ["JNL_INODE_INVALID", "INODE_I_BLOCKS"])
def _(r):
    "the journal inode maps no blocks (i_blocks left as it was)"
    def edit(raw, fs):
        if le(raw, 0x20, 4) & EXTENTS_FL:
            put(raw, 0x28 + 2, 2, 0)
        else:
            raw[0x28:0x28 + 60] = bytes(60)
    r.inode_edit("<8>", edit)


@case("journal-inum-zero", "journal", ("ext4-4k", "ext3"),
      ["SB_JOURNAL_INUM", "JNL_INODE_INVALID"])
def _(r):
    "has_journal set, s_journal_inum 0"
    r.sb_set(0xE0, 4, 0)


@case("journal-no-feature", "journal", ("ext4-1k", "ext3"),
      ["JNL_FEATURE_OFF"], expect=0)
def _(r):
    "a journal inode, has_journal clear"
    r.dbg("feature -has_journal")


@case("journal-errno", "journal", ("ext4-1k",),
      ["JNL_ERRNO"], expect=0)
def _(r):
    "the journal superblock records an error (s_errno -EIO)"
    jsb_set(r, 0x20, 0xFFFFFFFB)


@case("journal-recover-empty", "journal", ("ext4-4k", "ext3"),
      [], expect=0, replay=True)
def _(r):
    "needs_recovery set over an empty journal: nothing to replay"
    r.dbg("feature +needs_recovery")


@case("journal-replays-clean", "journal", ("ext4-1k", "ext4-nocsum"),
      [], expect=0, replay=True)
def _(r):
    "a committed transaction rewriting /files/multi's data: replays clean"
    data = r.work + "/jdata-" + r.img.replace("/", "_")
    blk = r.data_blocks("/files/multi")[0]
    fs = r.fs()
    with open(data, "wb") as f:
        f.write(b"J" * fs.bs)
    fs.close()
    r.dbg("jo", "jw -b %d %s" % (blk, data), "jc")


@case("journal-replays-damage", "journal", ("ext4-4k", "ext3"),
      ["BBITMAP_USED_MARKED_FREE", "BBITMAP_CSUM"], expect=4, replay=True)
def _(r):
    "a committed transaction zeroing group 0's block bitmap"
    data = r.work + "/jzero-" + r.img.replace("/", "_")
    blk = r.gd_get(0, 0x00, 4)
    fs = r.fs()
    with open(data, "wb") as f:
        f.write(bytes(fs.bs))
    fs.close()
    r.dbg("jo", "jw -b %d %s" % (blk, data), "jc")


@case("journal-replay-repairs", "journal", ("ext4-1k", "ext4-128", "ext3"),
      [], expect=0, replay=True)
def _(r):
    """group 0's block bitmap zeroed on disk, its good copy committed in
    the journal: corrupt as it sits, clean once replayed (nbdscrub reads
    through the journal, as the kernel would after mount)"""
    blk = r.gd_get(0, 0x00, 4)
    fs = r.fs()
    good = fs.block(blk)
    fs.close()
    data = r.work + "/jgood-" + r.img.replace("/", "_")
    with open(data, "wb") as f:
        f.write(good)
    r.dbg("jo", "jw -b %d %s" % (blk, data), "jc")
    r.block_edit(blk, lambda b, fs: b.__setitem__(slice(0, len(b)),
                                                  bytes(len(b))))


# ------------------------------------------------------------ more kinds

@case("ino-faddr", "inode", ("ext4-1k", "ext2"), ["INODE_FADDR"])
def _(r):
    "/files/small's obsolete i_faddr not zero"
    r.inode_set("/files/small", 0x70, 4, 1234)


@case("ino-file-acl-hi", "inode", ("ext4-128",), ["INODE_FILE_ACL_HI"])
def _(r):
    "/files/small's i_file_acl_high set without the 64bit feature"
    r.inode_set("/files/small", 0x76, 2, 1)


@case("ino-blocks-hi", "inode", IND, ["INODE_BLOCKS_HI", "INODE_I_BLOCKS"])
def _(r):
    "/files/small's i_blocks_high set without the huge_file feature"
    r.inode_set("/files/small", 0x74, 2, 1)


@case("ino-dir-no-blocks", "inode", ("ext4-4k", "ext2"),
      ["INODE_ZERO_LENGTH_DIR", "DIR_NO_BLOCKS"])
def _(r):
    "directory /a/b/c/d maps no blocks and has size 0"
    def edit(raw, fs):
        if le(raw, 0x20, 4) & EXTENTS_FL:
            put(raw, 0x28 + 2, 2, 0)
        else:
            raw[0x28:0x28 + 60] = bytes(60)
        put(raw, 0x04, 4, 0)
        put(raw, 0x1C, 4, 0)
    r.inode_edit("/a/b/c/d", edit)


@case("ino-resize-invalid", "inode", ("ext4-1k", "ext2"),
      ["INODE_RESIZE_INVALID"])
def _(r):
    "the resize inode's DIND block pointer cleared"
    r.inode_set("<7>", 0x28 + 4 * 13, 4, 0)


@case("dir-dot-inode", "directory", ("ext4-nocsum", "ext3"),
      ["DIR_DOT_INODE"])
def _(r):
    "/a/b/c's '.' names another inode"
    dirent_poke(r, "/a/b/c", r.entry("/a/b/c", "."), 0, 4, r.ino("/a"))


@case("dir-no-dotdot", "directory", ("ext4-4k", "ext2"),
      ["DIR_NO_DOTDOT"])
def _(r):
    "/a/b/c's second entry is not '..'"
    dirent_poke(r, "/a/b/c", r.entry("/a/b/c", ".."), 8 + 1, 1, ord("x"))


@case("dir-link-root", "directory", ("ext4-1k", "ext2"),
      ["DIR_LINK_ROOT", "DIR_LINK_DIR"])
def _(r):
    "an entry /x/rootlink names the root directory"
    r.dbg("link / /x/rootlink")


@case("dir-link-self", "directory", ("ext4-4k", "ext3"),
      ["DIR_LINK_DOT", "DIR_LINK_DIR"])
def _(r):
    "an entry /x/self names /x itself"
    r.dbg("link /x /x/self")


@case("dir-null-name", "directory", ("ext4-1k", "ext4-nocsum", "ext2"),
      ["DIR_NULL_NAME", "DIR_NAME_LEN"])
def _(r):
    "an entry of /lin with name_len 0"
    dirent_poke(r, "/lin", lin_entry(r, 4), 6, 1, 0)


@case("dx-incompat-flags", "directory", ("ext4-4k", "ext4-nocsum"),
      ["DIR_DX_INCOMPAT"])
def _(r):
    "/a/b's dx_root has an unknown incompatible flag (unused_flags 1)"
    blk = dx_root(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x1F, 1, 1))
    r.fix_dir_block("/a/b", blk)


@case("dx-dup-ref", "directory", ("ext4-1k", "ext3"),
      ["DIR_DX_DUPREF", "DIR_DX_NOTREF", "DIR_DX_MIN_HASH",
       "DIR_DX_MAX_HASH"])
def _(r):
    "/a/b's dx_root names leaf 1 twice and leaf 2 never"
    blk = dx_root(r)
    r.block_edit(blk, lambda b, fs: put(b, 0x34, 4, le(b, 0x2C, 4)))
    r.fix_dir_block("/a/b", blk)


@case("ind-loop", "extents", ("ext2",),
      ["BLOCKMAP_LOOP", "BBITMAP_MULTIPLY_CLAIMED"])
def _(r):
    "/files/multi's IND block lists itself"
    ind = r.inode_get("/files/multi", 0x28 + 4 * 12, 4)
    r.block_edit(ind, lambda b, fs: put(b, 4, 4, ind))


@case("xa-inode-hash", "xattr", ("ext4-4k", "ext4-nocsum"),
      ["XATTR_IBODY_HASH"])
def _(r):
    "/xattr/in's in-inode xattr entry has a wrong, non-zero hash"
    off = ibody(r, "/xattr/in")
    r.inode_set("/xattr/in", off + 4 + 0xC, 4, 0x12345678)


@case("jsb-incompat", "journal", ("ext4-1k", "ext3"),
      ["JNL_SB_FEATURES"])
def _(r):
    "the journal superblock has an unknown incompatible feature"
    jsb_set(r, 0x28, 0x80000000)


@case("jsb-users", "journal", ("ext4-4k", "ext4-128"),
      ["JNL_SB_USERS"])
def _(r):
    "the internal journal's superblock lists 5 users"
    jsb_set(r, 0x40, 5)


@case("journal-uuid-internal", "journal", ("ext4-nocsum", "ext3"),
      ["JNL_UUID_INTERNAL"])
def _(r):
    "s_journal_uuid set beside an internal journal inode"
    r.sb_set(0xD0, 4, 0xDEADBEEF)


@case("journal-recover-no-journal", "journal", ("ext2",),
      ["JNL_RECOVER_NO_JOURNAL"])
def _(r):
    "needs_recovery set on a filesystem without a journal"
    r.sb_set(0x60, 4, r.sb_get(0x60, 4) | 0x4)


# ------------------------------------------------------------ orphan file

FEAT = ("ext4-feat",)


def ofile(r):
    """(orphan file inode, its first block)."""
    ino = r.sb_get(0x280, 4)                    # s_orphan_file_inum
    return ino, r.data_blocks("<%d>" % ino)[0]


def ofile_edit(r, fn, csum=True):
    """fn(block, fs) changes the orphan file's first block; its checksum
    (ext2fs_do_orphan_file_block_csum) is put right unless csum=False."""
    ino, blk = ofile(r)

    def edit(b, fs):
        fn(b, fs)
        if csum and fs.csum:
            c = crc32c(fs.owner_seed(ino), struct.pack("<Q", blk))
            c = crc32c(c, b[:fs.bs - 8])
            put(b, fs.bs - 4, 4, c)
    r.block_edit(blk, edit)


@case("ofile-magic", "orphans", FEAT, ["ORPHAN_FILE_MAGIC"])
def _(r):
    "the orphan file's first block has a bad magic"
    ofile_edit(r, lambda b, fs: put(b, fs.bs - 8, 4, 0x0b10ca05))


@case("ofile-csum", "orphans", FEAT, ["ORPHAN_FILE_CSUM"])
def _(r):
    "the orphan file's first block fails its checksum"
    ofile_edit(r, lambda b, fs: put(b, fs.bs - 4, 4,
                                   le(b, fs.bs - 4, 4) ^ 1), csum=False)


@case("ofile-entry-range", "orphans", FEAT,
      ["ORPHAN_FILE_ENTRY_RANGE", "ORPHAN_FILE_UNRECOVERED"])
def _(r):
    """an orphan file entry names an inode beyond s_inodes_count, with
    orphan_present set (recovery pending)"""
    n = r.sb_get(0x00, 4)
    ofile_edit(r, lambda b, fs: put(b, 8, 4, n + 5))
    r.sb_set(0x64, 4, r.sb_get(0x64, 4) | 0x10000)


@case("ofile-entry-used", "orphans", FEAT,
      ["ORPHAN_FILE_UNRECOVERED"])
def _(r):
    "an orphan file entry names /files/multi, though nothing is pending"
    ino = r.ino("/files/multi")
    ofile_edit(r, lambda b, fs: put(b, 8, 4, ino))


@case("ofile-inode-mode", "orphans", FEAT, ["ORPHAN_FILE_INODE"])
def _(r):
    "the orphan file inode is a directory"
    r.inode_set("<%d>" % ofile(r)[0], 0x00, 2, 0o40700)


@case("orphan-present-no-file", "orphans", ("ext4-1k",),
      ["ORPHAN_PRESENT_NO_FILE"])
def _(r):
    "orphan_present set on a filesystem without an orphan file"
    r.sb_set(0x64, 4, r.sb_get(0x64, 4) | 0x10000)


@case("orphan-present-clean", "orphans", FEAT, ["ORPHAN_PRESENT_CLEAN"])
def _(r):
    "orphan_present set, the orphan file empty"
    r.sb_set(0x64, 4, r.sb_get(0x64, 4) | 0x10000)
