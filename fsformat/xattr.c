/* nbdscrub fsformat: extended attributes (see xattr.h). */

#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "fsf.h"
#include "super.h"
#include "xattr.h"

#define NAME_HASH_SHIFT 5
#define VALUE_HASH_SHIFT 16
#define BLOCK_HASH_SHIFT 16

void
fsf_xattr_fmt_init (struct fsf_xattr_fmt *fmt, const struct fsf_sb *sb)
{
  memset (fmt, 0, sizeof *fmt);
  fmt->block_size = sb->block_size;
  fmt->ea_inode = fsf_has_incompat (sb, FSF_INCOMPAT_EA_INODE);
  fmt->csum_seed = sb->csum_seed;
}

const char *
fsf_xattr_prefix (uint8_t name_index)
{
  switch (name_index) {
  case 1: return "user.";
  case 2: return "system.posix_acl_access";
  case 3: return "system.posix_acl_default";
  case 4: return "trusted.";
  case 6: return "security.";
  case 7: return "system.";
  case 8: return "system.richacl";
  }
  return NULL;
}

int
fsf_xattr_header_decode (const uint8_t *buf, size_t len,
                         struct fsf_xattr_header *h)
{
  unsigned i;

  memset (h, 0, sizeof *h);
  if (len < FSF_XATTR_HEADER_SIZE)
    return FSF_BAD_TRUNCATED;
  h->magic = fsf_le32 (buf);
  h->refcount = fsf_le32 (buf + 0x04);
  h->blocks = fsf_le32 (buf + 0x08);
  h->hash = fsf_le32 (buf + 0x0c);
  h->checksum = fsf_le32 (buf + 0x10);
  for (i = 0; i < 3; i++)
    h->reserved[i] = fsf_le32 (buf + 0x14 + 4 * i);
  if (h->magic != FSF_XATTR_MAGIC)
    return FSF_BAD_MAGIC;
  if (h->blocks != 1 || h->refcount == 0)
    return FSF_BAD_FIELD;
  return 0;
}

/* An entry's size: header and name, rounded up to 4. */
static uint32_t
entry_len (uint8_t name_len)
{
  return (FSF_XATTR_ENTRY_SIZE + name_len + 3U) & ~3U;
}

/* Find the terminator of the entries in area[first..size): its offset,
 * or FSF_BAD_FIELD when an entry or the chain leaves the area.  At most
 * size / 16 entries.
 */
static int
find_end (const uint8_t *area, uint32_t size, uint32_t first, uint32_t *end)
{
  uint32_t off = first;

  for (;;) {
    if (size < 4 || off > size - 4)
      return FSF_BAD_FIELD;
    if (fsf_le32 (area + off) == 0)
      break;
    if (off > size - FSF_XATTR_ENTRY_SIZE
        || entry_len (area[off]) > size - off)
      return FSF_BAD_FIELD;
    off += entry_len (area[off]);
  }
  *end = off;
  return 0;
}

static void
decode_entry (const uint8_t *area, uint32_t off, struct fsf_xattr_entry *e)
{
  const uint8_t *p = area + off;

  memset (e, 0, sizeof *e);
  e->offset = off;
  e->name_len = p[0];
  e->name_index = p[1];
  e->value_offs = fsf_le16 (p + 2);
  e->value_inum = fsf_le32 (p + 4);
  e->value_size = fsf_le32 (p + 8);
  e->hash = fsf_le32 (p + 12);
  e->name = p + FSF_XATTR_ENTRY_SIZE;
}

/* The value rules, for an entry of an area of size bytes whose entries
 * end (terminator included) at values_from.
 */
static int
check_value (const uint8_t *area, uint32_t size, uint32_t values_from,
             const struct fsf_xattr_fmt *fmt, struct fsf_xattr_entry *e)
{
  if (e->value_inum) {
    if (!fmt->ea_inode || e->value_offs != 0
        || e->value_size > FSF_XATTR_EA_INODE_MAX)
      return FSF_BAD_FIELD;
    return 0;
  }
  if (e->value_size == 0)
    return 0;
  if (e->value_offs < values_from || e->value_offs > size
      || e->value_size > size - e->value_offs)
    return FSF_BAD_FIELD;
  e->value = area + e->value_offs;
  e->value_room = size - e->value_offs;
  return 0;
}

/* Walk entries of area[first..size), values counted from area. */
static int
walk (const uint8_t *area, uint32_t size, uint32_t first,
      const struct fsf_xattr_fmt *fmt, fsf_xattr_fn fn, void *opaque)
{
  uint32_t end, off;
  int r;

  r = find_end (area, size, first, &end);
  if (r)
    return r;
  for (off = first; off < end; off += entry_len (area[off])) {
    struct fsf_xattr_entry e;

    decode_entry (area, off, &e);
    r = check_value (area, size, end + 4, fmt, &e);
    if (r)
      return r;
    if (fn) {
      r = fn (&e, opaque);
      if (r)
        return r;
    }
  }
  return 0;
}

int
fsf_xattr_block_iterate (const uint8_t *buf, size_t len,
                         const struct fsf_xattr_fmt *fmt, fsf_xattr_fn fn,
                         void *opaque)
{
  struct fsf_xattr_header h;
  int r;

  if (fmt->block_size < 1024 || fmt->block_size > 65536)
    return FSF_BAD_FIELD;
  if (len < fmt->block_size)
    return FSF_BAD_TRUNCATED;
  r = fsf_xattr_header_decode (buf, len, &h);
  if (r)
    return r;
  return walk (buf, fmt->block_size, FSF_XATTR_HEADER_SIZE, fmt, fn, opaque);
}

int
fsf_xattr_ibody_iterate (const uint8_t *inode, size_t inode_size,
                         const struct fsf_xattr_fmt *fmt, fsf_xattr_fn fn,
                         void *opaque)
{
  uint32_t extra, start;

  /* The inode size comes from the superblock: at most a block. */
  if (inode_size > 65536)
    return FSF_BAD_FIELD;
  if (inode_size <= FSF_XATTR_IBODY_BASE + 2)
    return 0;
  extra = fsf_le16 (inode + FSF_XATTR_IBODY_BASE);
  if ((extra & 3) || extra > inode_size - FSF_XATTR_IBODY_BASE)
    return FSF_BAD_FIELD;
  start = FSF_XATTR_IBODY_BASE + extra;
  if (extra < 2 || start + 4 >= inode_size)
    return 0;
  if (fsf_le32 (inode + start) != FSF_XATTR_MAGIC)
    return 0;
  start += 4;
  return walk (inode + start, (uint32_t) inode_size - start, 0, fmt, fn,
               opaque);
}

static uint32_t
hash_entry (const struct fsf_xattr_entry *e, bool signed_chars)
{
  uint32_t hash = 0, n, i;

  for (i = 0; i < e->name_len; i++) {
    uint32_t c = e->name[i];

    if (signed_chars && c >= 0x80)
      c |= 0xffffff00U;
    hash = (hash << NAME_HASH_SHIFT)
      ^ (hash >> (32 - NAME_HASH_SHIFT)) ^ c;
  }
  if (e->value_inum == 0 && e->value_size != 0 && e->value) {
    /* Whole words, the last padded: past value_room reads as zero. */
    n = (e->value_size + 3) / 4;
    for (i = 0; i < n; i++) {
      uint8_t w[4] = { 0, 0, 0, 0 };
      uint32_t avail = e->value_room - 4 * i;

      memcpy (w, e->value + 4 * i, avail < 4 ? avail : 4);
      hash = (hash << VALUE_HASH_SHIFT)
        ^ (hash >> (32 - VALUE_HASH_SHIFT)) ^ fsf_le32 (w);
    }
  }
  return hash;
}

uint32_t
fsf_xattr_entry_hash (const struct fsf_xattr_entry *e)
{
  return hash_entry (e, false);
}

uint32_t
fsf_xattr_entry_hash_signed (const struct fsf_xattr_entry *e)
{
  return hash_entry (e, true);
}

uint32_t
fsf_xattr_hash_mix (uint32_t hash, uint32_t ea_inode_hash)
{
  return (hash << VALUE_HASH_SHIFT) ^ (hash >> (32 - VALUE_HASH_SHIFT))
    ^ ea_inode_hash;
}

int
fsf_xattr_block_hash (const uint8_t *buf, size_t len, uint32_t block_size,
                      uint32_t *hash)
{
  uint32_t end, off, h = 0;
  int r;

  *hash = 0;
  if (block_size < 1024 || block_size > 65536)
    return FSF_BAD_FIELD;
  if (len < block_size)
    return FSF_BAD_TRUNCATED;
  r = find_end (buf, block_size, FSF_XATTR_HEADER_SIZE, &end);
  if (r)
    return r;
  for (off = FSF_XATTR_HEADER_SIZE; off < end; off += entry_len (buf[off])) {
    uint32_t eh = fsf_le32 (buf + off + 12);

    /* An entry without a hash makes the block unshareable. */
    if (eh == 0)
      return 0;
    h = (h << BLOCK_HASH_SHIFT) ^ (h >> (32 - BLOCK_HASH_SHIFT)) ^ eh;
  }
  *hash = h;
  return 0;
}

int
fsf_xattr_block_csum (const struct fsf_xattr_fmt *fmt, uint64_t block,
                      const uint8_t *buf, size_t len, uint32_t *csum)
{
  uint32_t bs = fmt->block_size;
  uint8_t b[8];

  if (bs < FSF_XATTR_HEADER_SIZE)
    return FSF_BAD_FIELD;
  if (len < bs)
    return FSF_BAD_TRUNCATED;
  fsf_put_le64 (b, block);
  *csum = fsf_crc32c_hole (fsf_crc32c (fmt->csum_seed, b, sizeof b), buf,
                           bs, FSF_XATTR_CSUM_OFFSET);
  return 0;
}

bool
fsf_xattr_block_csum_verify (const struct fsf_xattr_fmt *fmt, uint64_t block,
                             const uint8_t *buf, size_t len)
{
  uint32_t c;

  if (fsf_xattr_block_csum (fmt, block, buf, len, &c))
    return false;
  return fsf_le32 (buf + FSF_XATTR_CSUM_OFFSET) == c;
}

int
fsf_xattr_block_csum_set (const struct fsf_xattr_fmt *fmt, uint64_t block,
                          uint8_t *buf, size_t len)
{
  uint32_t c;
  int r = fsf_xattr_block_csum (fmt, block, buf, len, &c);

  if (r)
    return r;
  fsf_put_le32 (buf + FSF_XATTR_CSUM_OFFSET, c);
  return 0;
}
