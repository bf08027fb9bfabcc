# nbdscrub corruption corpus: just enough of ext2/3/4 to find an object
# on disk, change one field of it and, where the point of a case is not
# the checksum, put the object's checksum right again.
#
# Independent of fsformat/ on purpose: the corpus must not share the
# engine's reading of the format.  Offsets are those of the kernel's
# fs/ext4/ext4.h and e2fsprogs' lib/ext2fs/ext2_fs.h.

import struct

# -- crc32c (Castagnoli), as ext2fs_crc32c_le: no pre or post inversion --

_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(crc, data):
    t = _T
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def crc16(crc, data):
    # CRC16 (ANSI, reflected 0xA001), as ext2fs_crc16 for gdt_csum.
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def le(buf, off, n):
    return int.from_bytes(buf[off:off + n], "little")


def put(buf, off, n, v):
    buf[off:off + n] = (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")


INCOMPAT_EXTENTS = 0x40
INCOMPAT_64BIT = 0x80
INCOMPAT_CSUM_SEED = 0x2000
RO_COMPAT_GDT_CSUM = 0x10
RO_COMPAT_METADATA_CSUM = 0x400

EXTENTS_FL = 0x80000
INDEX_FL = 0x1000


class Fs:
    """An image opened for reading and writing, through the primary
    superblock.  Writes go straight to the file."""

    def __init__(self, path):
        self.path = path
        self.f = open(path, "r+b")
        self.sb = bytearray(self.pread(1024, 1024))
        sb = self.sb
        self.bs = 1024 << le(sb, 0x18, 4)
        self.blocks_count = le(sb, 0x04, 4)
        self.inodes_count = le(sb, 0x00, 4)
        self.first_data = le(sb, 0x14, 4)
        self.bpg = le(sb, 0x20, 4)
        self.ipg = le(sb, 0x28, 4)
        self.isize = le(sb, 0x58, 2) if le(sb, 0x4C, 4) else 128
        self.incompat = le(sb, 0x60, 4)
        self.ro_compat = le(sb, 0x64, 4)
        if self.incompat & INCOMPAT_64BIT:
            self.blocks_count |= le(sb, 0x150, 4) << 32
            self.descsize = le(sb, 0xFE, 2)
        else:
            self.descsize = 32
        self.groups = (self.blocks_count - self.first_data + self.bpg - 1) \
            // self.bpg
        self.csum = bool(self.ro_compat & RO_COMPAT_METADATA_CSUM)
        self.gdt_csum = bool(self.ro_compat & RO_COMPAT_GDT_CSUM)
        self.uuid = bytes(sb[0x68:0x78])
        if self.incompat & INCOMPAT_CSUM_SEED:
            self.seed = le(sb, 0x270, 4)
        else:
            self.seed = crc32c(0xFFFFFFFF, self.uuid)

    # -- raw I/O --
    def pread(self, off, n):
        self.f.seek(off)
        return self.f.read(n)

    def pwrite(self, off, data):
        self.f.seek(off)
        self.f.write(bytes(data))

    def block(self, blk):
        return bytearray(self.pread(blk * self.bs, self.bs))

    def write_block(self, blk, data):
        assert len(data) == self.bs
        self.pwrite(blk * self.bs, data)

    def close(self):
        self.f.close()

    # -- superblock --
    def write_sb(self, fix_csum=True):
        if fix_csum and self.csum:
            put(self.sb, 0x3FC, 4, crc32c(0xFFFFFFFF, self.sb[:0x3FC]))
        self.pwrite(1024, self.sb)

    # -- group descriptors --
    def gd_off(self, g):
        gdt = (self.first_data + 1) * self.bs
        return gdt + g * self.descsize

    def gd(self, g):
        return bytearray(self.pread(self.gd_off(g), self.descsize))

    def gd_field(self, d, lo, hi, n=4):
        v = le(d, lo, n)
        if self.descsize >= 64 and hi is not None:
            v |= le(d, hi, n) << (8 * n)
        return v

    def block_bitmap(self, g):
        return self.gd_field(self.gd(g), 0x00, 0x20)

    def inode_bitmap(self, g):
        return self.gd_field(self.gd(g), 0x04, 0x24)

    def inode_table(self, g):
        return self.gd_field(self.gd(g), 0x08, 0x28)

    def gd_csum_of(self, g, d):
        if self.csum:
            z = bytearray(d)
            put(z, 0x1E, 2, 0)
            c = crc32c(self.seed, struct.pack("<I", g))
            return crc32c(c, z) & 0xFFFF
        c = crc16(0xFFFF, self.uuid)
        c = crc16(c, struct.pack("<I", g))
        c = crc16(c, d[:0x1E])
        if self.descsize > 32:
            c = crc16(c, d[0x20:])
        return c

    def write_gd(self, g, d, fix_csum=True):
        if fix_csum and (self.csum or self.gdt_csum):
            put(d, 0x1E, 2, self.gd_csum_of(g, d))
        self.pwrite(self.gd_off(g), d)

    def fix_bitmap_csums(self, g):
        """Recompute group g's bitmap checksums and its descriptor's."""
        d = self.gd(g)
        if self.csum:
            bb = self.block(self.block_bitmap(g))[:self.bpg // 8]
            ib = self.block(self.inode_bitmap(g))[:self.ipg // 8]
            cb, ci = crc32c(self.seed, bb), crc32c(self.seed, ib)
            put(d, 0x18, 2, cb)
            put(d, 0x1A, 2, ci)
            if self.descsize >= 64:
                put(d, 0x38, 2, cb >> 16)
                put(d, 0x3A, 2, ci >> 16)
        self.write_gd(g, d)

    # -- inodes --
    def inode_off(self, ino):
        g, i = divmod(ino - 1, self.ipg)
        return self.inode_table(g) * self.bs + i * self.isize

    def inode(self, ino):
        return bytearray(self.pread(self.inode_off(ino), self.isize))

    def inode_csum_of(self, ino, raw):
        z = bytearray(raw)
        put(z, 0x7C, 2, 0)
        extra = le(raw, 0x80, 2) if self.isize > 128 else 0
        if self.isize > 128 and extra >= 4:
            put(z, 0x82, 2, 0)
        c = crc32c(self.seed, struct.pack("<I", ino))
        c = crc32c(c, z[0x64:0x68])                  # i_generation
        return crc32c(c, z)

    def write_inode(self, ino, raw, fix_csum=True):
        if fix_csum and self.csum:
            c = self.inode_csum_of(ino, raw)
            put(raw, 0x7C, 2, c)
            if self.isize > 128 and le(raw, 0x80, 2) >= 4:
                put(raw, 0x82, 2, c >> 16)
        self.pwrite(self.inode_off(ino), raw)

    def owner_seed(self, ino):
        raw = self.inode(ino)
        c = crc32c(self.seed, struct.pack("<I", ino))
        return crc32c(c, raw[0x64:0x68])

    # -- block maps --
    def bmap(self, ino):
        """[(logical, physical, length)] of the inode's data blocks, and
        the list of its map blocks (extent tree nodes or indirect)."""
        raw = self.inode(ino)
        flags = le(raw, 0x20, 4)
        runs, meta = [], []
        if flags & EXTENTS_FL:
            self._ext_walk(raw[0x28:0x28 + 60], runs, meta)
        else:
            ptrs = [le(raw, 0x28 + 4 * i, 4) for i in range(15)]
            for i in range(12):
                if ptrs[i]:
                    runs.append((i, ptrs[i], 1))
            per = self.bs // 4
            self._ind_walk(ptrs[12], 1, 12, runs, meta)
            self._ind_walk(ptrs[13], 2, 12 + per, runs, meta)
            self._ind_walk(ptrs[14], 3, 12 + per + per * per, runs, meta)
        return runs, meta

    def _ext_walk(self, node, runs, meta):
        n, depth = le(node, 2, 2), le(node, 6, 2)
        for i in range(n):
            e = node[12 + 12 * i:24 + 12 * i]
            if depth == 0:
                ln = le(e, 4, 2)
                if ln > 32768:
                    ln -= 32768
                runs.append((le(e, 0, 4), le(e, 8, 4) | le(e, 6, 2) << 32,
                             ln))
            else:
                child = le(e, 4, 4) | le(e, 8, 2) << 32
                meta.append(child)
                self._ext_walk(self.block(child), runs, meta)

    def _ind_walk(self, blk, level, logical, runs, meta):
        if not blk:
            return
        meta.append(blk)
        per = self.bs // 4
        b = self.block(blk)
        span = per ** (level - 1)
        for i in range(per):
            p = le(b, 4 * i, 4)
            if not p:
                continue
            if level == 1:
                runs.append((logical + i, p, 1))
            else:
                self._ind_walk(p, level - 1, logical + i * span, runs, meta)

    def blocks(self, ino):
        """Physical data blocks in logical order."""
        runs, _ = self.bmap(ino)
        out = []
        for lg, ph, n in sorted(runs):
            out.extend(range(ph, ph + n))
        return out

    def fix_extent_block_csum(self, ino, blk):
        if not self.csum:
            return
        b = self.block(blk)
        tail = 12 + 12 * le(b, 4, 2)
        put(b, tail, 4, crc32c(self.owner_seed(ino), b[:tail]))
        self.write_block(blk, b)

    # -- directories --
    def dirents(self, ino):
        """[(block, offset, inode, rec_len, name_len, ftype, name)] of
        every entry, dx nodes' fake entries included."""
        out = []
        for blk in self.blocks(ino):
            b = self.block(blk)
            off = 0
            while off + 8 <= self.bs:
                d_ino, rl = le(b, off, 4), le(b, off + 4, 2)
                nl, ft = b[off + 6], b[off + 7]
                out.append((blk, off, d_ino, rl, nl, ft,
                            bytes(b[off + 8:off + 8 + nl])))
                if rl < 8:
                    break
                off += rl
        return out

    def find_entry(self, dir_ino, name):
        name = name.encode() if isinstance(name, str) else name
        for e in self.dirents(dir_ino):
            if e[6] == name and e[2]:
                return e
        raise KeyError(name)

    def lookup(self, path):
        ino = 2
        for part in [p for p in path.split("/") if p]:
            ino = self.find_entry(ino, part)[2]
        return ino

    def fix_dir_csum(self, ino, blk):
        """Recompute the checksum of a directory block: a leaf's tail,
        or a dx node's tail."""
        if not self.csum:
            return
        b = self.block(blk)
        seed = self.owner_seed(ino)
        bs = self.bs
        if le(b, bs - 12, 4) == 0 and le(b, bs - 8, 2) == 12 \
                and b[bs - 5] == 0xDE:
            put(b, bs - 4, 4, crc32c(seed, b[:bs - 12]))
        else:
            # dx node: root (after '.' and '..' and the dx_root_info) or
            # interior (one fake entry spanning the block).
            if le(b, 4, 2) == bs:
                coff = 8
            else:
                coff = 0x20
            limit, count = le(b, coff, 2), le(b, coff + 2, 2)
            toff = coff + limit * 8
            c = crc32c(seed, b[:coff + count * 8])
            c = crc32c(c, b[toff:toff + 4])       # dt_reserved
            c = crc32c(c, bytes(4))               # dt_checksum as zero
            put(b, toff + 4, 4, c)
        self.write_block(blk, b)

    # -- xattr blocks --
    def fix_xattr_block_csum(self, blk):
        if not self.csum:
            return
        b = self.block(blk)
        put(b, 0x10, 4, 0)
        c = crc32c(self.seed, struct.pack("<Q", blk))
        put(b, 0x10, 4, crc32c(c, b))
        self.write_block(blk, b)

    def xattr_block(self, ino):
        raw = self.inode(ino)
        return le(raw, 0x68, 4) | le(raw, 0x76, 2) << 32
