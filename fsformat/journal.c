/* nbdscrub fsformat: jbd2 journal blocks (see journal.h for the layout). */

#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "fsf.h"
#include "journal.h"

static void
decode_fields (const uint8_t *p, struct fsf_jsb *jsb)
{
  jsb->blocktype = fsf_be32 (p + 0x04);
  jsb->blocksize = fsf_be32 (p + 0x0c);
  jsb->maxlen = fsf_be32 (p + 0x10);
  jsb->first = fsf_be32 (p + 0x14);
  jsb->sequence = fsf_be32 (p + 0x18);
  jsb->start = fsf_be32 (p + 0x1c);
  jsb->errno_ = (int32_t) fsf_be32 (p + 0x20);
  jsb->checksum = fsf_be32 (p + FSF_JSB_CSUM_OFFSET);
  /* e2fsck clears the v2 fields of a v1 superblock: they mean nothing. */
  if (jsb->blocktype != FSF_JBT_SB_V2)
    return;
  jsb->feature_compat = fsf_be32 (p + 0x24);
  jsb->feature_incompat = fsf_be32 (p + 0x28);
  jsb->feature_ro_compat = fsf_be32 (p + 0x2c);
  memcpy (jsb->uuid, p + 0x30, 16);
  jsb->nr_users = fsf_be32 (p + 0x40);
  jsb->checksum_type = p[0x50];
  jsb->num_fc_blks = fsf_be32 (p + 0x54);
}

uint32_t
fsf_jsb_tag_bytes (const struct fsf_jsb *jsb)
{
  uint32_t sz = 12;

  if (jsb->feature_incompat & FSF_JINCOMPAT_CSUM_V3)
    return 16;
  if (jsb->feature_incompat & FSF_JINCOMPAT_CSUM_V2)
    sz += 2;
  if (!(jsb->feature_incompat & FSF_JINCOMPAT_64BIT))
    sz -= 4;
  return sz;
}

/* The rules e2fsck's journal load applies, one per if. */
static int
check_sb (struct fsf_jsb *jsb)
{
  uint32_t inc = jsb->feature_incompat;

  if (jsb->blocktype == FSF_JBT_SB_V1)
    jsb->version = 1;
  else if (jsb->blocktype == FSF_JBT_SB_V2)
    jsb->version = 2;
  else
    return FSF_BAD_FIELD;
  if (inc & ~FSF_JINCOMPAT_KNOWN || jsb->feature_ro_compat)
    return FSF_BAD_UNSUPPORTED;
  if (jsb->nr_users > 1)
    return FSF_BAD_UNSUPPORTED;
  if ((inc & FSF_JINCOMPAT_CSUM_V2) && (inc & FSF_JINCOMPAT_CSUM_V3))
    return FSF_BAD_FIELD;
  jsb->csum = (inc & (FSF_JINCOMPAT_CSUM_V2 | FSF_JINCOMPAT_CSUM_V3)) != 0;
  if (jsb->csum && (jsb->feature_compat & FSF_JCOMPAT_CHECKSUM))
    return FSF_BAD_FIELD;
  if (jsb->csum && jsb->checksum_type != FSF_JCSUM_CRC32C)
    return FSF_BAD_FIELD;
  if (jsb->blocksize < 1024 || jsb->blocksize > 65536
      || !fsf_is_pow2 (jsb->blocksize))
    return FSF_BAD_FIELD;
  if (jsb->first == 0 || jsb->first >= jsb->maxlen)
    return FSF_BAD_FIELD;
  if (jsb->start != 0
      && (jsb->start < jsb->first || jsb->start >= jsb->maxlen))
    return FSF_BAD_FIELD;
  jsb->tag_bytes = fsf_jsb_tag_bytes (jsb);
  if (jsb->csum)
    jsb->csum_seed = fsf_crc32c (~0U, jsb->uuid, 16);
  return 0;
}

int
fsf_jsb_decode (const uint8_t *buf, size_t len, struct fsf_jsb *jsb)
{
  memset (jsb, 0, sizeof *jsb);
  if (len < FSF_JSB_SIZE)
    return FSF_BAD_TRUNCATED;
  if (fsf_be32 (buf) != FSF_JBD2_MAGIC)
    return FSF_BAD_MAGIC;
  decode_fields (buf, jsb);
  return check_sb (jsb);
}

uint32_t
fsf_jsb_csum (const uint8_t *buf)
{
  return fsf_crc32c_hole (~0U, buf, FSF_JSB_SIZE, FSF_JSB_CSUM_OFFSET);
}

bool
fsf_jsb_csum_verify (const uint8_t *buf)
{
  return fsf_be32 (buf + FSF_JSB_CSUM_OFFSET) == fsf_jsb_csum (buf);
}

void
fsf_jsb_csum_set (uint8_t *buf)
{
  fsf_put_be32 (buf + FSF_JSB_CSUM_OFFSET, fsf_jsb_csum (buf));
}

/* e2fsprogs' names (lib/e2p/feature.c, jrnl_feature_list). */
static const struct {
  int type;
  uint32_t bit;
  const char *name;
} jfeatures[] = {
  { 0, FSF_JCOMPAT_CHECKSUM, "journal_checksum" },
  { 1, FSF_JINCOMPAT_REVOKE, "journal_incompat_revoke" },
  { 1, FSF_JINCOMPAT_64BIT, "journal_64bit" },
  { 1, FSF_JINCOMPAT_ASYNC_COMMIT, "journal_async_commit" },
  { 1, FSF_JINCOMPAT_CSUM_V2, "journal_checksum_v2" },
  { 1, FSF_JINCOMPAT_CSUM_V3, "journal_checksum_v3" },
  { 1, FSF_JINCOMPAT_FAST_COMMIT, "journal_fast_commit" },
};

const char *
fsf_jfeature_name (int type, uint32_t bit)
{
  size_t i;

  for (i = 0; i < sizeof jfeatures / sizeof jfeatures[0]; i++)
    if (jfeatures[i].type == type && jfeatures[i].bit == bit)
      return jfeatures[i].name;
  return NULL;
}

int
fsf_jsb_unsupported (const struct fsf_jsb *jsb, char *buf, size_t len)
{
  static const char letter[] = "CIR";
  const uint32_t bad[3] = {
    0,
    jsb->feature_incompat & ~FSF_JINCOMPAT_KNOWN,
    jsb->feature_ro_compat,
  };
  size_t used = 0;
  int type, b, count = 0;

  if (len)
    buf[0] = '\0';
  for (type = 1; type < 3; type++) {
    for (b = 0; b < 32; b++) {
      const char *name;
      char unknown[24];
      int n;

      if (!(bad[type] & 1U << b))
        continue;
      count++;
      name = fsf_jfeature_name (type, 1U << b);
      if (name == NULL) {
        snprintf (unknown, sizeof unknown, "FEATURE_%c%d", letter[type], b);
        name = unknown;
      }
      n = snprintf (used < len ? buf + used : NULL,
                    used < len ? len - used : 0, "%s%s",
                    used ? " " : "", name);
      if (n > 0)
        used += (size_t) n;
    }
  }
  return count;
}

int
fsf_jhdr_decode (const uint8_t *buf, size_t len, struct fsf_jhdr *h)
{
  memset (h, 0, sizeof *h);
  if (len < FSF_JHDR_SIZE)
    return FSF_BAD_TRUNCATED;
  h->magic = fsf_be32 (buf);
  h->blocktype = fsf_be32 (buf + 4);
  h->sequence = fsf_be32 (buf + 8);
  return h->magic == FSF_JBD2_MAGIC ? 0 : FSF_BAD_MAGIC;
}

/* Bytes of a descriptor or revoke block that hold records. */
static size_t
usable (const struct fsf_jsb *jsb)
{
  return jsb->blocksize - (jsb->csum ? FSF_JTAIL_SIZE : 0);
}

int
fsf_jtag_next (const struct fsf_jsb *jsb, const uint8_t *buf, size_t *off,
               struct fsf_jtag *tag)
{
  size_t at = *off ? *off : FSF_JHDR_SIZE;
  const uint8_t *p;

  /* *off == SIZE_MAX: the previous tag was the last. */
  if (*off == SIZE_MAX || at + jsb->tag_bytes > usable (jsb))
    return 0;
  p = buf + at;
  tag->blocknr = fsf_be32 (p);
  tag->flags = fsf_be16 (p + 6);
  if (jsb->feature_incompat & FSF_JINCOMPAT_64BIT)
    tag->blocknr |= (uint64_t) fsf_be32 (p + 8) << 32;
  if (jsb->feature_incompat & FSF_JINCOMPAT_CSUM_V3)
    tag->checksum = fsf_be32 (p + 12);
  else if (jsb->feature_incompat & FSF_JINCOMPAT_CSUM_V2)
    tag->checksum = fsf_be16 (p + 4);
  else
    tag->checksum = 0;
  at += jsb->tag_bytes;
  if (!(tag->flags & FSF_JFLAG_SAME_UUID))
    at += FSF_JUUID_SIZE;
  *off = tag->flags & FSF_JFLAG_LAST_TAG ? SIZE_MAX : at;
  return 1;
}

uint32_t
fsf_jdesc_count_tags (const struct fsf_jsb *jsb, const uint8_t *buf)
{
  struct fsf_jtag tag;
  size_t off = 0;
  uint32_t n = 0;

  while (fsf_jtag_next (jsb, buf, &off, &tag))
    n++;
  return n;
}

uint32_t
fsf_jtail_csum (const struct fsf_jsb *jsb, const uint8_t *buf)
{
  return fsf_crc32c_hole (jsb->csum_seed, buf, jsb->blocksize,
                         jsb->blocksize - FSF_JTAIL_SIZE);
}

bool
fsf_jtail_csum_verify (const struct fsf_jsb *jsb, const uint8_t *buf)
{
  if (!jsb->csum)
    return true;
  return fsf_be32 (buf + jsb->blocksize - FSF_JTAIL_SIZE)
    == fsf_jtail_csum (jsb, buf);
}

void
fsf_jtail_csum_set (const struct fsf_jsb *jsb, uint8_t *buf)
{
  if (jsb->csum)
    fsf_put_be32 (buf + jsb->blocksize - FSF_JTAIL_SIZE,
                  fsf_jtail_csum (jsb, buf));
}

uint32_t
fsf_jcommit_csum (const struct fsf_jsb *jsb, const uint8_t *buf)
{
  return fsf_crc32c_hole (jsb->csum_seed, buf, jsb->blocksize,
                         FSF_JCOMMIT_CSUM_OFFSET);
}

bool
fsf_jcommit_csum_verify (const struct fsf_jsb *jsb, const uint8_t *buf)
{
  if (!jsb->csum)
    return true;
  return fsf_be32 (buf + FSF_JCOMMIT_CSUM_OFFSET)
    == fsf_jcommit_csum (jsb, buf);
}

void
fsf_jcommit_csum_set (const struct fsf_jsb *jsb, uint8_t *buf)
{
  if (jsb->csum)
    fsf_put_be32 (buf + FSF_JCOMMIT_CSUM_OFFSET,
                  fsf_jcommit_csum (jsb, buf));
}

uint32_t
fsf_jtag_csum (const struct fsf_jsb *jsb, uint32_t tid, const uint8_t *data)
{
  uint8_t seq[4];

  fsf_put_be32 (seq, tid);
  return fsf_crc32c (fsf_crc32c (jsb->csum_seed, seq, 4), data,
                     jsb->blocksize);
}

bool
fsf_jtag_csum_verify (const struct fsf_jsb *jsb, uint32_t tid,
                      const struct fsf_jtag *tag, const uint8_t *data)
{
  uint32_t c;

  if (!jsb->csum)
    return true;
  c = fsf_jtag_csum (jsb, tid, data);
  if (jsb->feature_incompat & FSF_JINCOMPAT_CSUM_V3)
    return tag->checksum == c;
  return tag->checksum == (c & 0xffff);
}
