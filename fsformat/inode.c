/* nbdscrub fsformat: the inode (see inode.h for the layout). */

#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "fsf.h"
#include "inode.h"

/* Does an inode with this i_extra_isize hold the field ending at end? */
static bool
has_extra (uint16_t extra_isize, unsigned end)
{
  return FSF_INODE_BASE_SIZE + (unsigned) extra_isize >= end;
}

/* A 32-bit seconds field and, if present, its _extra word. */
static struct fsf_itime
decode_time (const uint8_t *sec, const uint8_t *extra)
{
  struct fsf_itime t;

  t.sec = (int32_t) fsf_le32 (sec);
  t.nsec = 0;
  if (extra) {
    uint32_t x = fsf_le32 (extra);

    t.sec += (int64_t) (x & 3) << 32;
    t.nsec = x >> 2;
  }
  return t;
}

static void
decode_base (const uint8_t *p, struct fsf_inode *out)
{
  out->mode = fsf_le16 (p + 0x00);
  out->uid = fsf_le16 (p + 0x02) | (uint32_t) fsf_le16 (p + 0x78) << 16;
  out->size = fsf_lohi (fsf_le32 (p + 0x04), fsf_le32 (p + 0x6c));
  out->atime = decode_time (p + 0x08, NULL);
  out->ctime = decode_time (p + 0x0c, NULL);
  out->mtime = decode_time (p + 0x10, NULL);
  out->dtime = fsf_le32 (p + 0x14);
  out->gid = fsf_le16 (p + 0x18) | (uint32_t) fsf_le16 (p + 0x7a) << 16;
  out->links_count = fsf_le16 (p + 0x1a);
  out->blocks_hi = fsf_le16 (p + 0x74);
  out->blocks = fsf_lohi (fsf_le32 (p + 0x1c), out->blocks_hi);
  out->flags = fsf_le32 (p + 0x20);
  out->version = fsf_le32 (p + 0x24);
  memcpy (out->i_block, p + 0x28, FSF_I_BLOCK_SIZE);
  out->generation = fsf_le32 (p + 0x64);
  out->file_acl = fsf_lohi (fsf_le32 (p + 0x68), fsf_le16 (p + 0x76));
  out->faddr = fsf_le32 (p + 0x70);
  out->checksum = fsf_le16 (p + FSF_INODE_CSUM_LO_OFFSET);
}

/* The extra fields i_extra_isize reaches; it has been checked to fit. */
static void
decode_extra (const uint8_t *p, struct fsf_inode *out)
{
  uint16_t x = out->extra_isize;

  out->has_csum_hi = has_extra (x, 0x84);
  out->has_ctime_extra = has_extra (x, 0x88);
  out->has_mtime_extra = has_extra (x, 0x8c);
  out->has_atime_extra = has_extra (x, 0x90);
  out->has_crtime = has_extra (x, 0x94);
  out->has_crtime_extra = has_extra (x, 0x98);
  out->has_version_hi = has_extra (x, 0x9c);
  out->has_projid = has_extra (x, 0xa0);

  if (out->has_csum_hi)
    out->checksum |= (uint32_t) fsf_le16 (p + FSF_INODE_CSUM_HI_OFFSET) << 16;
  if (out->has_ctime_extra)
    out->ctime = decode_time (p + 0x0c, p + 0x84);
  if (out->has_mtime_extra)
    out->mtime = decode_time (p + 0x10, p + 0x88);
  if (out->has_atime_extra)
    out->atime = decode_time (p + 0x08, p + 0x8c);
  if (out->has_crtime)
    out->crtime = decode_time (p + 0x90,
                               out->has_crtime_extra ? p + 0x94 : NULL);
  if (out->has_version_hi)
    out->version |= (uint64_t) fsf_le32 (p + 0x98) << 32;
  if (out->has_projid)
    out->projid = fsf_le32 (p + 0x9c);
}

int
fsf_inode_decode (const uint8_t *buf, size_t len, const struct fsf_sb *sb,
                  struct fsf_inode *out)
{
  memset (out, 0, sizeof *out);
  if (sb->inode_size < FSF_INODE_BASE_SIZE || len < sb->inode_size)
    return FSF_BAD_TRUNCATED;
  decode_base (buf, out);
  if (sb->inode_size == FSF_INODE_BASE_SIZE)
    return 0;

  out->extra_isize = fsf_le16 (buf + 0x80);
  /* The kernel refuses both (ext4_iget): the extra fields must end
   * inside the inode, on a 4-byte boundary.
   */
  if (FSF_INODE_BASE_SIZE + (unsigned) out->extra_isize > sb->inode_size
      || out->extra_isize % 4 != 0)
    return FSF_BAD_FIELD;
  decode_extra (buf, out);
  return 0;
}

/* Is there an i_checksum_hi to include and compare?  As e2fsprogs: any
 * inode larger than 128 bytes has room for it at 0x82, so only
 * i_extra_isize decides, even when it is too large to be valid.
 */
static bool
csum_has_hi (const struct fsf_sb *sb, const uint8_t *buf)
{
  return sb->inode_size > FSF_INODE_BASE_SIZE
    && fsf_le16 (buf + 0x80) >= FSF_INODE_CSUM_HI_EXTRA_END;
}

uint32_t
fsf_inode_csum (const struct fsf_sb *sb, uint32_t ino, const uint8_t *buf)
{
  static const uint8_t zero[2] = { 0, 0 };
  uint8_t le[4];
  uint32_t crc;
  size_t size = sb->inode_size;

  fsf_put_le32 (le, ino);
  crc = fsf_crc32c (sb->csum_seed, le, 4);
  crc = fsf_crc32c (crc, buf + 0x64, 4);          /* i_generation */
  crc = fsf_crc32c (crc, buf, FSF_INODE_CSUM_LO_OFFSET);
  crc = fsf_crc32c (crc, zero, 2);
  if (csum_has_hi (sb, buf)) {
    crc = fsf_crc32c (crc, buf + 0x7e,
                      FSF_INODE_CSUM_HI_OFFSET - 0x7e);
    crc = fsf_crc32c (crc, zero, 2);
    crc = fsf_crc32c (crc, buf + 0x84, size - 0x84);
  }
  else
    crc = fsf_crc32c (crc, buf + 0x7e, size - 0x7e);
  return crc;
}

/* All 128 base bytes zero: an inode never written. */
static bool
base_is_zero (const uint8_t *buf)
{
  unsigned i;

  for (i = 0; i < FSF_INODE_BASE_SIZE; i++)
    if (buf[i])
      return false;
  return true;
}

bool
fsf_inode_csum_verify (const struct fsf_sb *sb, uint32_t ino,
                       const uint8_t *buf)
{
  uint32_t crc = fsf_inode_csum (sb, ino, buf);
  uint32_t stored = fsf_le16 (buf + FSF_INODE_CSUM_LO_OFFSET);

  if (csum_has_hi (sb, buf))
    stored |= (uint32_t) fsf_le16 (buf + FSF_INODE_CSUM_HI_OFFSET) << 16;
  else
    crc &= 0xffff;
  return stored == crc || base_is_zero (buf);
}

void
fsf_inode_csum_set (const struct fsf_sb *sb, uint32_t ino, uint8_t *buf)
{
  uint32_t crc = fsf_inode_csum (sb, ino, buf);

  fsf_put_le16 (buf + FSF_INODE_CSUM_LO_OFFSET, (uint16_t) crc);
  if (csum_has_hi (sb, buf))
    fsf_put_le16 (buf + FSF_INODE_CSUM_HI_OFFSET, (uint16_t) (crc >> 16));
}

enum fsf_ftype
fsf_inode_ftype (uint16_t mode)
{
  switch (mode & FSF_S_IFMT) {
  case FSF_S_IFREG: return FSF_FT_REG;
  case FSF_S_IFDIR: return FSF_FT_DIR;
  case FSF_S_IFCHR: return FSF_FT_CHR;
  case FSF_S_IFBLK: return FSF_FT_BLK;
  case FSF_S_IFIFO: return FSF_FT_FIFO;
  case FSF_S_IFSOCK: return FSF_FT_SOCK;
  case FSF_S_IFLNK: return FSF_FT_SYMLINK;
  }
  return FSF_FT_UNKNOWN;
}

const char *
fsf_ftype_name (enum fsf_ftype t)
{
  switch (t) {
  case FSF_FT_REG: return "regular";
  case FSF_FT_DIR: return "directory";
  case FSF_FT_CHR: return "character special";
  case FSF_FT_BLK: return "block special";
  case FSF_FT_FIFO: return "FIFO";
  case FSF_FT_SOCK: return "socket";
  case FSF_FT_SYMLINK: return "symlink";
  case FSF_FT_UNKNOWN:
  case FSF_FT_MAX:
    break;
  }
  return "unknown";
}

/* i_blocks as a count, its hi half only with huge_file. */
static uint64_t
raw_blocks (const struct fsf_sb *sb, const struct fsf_inode *ino)
{
  if (fsf_has_ro_compat (sb, FSF_RO_COMPAT_HUGE_FILE))
    return ino->blocks;
  return ino->blocks & UINT32_MAX;
}

uint64_t
fsf_inode_blocks_bytes (const struct fsf_sb *sb, const struct fsf_inode *ino)
{
  uint64_t n = raw_blocks (sb, ino);
  uint64_t unit = 512;

  if (fsf_has_ro_compat (sb, FSF_RO_COMPAT_HUGE_FILE)
      && (ino->flags & FSF_HUGE_FILE_FL))
    unit = sb->block_size;
  if (n > UINT64_MAX / unit)
    return UINT64_MAX;
  return n * unit;
}

uint64_t
fsf_inode_data_sectors (const struct fsf_sb *sb, const struct fsf_inode *ino)
{
  uint64_t n = raw_blocks (sb, ino);
  uint64_t ea = 0;

  if (ino->file_acl) {
    /* One cluster; log_cluster_size is bounded by fsf_sb_decode. */
    ea = ((uint64_t) 1024 << sb->log_cluster_size) >> 9;
  }
  return n > ea ? n - ea : 0;
}

bool
fsf_inode_is_fast_symlink (const struct fsf_sb *sb,
                           const struct fsf_inode *ino)
{
  return fsf_inode_ftype (ino->mode) == FSF_FT_SYMLINK
    && !(ino->flags & FSF_INLINE_DATA_FL)
    && ino->size < FSF_I_BLOCK_SIZE
    && fsf_inode_data_sectors (sb, ino) == 0;
}

uint32_t
fsf_inode_i_block (const struct fsf_inode *ino, unsigned i)
{
  if (i >= FSF_N_BLOCKS)
    return 0;
  return fsf_le32 (ino->i_block + 4 * i);
}
