/* nbdscrub fsformat: directory blocks and the htree index (see dir.h). */

#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "dir.h"
#include "dirhash.h"
#include "fsf.h"
#include "super.h"

void
fsf_dir_fmt_init (struct fsf_dir_fmt *fmt, const struct fsf_sb *sb)
{
  memset (fmt, 0, sizeof *fmt);
  fmt->block_size = sb->block_size;
  fmt->filetype = fsf_has_incompat (sb, FSF_INCOMPAT_FILETYPE);
  fmt->csum = fsf_has_metadata_csum (sb);
  fmt->large_dir = fsf_has_incompat (sb, FSF_INCOMPAT_LARGEDIR);
  fmt->csum_seed = sb->csum_seed;
}

/* A block size a directory can have: a power of two, 1 to 64 KiB. */
static int
check_fmt (const struct fsf_dir_fmt *fmt, size_t len)
{
  uint32_t bs = fmt->block_size;

  if (bs < 1024 || bs > FSF_DIR_MAX_BLOCK || !fsf_is_pow2 (bs))
    return FSF_BAD_FIELD;
  if (len < bs)
    return FSF_BAD_TRUNCATED;
  return 0;
}

uint32_t
fsf_dir_rec_len (uint16_t raw, uint32_t block_size)
{
  if (block_size < 65536)
    return raw;
  if (raw == 65535 || raw == 0)
    return block_size;
  return (raw & 65532U) | (uint32_t) (raw & 3) << 16;
}

int
fsf_dir_rec_len_put (uint8_t *p, uint32_t rec_len, uint32_t block_size)
{
  /* Below the 8-byte header a rec_len cannot hold an entry (and 0 would
   * read back as the whole block).
   */
  if (rec_len < 8 || rec_len > block_size || (rec_len & 3))
    return FSF_BAD_FIELD;
  if (rec_len < 65536)
    fsf_put_le16 (p, (uint16_t) rec_len);
  else if (rec_len == block_size)
    fsf_put_le16 (p, block_size == 65536 ? 65535 : 0);
  else
    fsf_put_le16 (p, (uint16_t) ((rec_len & 65532) | (rec_len >> 16 & 3)));
  return 0;
}

/* 8 + name_len, rounded up to 4: the least rec_len that holds a name. */
static uint32_t
dirent_min_len (uint32_t name_len)
{
  return (FSF_DIRENT_HEADER + name_len + 3) & ~3U;
}

int
fsf_dirent_decode (const uint8_t *buf, size_t len, uint32_t off,
                   uint32_t end, const struct fsf_dir_fmt *fmt,
                   struct fsf_dirent *de)
{
  const uint8_t *p;

  memset (de, 0, sizeof *de);
  if (end > len)
    return FSF_BAD_TRUNCATED;
  if (off >= end || end - off < FSF_DIRENT_HEADER)
    return FSF_BAD_FIELD;
  p = buf + off;
  de->offset = off;
  de->inode = fsf_le32 (p);
  de->rec_len = fsf_dir_rec_len (fsf_le16 (p + 4), fmt->block_size);
  if (fmt->filetype) {
    de->name_len = p[6];
    de->file_type = p[7];
  }
  else
    de->name_len = fsf_le16 (p + 6);
  de->name = p + FSF_DIRENT_HEADER;

  if (de->rec_len < FSF_DIRENT_HEADER || (de->rec_len & 3))
    return FSF_BAD_FIELD;
  if (de->rec_len > end - off)
    return FSF_BAD_FIELD;
  if (de->name_len > FSF_NAME_LEN)
    return FSF_BAD_FIELD;
  if (dirent_min_len (de->name_len) > de->rec_len)
    return FSF_BAD_FIELD;
  return 0;
}

bool
fsf_dir_tail_present (const uint8_t *buf, size_t len, uint32_t block_size)
{
  const uint8_t *t;

  if (block_size < FSF_DIR_TAIL_SIZE || len < block_size)
    return false;
  t = buf + block_size - FSF_DIR_TAIL_SIZE;
  return fsf_le32 (t) == 0 && fsf_le16 (t + 4) == FSF_DIR_TAIL_SIZE
    && t[6] == 0 && t[7] == FSF_DIR_TAIL_FT;
}

int
fsf_dir_block_iterate (const uint8_t *buf, size_t len,
                       const struct fsf_dir_fmt *fmt, fsf_dirent_fn fn,
                       void *opaque, uint32_t *bad_off)
{
  uint32_t end = fmt->block_size, off = 0;
  int r;

  r = check_fmt (fmt, len);
  if (r)
    goto bad;
  if (fmt->csum) {
    end -= FSF_DIR_TAIL_SIZE;
    if (!fsf_dir_tail_present (buf, len, fmt->block_size)) {
      off = end;
      r = FSF_BAD_FIELD;
      goto bad;
    }
  }
  /* Each entry is at least 8 bytes, so at most block_size / 8 turns. */
  while (off < end) {
    struct fsf_dirent de;

    r = fsf_dirent_decode (buf, len, off, end, fmt, &de);
    if (r)
      goto bad;
    if (fn) {
      r = fn (&de, opaque);
      if (r)
        return r;
    }
    off += de.rec_len;
  }
  return 0;

 bad:
  if (bad_off)
    *bad_off = off;
  return r;
}

int
fsf_dir_block_csum (const struct fsf_dir_fmt *fmt, uint32_t ino,
                    uint32_t gen, const uint8_t *buf, size_t len,
                    uint32_t *csum)
{
  int r = check_fmt (fmt, len);

  if (r)
    return r;
  if (!fsf_dir_tail_present (buf, len, fmt->block_size))
    return FSF_BAD_FIELD;
  *csum = fsf_crc32c (fsf_crc32c_owner (fmt->csum_seed, ino, gen), buf,
                      fmt->block_size - FSF_DIR_TAIL_SIZE);
  return 0;
}

bool
fsf_dir_block_csum_verify (const struct fsf_dir_fmt *fmt, uint32_t ino,
                           uint32_t gen, const uint8_t *buf, size_t len)
{
  uint32_t c;

  if (fsf_dir_block_csum (fmt, ino, gen, buf, len, &c))
    return false;
  return fsf_le32 (buf + fmt->block_size - 4) == c;
}

int
fsf_dir_block_csum_set (const struct fsf_dir_fmt *fmt, uint32_t ino,
                        uint32_t gen, uint8_t *buf, size_t len)
{
  uint32_t c;
  int r = fsf_dir_block_csum (fmt, ino, gen, buf, len, &c);

  if (r)
    return r;
  fsf_put_le32 (buf + fmt->block_size - 4, c);
  return 0;
}

/* --- htree ---------------------------------------------------------- */

/* How many dx entries fit from count_offset, beside a tail with csum. */
uint32_t
fsf_dx_limit (const struct fsf_dir_fmt *fmt, uint32_t count_offset)
{
  uint32_t room = fmt->csum ? FSF_DX_TAIL_SIZE : 0;

  if (count_offset + room >= fmt->block_size)
    return 0;
  return (fmt->block_size - count_offset - room) / FSF_DX_ENTRY_SIZE;
}

void
fsf_dx_countlimit_get (const uint8_t *buf, uint32_t count_offset,
                       uint16_t *limit, uint16_t *count)
{
  *limit = fsf_le16 (buf + count_offset);
  *count = fsf_le16 (buf + count_offset + 2);
}

/* The countlimit and the entries, for root and node alike. */
static int
check_countlimit (const uint8_t *buf, const struct fsf_dir_fmt *fmt,
                  struct fsf_dx_block *dx)
{
  const uint8_t *c = buf + dx->count_offset;
  uint32_t prev = 0;
  unsigned i;

  dx->limit = fsf_le16 (c);
  dx->count = fsf_le16 (c + 2);
  if (dx->limit != fsf_dx_limit (fmt, dx->count_offset))
    return FSF_BAD_FIELD;
  if (dx->count == 0 || dx->count > dx->limit)
    return FSF_BAD_FIELD;
  for (i = 0; i < dx->count; i++) {
    struct fsf_dx_entry e;

    fsf_dx_entry_get (buf, dx, i, &e);
    /* Block 0 is the root: an entry pointing there is a cycle. */
    if (e.block == 0)
      return FSF_BAD_LOOP;
    /* Bit 0 flags a hash collision continued from the previous block. */
    if ((e.hash & ~1U) < prev)
      return FSF_BAD_FIELD;
    prev = e.hash & ~1U;
  }
  return 0;
}

/* A fake entry: rec_len, and name_len (8 bits with filetype, else 16). */
static bool
fake_entry_is (const uint8_t *p, const struct fsf_dir_fmt *fmt,
               uint32_t rec_len, const char *name)
{
  size_t n = strlen (name);
  uint16_t name_len = fmt->filetype ? p[6] : fsf_le16 (p + 6);

  return fsf_dir_rec_len (fsf_le16 (p + 4), fmt->block_size) == rec_len
    && name_len == n && memcmp (p + FSF_DIRENT_HEADER, name, n) == 0;
}

int
fsf_dx_root_decode (const uint8_t *buf, size_t len,
                    const struct fsf_dir_fmt *fmt, struct fsf_dx_block *dx)
{
  const uint8_t *info = buf + 0x18;
  int r;

  memset (dx, 0, sizeof *dx);
  r = check_fmt (fmt, len);
  if (r)
    return r;
  dx->root = true;
  dx->reserved_zero = fsf_le32 (info);
  dx->hash_version = info[4];
  dx->info_length = info[5];
  dx->indirect_levels = info[6];
  dx->unused_flags = info[7];
  dx->count_offset = FSF_DX_ROOT_COUNT_OFFSET;

  if (!fake_entry_is (buf, fmt, 12, "."))
    return FSF_BAD_FIELD;
  if (!fake_entry_is (buf + 12, fmt, fmt->block_size - 12, ".."))
    return FSF_BAD_FIELD;
  if (dx->reserved_zero != 0 || dx->info_length != FSF_DX_ROOT_INFO_LEN)
    return FSF_BAD_FIELD;
  if (dx->hash_version == FSF_HASH_SIPHASH)
    return FSF_BAD_UNSUPPORTED;
  /* 3..5 are userspace's unsigned twins, never stored. */
  if (dx->hash_version > FSF_HASH_TEA)
    return FSF_BAD_FIELD;
  if (dx->indirect_levels > (fmt->large_dir ? 2 : 1))
    return FSF_BAD_FIELD;
  return check_countlimit (buf, fmt, dx);
}

int
fsf_dx_node_decode (const uint8_t *buf, size_t len,
                    const struct fsf_dir_fmt *fmt, struct fsf_dx_block *dx)
{
  int r;

  memset (dx, 0, sizeof *dx);
  r = check_fmt (fmt, len);
  if (r)
    return r;
  dx->count_offset = FSF_DX_NODE_COUNT_OFFSET;
  /* The 16-bit name_len and file_type both zero, whatever filetype. */
  if (fsf_dir_rec_len (fsf_le16 (buf + 4), fmt->block_size)
      != fmt->block_size || fsf_le16 (buf + 6) != 0)
    return FSF_BAD_FIELD;
  return check_countlimit (buf, fmt, dx);
}

void
fsf_dx_entry_get (const uint8_t *buf, const struct fsf_dx_block *dx,
                  unsigned i, struct fsf_dx_entry *e)
{
  const uint8_t *p = buf + dx->count_offset + FSF_DX_ENTRY_SIZE * i;

  e->hash = i ? fsf_le32 (p) : 0;
  e->block = fsf_le32 (p + 4);
}

int
fsf_dx_blocks_in_range (const uint8_t *buf, const struct fsf_dx_block *dx,
                        uint32_t nblocks)
{
  unsigned i;

  for (i = 0; i < dx->count; i++) {
    struct fsf_dx_entry e;

    fsf_dx_entry_get (buf, dx, i, &e);
    if (e.block >= nblocks)
      return FSF_BAD_RANGE;
  }
  return 0;
}

/* Where the countlimit is, by the shape of the block's first entries
 * (ext2fs's __get_dx_countlimit), and where the tail is.
 */
static int
dx_locate (const struct fsf_dir_fmt *fmt, const uint8_t *buf,
           uint32_t *count_offset, uint32_t *tail_offset)
{
  uint32_t bs = fmt->block_size, rl0, max;
  uint16_t limit, count;

  rl0 = fsf_dir_rec_len (fsf_le16 (buf + 4), bs);
  if (rl0 == bs && fsf_le16 (buf + 6) == 0)
    *count_offset = FSF_DX_NODE_COUNT_OFFSET;
  else if (rl0 == 12) {
    if (fsf_dir_rec_len (fsf_le16 (buf + 16), bs) != bs - 12
        || fsf_le32 (buf + 0x18) != 0 || buf[0x1d] != FSF_DX_ROOT_INFO_LEN)
      return FSF_BAD_FIELD;
    *count_offset = FSF_DX_ROOT_COUNT_OFFSET;
  }
  else
    return FSF_BAD_FIELD;

  max = (bs - *count_offset) / FSF_DX_ENTRY_SIZE;
  limit = fsf_le16 (buf + *count_offset);
  count = fsf_le16 (buf + *count_offset + 2);
  if (limit > max || count > max)
    return FSF_BAD_FIELD;
  if (*count_offset + (uint32_t) limit * FSF_DX_ENTRY_SIZE
      > bs - FSF_DX_TAIL_SIZE)
    return FSF_BAD_FIELD;
  *tail_offset = *count_offset + (uint32_t) limit * FSF_DX_ENTRY_SIZE;
  return 0;
}

/* The dx checksum, and where its field is (*field, the tail's second
 * word).  Returns 0 or an enum fsf_bad.
 */
static int
dx_csum_at (const struct fsf_dir_fmt *fmt, uint32_t ino, uint32_t gen,
            const uint8_t *buf, size_t len, uint32_t *csum, uint32_t *field)
{
  static const uint8_t zero[4];
  uint32_t count_offset, tail, c;
  int r = check_fmt (fmt, len);

  if (r)
    return r;
  r = dx_locate (fmt, buf, &count_offset, &tail);
  if (r)
    return r;
  c = fsf_crc32c_owner (fmt->csum_seed, ino, gen);
  c = fsf_crc32c (c, buf, count_offset + FSF_DX_ENTRY_SIZE
                  * (uint32_t) fsf_le16 (buf + count_offset + 2));
  c = fsf_crc32c (c, buf + tail, 4);          /* dt_reserved */
  *csum = fsf_crc32c (c, zero, sizeof zero);  /* dt_checksum as zero */
  *field = tail + 4;
  return 0;
}

int
fsf_dx_csum (const struct fsf_dir_fmt *fmt, uint32_t ino, uint32_t gen,
             const uint8_t *buf, size_t len, uint32_t *csum)
{
  uint32_t field;

  return dx_csum_at (fmt, ino, gen, buf, len, csum, &field);
}

bool
fsf_dx_csum_verify (const struct fsf_dir_fmt *fmt, uint32_t ino,
                    uint32_t gen, const uint8_t *buf, size_t len)
{
  uint32_t c, field;

  if (dx_csum_at (fmt, ino, gen, buf, len, &c, &field))
    return false;
  return fsf_le32 (buf + field) == c;
}

int
fsf_dx_csum_set (const struct fsf_dir_fmt *fmt, uint32_t ino, uint32_t gen,
                 uint8_t *buf, size_t len)
{
  uint32_t c, field;
  int r = dx_csum_at (fmt, ino, gen, buf, len, &c, &field);

  if (r)
    return r;
  fsf_put_le32 (buf + field, c);
  return 0;
}
