/* Unit tests: the jbd2 journal (fsformat/journal.c) and its in-memory
 * replay (fsformat/replay.c), over journals built here byte by byte, and
 * over real ones made by mke2fs and debugfs, compared with e2fsck.
 */

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "crc.h"
#include "fsf.h"
#include "journal.h"
#include "replay.h"
#include "super.h"
#include "unit.h"

/* --- a synthetic filesystem with a journal in it ------------------------ */

#define BS 1024
#define FS_BLOCKS 256
#define JBASE 100             /* journal block j lives at JBASE + j */
#define JLEN 64               /* s_maxlen */
#define JFIRST 1

struct tj {
  uint8_t img[FS_BLOCKS * BS];
  struct fsf_jsb jsb;         /* for the checksum helpers */
  uint32_t pos;               /* next journal block to write */
  uint32_t tid;               /* transaction being written */
  uint64_t time;              /* commit time of the next commit */
  uint32_t reads;             /* of the source: for the bound tests */
};

static uint8_t *
jblk (struct tj *t, uint32_t j)
{
  return t->img + (size_t) (JBASE + j) * BS;
}

static int
tj_bmap (void *opaque, uint64_t jblock, uint64_t *fsblock)
{
  (void) opaque;
  if (jblock >= JLEN)
    return FSF_BAD_RANGE;
  *fsblock = JBASE + jblock;
  return 0;
}

static int
tj_read (void *opaque, void *buf, size_t len, uint64_t off)
{
  struct tj *t = opaque;

  t->reads++;
  if (off > sizeof t->img || len > sizeof t->img - off)
    return -EIO;
  memcpy (buf, t->img + off, len);
  return 0;
}

static void
tj_source (struct tj *t, struct fsf_source *src)
{
  src->read = tj_read;
  src->opaque = t;
  src->size = sizeof t->img;
}

/* Write the journal superblock: log from start, expecting tid seq. */
static void
tj_init (struct tj *t, uint32_t incompat, uint32_t start, uint32_t seq)
{
  uint8_t *p = jblk (t, 0);
  unsigned i;

  memset (t->img, 0, sizeof t->img);
  for (i = 0; i < FS_BLOCKS; i++)
    memset (t->img + (size_t) i * BS, 0x40 + i % 64, BS);
  memset (t->img + (size_t) JBASE * BS, 0, (size_t) JLEN * BS);
  fsf_put_be32 (p, FSF_JBD2_MAGIC);
  fsf_put_be32 (p + 4, FSF_JBT_SB_V2);
  fsf_put_be32 (p + 0x0c, BS);
  fsf_put_be32 (p + 0x10, JLEN);
  fsf_put_be32 (p + 0x14, JFIRST);
  fsf_put_be32 (p + 0x18, seq);
  fsf_put_be32 (p + 0x1c, start);
  fsf_put_be32 (p + 0x28, incompat);
  for (i = 0; i < 16; i++)
    p[0x30 + i] = (uint8_t) (0xa0 + i);
  fsf_put_be32 (p + 0x40, 1);
  if (incompat & (FSF_JINCOMPAT_CSUM_V2 | FSF_JINCOMPAT_CSUM_V3))
    p[0x50] = FSF_JCSUM_CRC32C;
  fsf_jsb_csum_set (p);
  CU_ASSERT_EQUAL_FATAL (fsf_jsb_decode (p, BS, &t->jsb), 0);
  t->pos = start;
  t->tid = seq;
  t->time = 1000;
  t->reads = 0;
}

static uint32_t
tj_next (struct tj *t)
{
  uint32_t j = t->pos;

  t->pos = t->pos + 1 >= JLEN ? JFIRST : t->pos + 1;
  return j;
}

static void
put_header (uint8_t *p, uint32_t type, uint32_t tid)
{
  fsf_put_be32 (p, FSF_JBD2_MAGIC);
  fsf_put_be32 (p + 4, type);
  fsf_put_be32 (p + 8, tid);
}

/* Log n blocks: fsblock[i] gets data[i] (escaped if it starts with the
 * magic).  Returns the journal block of the descriptor.
 */
static uint32_t
tj_desc (struct tj *t, unsigned n, const uint64_t *fsblock,
         uint8_t (*data)[BS])
{
  uint32_t dj = tj_next (t);
  uint8_t *d = jblk (t, dj);
  size_t off = FSF_JHDR_SIZE;
  unsigned i;

  memset (d, 0, BS);
  put_header (d, FSF_JBT_DESCRIPTOR, t->tid);
  for (i = 0; i < n; i++) {
    uint8_t *tag = d + off, *blk = jblk (t, tj_next (t));
    uint32_t flags = i ? FSF_JFLAG_SAME_UUID : 0;
    uint32_t c;

    memcpy (blk, data[i], BS);
    if (fsf_be32 (blk) == FSF_JBD2_MAGIC) {
      fsf_put_be32 (blk, 0);
      flags |= FSF_JFLAG_ESCAPE;
    }
    if (i == n - 1)
      flags |= FSF_JFLAG_LAST_TAG;
    c = fsf_jtag_csum (&t->jsb, t->tid, blk);
    fsf_put_be32 (tag, (uint32_t) fsblock[i]);
    if (t->jsb.feature_incompat & FSF_JINCOMPAT_CSUM_V3) {
      fsf_put_be32 (tag + 4, flags);
      fsf_put_be32 (tag + 12, c);
    }
    else {
      tag[4] = (uint8_t) (c >> 8);
      tag[5] = (uint8_t) c;
      tag[6] = (uint8_t) (flags >> 8);
      tag[7] = (uint8_t) flags;
    }
    if (t->jsb.feature_incompat & FSF_JINCOMPAT_64BIT)
      fsf_put_be32 (tag + 8, (uint32_t) (fsblock[i] >> 32));
    off += t->jsb.tag_bytes + (i == 0 ? 16 : 0);
  }
  fsf_jtail_csum_set (&t->jsb, d);
  return dj;
}

static uint32_t
tj_revoke (struct tj *t, unsigned n, const uint64_t *fsblock)
{
  uint32_t rj = tj_next (t);
  uint8_t *r = jblk (t, rj);
  bool is64 = t->jsb.feature_incompat & FSF_JINCOMPAT_64BIT;
  size_t off = FSF_JREVOKE_HDR_SIZE;
  unsigned i;

  memset (r, 0, BS);
  put_header (r, FSF_JBT_REVOKE, t->tid);
  for (i = 0; i < n; i++) {
    if (is64) {
      fsf_put_be32 (r + off, (uint32_t) (fsblock[i] >> 32));
      fsf_put_be32 (r + off + 4, (uint32_t) fsblock[i]);
      off += 8;
    }
    else {
      fsf_put_be32 (r + off, (uint32_t) fsblock[i]);
      off += 4;
    }
  }
  fsf_put_be32 (r + 12, (uint32_t) off);
  fsf_jtail_csum_set (&t->jsb, r);
  return rj;
}

static uint32_t
tj_commit (struct tj *t)
{
  uint32_t cj = tj_next (t);
  uint8_t *c = jblk (t, cj);

  memset (c, 0, BS);
  put_header (c, FSF_JBT_COMMIT, t->tid);
  fsf_put_be32 (c + FSF_JCOMMIT_SEC_OFFSET, (uint32_t) (t->time >> 32));
  fsf_put_be32 (c + FSF_JCOMMIT_SEC_OFFSET + 4, (uint32_t) t->time);
  fsf_jcommit_csum_set (&t->jsb, c);
  t->tid++;
  t->time++;
  return cj;
}

static int
tj_replay (struct tj *t, struct fsf_jreplay *jr)
{
  struct fsf_source src;

  tj_source (t, &src);
  return fsf_jreplay_scan (tj_bmap, NULL, &src, BS, jr);
}

static uint8_t blocks[8][BS];

static void
fill_blocks (void)
{
  unsigned i;

  for (i = 0; i < 8; i++)
    memset (blocks[i], 0x10 * (i + 1), BS);
}

/* Does the overlay hold exactly want for fsblock? */
static bool
holds (const struct fsf_jreplay *jr, uint64_t fsblock, const uint8_t *want)
{
  const uint8_t *p = fsf_jreplay_lookup (jr, fsblock);

  return p && memcmp (p, want, BS) == 0;
}

#define V3_64 (FSF_JINCOMPAT_REVOKE | FSF_JINCOMPAT_64BIT      \
               | FSF_JINCOMPAT_CSUM_V3)

/* --- the superblock --------------------------------------------------- */

static void
test_fsformat_jsb__decodes_fields (void)
{
  static struct tj t;
  struct fsf_jsb jsb;

  tj_init (&t, V3_64, 5, 77);
  CU_ASSERT_EQUAL (fsf_jsb_decode (jblk (&t, 0), BS, &jsb), 0);
  CU_ASSERT_EQUAL (jsb.version, 2);
  CU_ASSERT_EQUAL (jsb.blocksize, BS);
  CU_ASSERT_EQUAL (jsb.maxlen, JLEN);
  CU_ASSERT_EQUAL (jsb.first, JFIRST);
  CU_ASSERT_EQUAL (jsb.sequence, 77);
  CU_ASSERT_EQUAL (jsb.start, 5);
  CU_ASSERT_EQUAL (jsb.feature_incompat, V3_64);
  CU_ASSERT_EQUAL (jsb.uuid[15], 0xaf);
  CU_ASSERT_EQUAL (jsb.nr_users, 1);
  CU_ASSERT_TRUE (jsb.csum);
  CU_ASSERT_EQUAL (jsb.tag_bytes, 16);
  CU_ASSERT_TRUE (fsf_jsb_csum_verify (jblk (&t, 0)));
}

static void
test_fsformat_jsb__tag_sizes_follow_the_features (void)
{
  static const struct {
    uint32_t incompat, bytes;
  } rows[] = {
    { 0, 8 },
    { FSF_JINCOMPAT_64BIT, 12 },
    { FSF_JINCOMPAT_CSUM_V2, 10 },
    { FSF_JINCOMPAT_CSUM_V2 | FSF_JINCOMPAT_64BIT, 14 },
    { FSF_JINCOMPAT_CSUM_V3, 16 },
    { FSF_JINCOMPAT_CSUM_V3 | FSF_JINCOMPAT_64BIT, 16 },
  };
  struct fsf_jsb jsb = { 0 };
  size_t i;

  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    jsb.feature_incompat = rows[i].incompat;
    CU_ASSERT_EQUAL (fsf_jsb_tag_bytes (&jsb), rows[i].bytes);
  }
}

static void
test_fsformat_jsb__rejects_bad_superblocks (void)
{
  static struct tj t;
  struct fsf_jsb jsb;
  char names[128];
  uint8_t *p = jblk (&t, 0);

  tj_init (&t, V3_64, 1, 1);
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, FSF_JSB_SIZE - 1, &jsb),
                   FSF_BAD_TRUNCATED);
  p[0] ^= 1;
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, BS, &jsb), FSF_BAD_MAGIC);
  p[0] ^= 1;
  fsf_put_be32 (p + 4, FSF_JBT_DESCRIPTOR);
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, BS, &jsb), FSF_BAD_FIELD);
  fsf_put_be32 (p + 4, FSF_JBT_SB_V2);
  fsf_put_be32 (p + 0x28, V3_64 | 0x80);
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, BS, &jsb), FSF_BAD_UNSUPPORTED);
  CU_ASSERT_EQUAL (fsf_jsb_unsupported (&jsb, names, sizeof names), 1);
  CU_ASSERT_STRING_EQUAL (names, "FEATURE_I7");
  fsf_put_be32 (p + 0x28, V3_64 | FSF_JINCOMPAT_CSUM_V2);
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, BS, &jsb), FSF_BAD_FIELD);
  fsf_put_be32 (p + 0x28, V3_64);
  fsf_put_be32 (p + 0x1c, JLEN);               /* s_start past the end */
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, BS, &jsb), FSF_BAD_FIELD);
  fsf_put_be32 (p + 0x1c, 1);
  fsf_put_be32 (p + 0x0c, 3000);               /* not a power of two */
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, BS, &jsb), FSF_BAD_FIELD);
  fsf_put_be32 (p + 0x0c, BS);
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, BS, &jsb), 0);
  /* The checksum covers every byte but its own. */
  p[0x200] ^= 1;
  CU_ASSERT_FALSE (fsf_jsb_csum_verify (p));
  fsf_jsb_csum_set (p);
  CU_ASSERT_TRUE (fsf_jsb_csum_verify (p));
}

static void
test_fsformat_jsb__v1_ignores_v2_fields (void)
{
  static struct tj t;
  struct fsf_jsb jsb;
  uint8_t *p = jblk (&t, 0);

  tj_init (&t, 0, 1, 1);
  fsf_put_be32 (p + 4, FSF_JBT_SB_V1);
  fsf_put_be32 (p + 0x28, 0xffffffff);
  CU_ASSERT_EQUAL (fsf_jsb_decode (p, BS, &jsb), 0);
  CU_ASSERT_EQUAL (jsb.version, 1);
  CU_ASSERT_EQUAL (jsb.feature_incompat, 0);
  CU_ASSERT_EQUAL (jsb.tag_bytes, 8);
}

/* crc32c known answer: the seed of a journal whose uuid is a0..af, and
 * its superblock's checksum, pinned so a change to either shows.
 */
static void
test_fsformat_jsb__checksum_seed_from_uuid (void)
{
  static struct tj t;

  tj_init (&t, V3_64, 1, 1);
  CU_ASSERT_EQUAL (t.jsb.csum_seed, fsf_crc32c_sw (~0U, t.jsb.uuid, 16));
  CU_ASSERT_EQUAL (t.jsb.csum_seed, 0x23bc5d07U);
  CU_ASSERT_EQUAL (fsf_jsb_csum (jblk (&t, 0)), 0xae63567bU);
}

/* --- replay ----------------------------------------------------------- */

static void
test_fsformat_replay__good_transaction (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t to[2] = { 10, 11 };

  fill_blocks ();
  tj_init (&t, V3_64, 1, 5);
  tj_desc (&t, 2, to, blocks);
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.first_tid, 5);
  CU_ASSERT_EQUAL (jr.end_tid, 6);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_EQUAL (jr.nblocks, 2);
  CU_ASSERT_EQUAL (jr.nr_replays, 2);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_NO_MAGIC);
  CU_ASSERT_TRUE (holds (&jr, 10, blocks[0]));
  CU_ASSERT_TRUE (holds (&jr, 11, blocks[1]));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 12));
  fsf_jreplay_free (&jr);
}

static void
test_fsformat_replay__clean_journal_replays_nothing (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t to[1] = { 10 };

  fill_blocks ();
  tj_init (&t, V3_64, 1, 5);
  tj_desc (&t, 1, to, blocks);
  tj_commit (&t);
  fsf_put_be32 (jblk (&t, 0) + 0x1c, 0);
  fsf_jsb_csum_set (jblk (&t, 0));
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_CLEAN);
  CU_ASSERT_EQUAL (jr.nblocks, 0);
  CU_ASSERT_EQUAL (jr.transactions, 0);
  fsf_jreplay_free (&jr);
}

static void
test_fsformat_replay__escaped_block_gets_its_magic_back (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t to[1] = { 20 };
  uint32_t dj;

  fill_blocks ();
  fsf_put_be32 (blocks[0], FSF_JBD2_MAGIC);
  tj_init (&t, V3_64, 1, 1);
  dj = tj_desc (&t, 1, to, blocks);
  tj_commit (&t);
  /* In the log the magic is gone, so the scan does not take it for a
   * header; replay puts it back.
   */
  CU_ASSERT_EQUAL (fsf_be32 (jblk (&t, dj + 1)), 0);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_TRUE (holds (&jr, 20, blocks[0]));
  fsf_jreplay_free (&jr);
}

static void
test_fsformat_replay__revoke_cancels_older_and_equal_tids (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[2] = { 30, 31 }, b[1] = { 30 }, rv[2] = { 30, 31 };

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  tj_desc (&t, 2, a, blocks);                  /* tid 1: 30, 31 */
  tj_commit (&t);
  tj_desc (&t, 1, a, blocks + 2);              /* tid 2: 30 */
  tj_revoke (&t, 2, rv);                       /* tid 2 revokes 30, 31 */
  tj_commit (&t);
  tj_desc (&t, 1, b, blocks + 3);              /* tid 3: 30 again */
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 3);
  CU_ASSERT_EQUAL (jr.nr_revokes, 2);
  CU_ASSERT_EQUAL (jr.nr_revoke_hits, 3);
  CU_ASSERT_EQUAL (jr.nr_replays, 1);
  CU_ASSERT_TRUE (holds (&jr, 30, blocks[3]));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 31));
  fsf_jreplay_free (&jr);
}

/* 32-bit revoke records and 8-byte tags: no 64bit, no checksums. */
static void
test_fsformat_replay__revoke_32bit_records (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[3] = { 40, 41, 42 }, rv[1] = { 41 };

  fill_blocks ();
  tj_init (&t, FSF_JINCOMPAT_REVOKE, 1, 1);
  tj_desc (&t, 3, a, blocks);
  tj_commit (&t);
  tj_revoke (&t, 1, rv);
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 2);
  CU_ASSERT_TRUE (holds (&jr, 40, blocks[0]));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 41));
  CU_ASSERT_TRUE (holds (&jr, 42, blocks[2]));
  fsf_jreplay_free (&jr);
}

/* csum_v2: 16-bit tag checksums, 10-byte tags. */
static void
test_fsformat_replay__csum_v2_tags (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[3] = { 40, 41, 42 };

  fill_blocks ();
  tj_init (&t, FSF_JINCOMPAT_REVOKE | FSF_JINCOMPAT_CSUM_V2, 1, 1);
  tj_desc (&t, 3, a, blocks);
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.nr_replays, 3);
  CU_ASSERT_EQUAL (jr.nr_bad_tags, 0);
  CU_ASSERT_TRUE (holds (&jr, 42, blocks[2]));
  fsf_jreplay_free (&jr);
}

static void
test_fsformat_replay__wraps_around_to_s_first (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[4] = { 50, 51, 52, 53 };

  fill_blocks ();
  tj_init (&t, V3_64, JLEN - 3, 9);
  tj_desc (&t, 4, a, blocks);                  /* 61 .. 63, 1 .. 2 */
  tj_commit (&t);                              /* at 3 */
  CU_ASSERT_EQUAL (t.pos, JFIRST + 3);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_EQUAL (jr.nr_replays, 4);
  CU_ASSERT_TRUE (holds (&jr, 53, blocks[3]));
  CU_ASSERT_EQUAL (jr.stop_jblock, JFIRST + 3);
  fsf_jreplay_free (&jr);
}

static void
test_fsformat_replay__bad_commit_checksum_stops_replay (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 60 }, b[1] = { 61 };
  uint32_t cj;

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  tj_desc (&t, 1, a, blocks);
  tj_commit (&t);
  tj_desc (&t, 1, b, blocks + 1);
  cj = tj_commit (&t);
  tj_desc (&t, 1, b, blocks + 2);
  tj_commit (&t);
  jblk (&t, cj)[0x40] ^= 1;
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_COMMIT_CSUM);
  CU_ASSERT_EQUAL (jr.end_tid, 2);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_TRUE (holds (&jr, 60, blocks[0]));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 61));
  fsf_jreplay_free (&jr);
}

/* A log that revokes the same block again and again (here 30 revoke
 * blocks of 200 records each) is squeezed while it is read: the records
 * are compacted as they pile up, and the verdicts are the same.
 */
static void
test_fsformat_replay__repeated_revokes_are_compacted (void)
{
  static struct tj t;
  static uint64_t same[200];
  struct fsf_jreplay jr;
  uint64_t a[1] = { 40 }, b[1] = { 41 };
  unsigned i;

  fill_blocks ();
  for (i = 0; i < 200; i++)
    same[i] = 40;
  tj_init (&t, 0, 1, 1);
  tj_desc (&t, 1, a, blocks);           /* tid 1 writes 40 ... */
  for (i = 0; i < 30; i++)
    tj_revoke (&t, 200, same);          /* ... and revokes it, 6000 times */
  tj_commit (&t);
  tj_desc (&t, 1, b, blocks + 1);       /* tid 2 writes 41 */
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 2);
  CU_ASSERT_EQUAL (jr.nr_revokes, 6000); /* records read */
  CU_ASSERT_EQUAL (jr.nr_revoke_hits, 1);
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 40));
  CU_ASSERT_TRUE (holds (&jr, 41, blocks[1]));
  fsf_jreplay_free (&jr);
}

/* compat journal_checksum (v1): write the transaction checksum, a
 * crc32_be over the descriptor dj and the n data blocks after it, into
 * commit block cj.
 */
static void
set_v1_sum (struct tj *t, uint32_t dj, unsigned n, uint32_t cj)
{
  uint8_t *c = jblk (t, cj);
  uint32_t sum = fsf_crc32_be (~0U, jblk (t, dj), BS);
  unsigned i;

  for (i = 0; i < n; i++)
    sum = fsf_crc32_be (sum, jblk (t, dj + 1 + i), BS);
  c[0x0c] = 1;                /* JBD2_CRC32_CHKSUM */
  c[0x0d] = 4;                /* JBD2_CRC32_CHKSUM_SIZE */
  fsf_put_be32 (c + 0x10, sum);
}

static void
v1_journal (struct tj *t, uint32_t *dj2, uint32_t *cj2)
{
  static const uint64_t a[2] = { 40, 41 }, b[1] = { 42 };
  uint32_t dj, cj;

  fill_blocks ();
  tj_init (t, 0, 1, 1);
  fsf_put_be32 (jblk (t, 0) + 0x24, FSF_JCOMPAT_CHECKSUM);
  CU_ASSERT_EQUAL_FATAL (fsf_jsb_decode (jblk (t, 0), BS, &t->jsb), 0);
  dj = tj_desc (t, 2, a, blocks);
  cj = tj_commit (t);
  set_v1_sum (t, dj, 2, cj);
  *dj2 = tj_desc (t, 1, b, blocks + 2);
  *cj2 = tj_commit (t);
  set_v1_sum (t, *dj2, 1, *cj2);
}

static void
test_fsformat_replay__v1_checksums_verify (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint32_t dj2, cj2;

  v1_journal (&t, &dj2, &cj2);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 2);
  CU_ASSERT_TRUE (holds (&jr, 40, blocks[0]));
  CU_ASSERT_TRUE (holds (&jr, 41, blocks[1]));
  CU_ASSERT_TRUE (holds (&jr, 42, blocks[2]));
  fsf_jreplay_free (&jr);

  /* "No checksum" (type, size and value zero) is accepted too. */
  memset (jblk (&t, cj2) + 0x0c, 0, 8);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 2);
  fsf_jreplay_free (&jr);
}

/* A data block that changed after its commit: the v1 sum no longer
 * matches and replay stops before that transaction, as the kernel does.
 */
static void
test_fsformat_replay__v1_bad_data_stops_replay (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint32_t dj2, cj2;

  v1_journal (&t, &dj2, &cj2);
  jblk (&t, dj2 + 1)[100] ^= 1;
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_COMMIT_CSUM);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_TRUE (holds (&jr, 40, blocks[0]));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 42));
  fsf_jreplay_free (&jr);

  /* A sum of the wrong type is a mismatch too. */
  jblk (&t, dj2 + 1)[100] ^= 1;
  jblk (&t, cj2)[0x0c] = 2;   /* md5 */
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  fsf_jreplay_free (&jr);
}

/* async_commit: a bad commit checksum does not end the walk, but replay
 * still stops before that transaction.
 */
static void
test_fsformat_replay__async_commit_bad_checksum (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 60 }, b[1] = { 61 }, c[1] = { 62 };
  uint32_t cj;

  fill_blocks ();
  tj_init (&t, V3_64 | FSF_JINCOMPAT_ASYNC_COMMIT, 1, 1);
  tj_desc (&t, 1, a, blocks);
  tj_commit (&t);
  tj_desc (&t, 1, b, blocks + 1);
  cj = tj_commit (&t);
  tj_desc (&t, 1, c, blocks + 2);
  tj_commit (&t);
  jblk (&t, cj)[0x40] ^= 1;
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_NO_MAGIC);
  CU_ASSERT_EQUAL (jr.end_tid, 2);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_TRUE (holds (&jr, 60, blocks[0]));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 61));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 62));
  fsf_jreplay_free (&jr);
}

/* A commit block failing its checksum with a commit time older than the
 * previous transaction's: a stale block, the log ends quietly.
 */
static void
test_fsformat_replay__stale_bad_commit_ends_quietly (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 60 }, b[1] = { 61 };
  uint32_t cj;

  fill_blocks ();
  tj_init (&t, V3_64 | FSF_JINCOMPAT_ASYNC_COMMIT, 1, 1);
  tj_desc (&t, 1, a, blocks);
  tj_commit (&t);
  tj_desc (&t, 1, b, blocks + 1);
  t.time = 5;
  cj = tj_commit (&t);
  jblk (&t, cj)[0x40] ^= 1;
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_STALE);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 61));
  fsf_jreplay_free (&jr);
}

static void
test_fsformat_replay__uncommitted_tail_is_ignored (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 60 }, b[2] = { 60, 61 };

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  tj_desc (&t, 1, a, blocks);
  tj_commit (&t);
  tj_desc (&t, 2, b, blocks + 1);              /* no commit block */
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_EQUAL (jr.nblocks, 1);
  CU_ASSERT_TRUE (holds (&jr, 60, blocks[0]));
  fsf_jreplay_free (&jr);
}

/* A commit block of an older tid (a stale log from before) ends it. */
static void
test_fsformat_replay__stale_sequence_ends_the_log (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 60 };

  fill_blocks ();
  tj_init (&t, V3_64, 1, 7);
  tj_desc (&t, 1, a, blocks);
  tj_commit (&t);
  t.tid = 3;                                   /* an old transaction */
  tj_desc (&t, 1, a, blocks + 1);
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_SEQUENCE);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_TRUE (holds (&jr, 60, blocks[0]));
  fsf_jreplay_free (&jr);
}

/* A data block that fails its tag checksum is skipped; the version of an
 * earlier transaction stays.
 */
static void
test_fsformat_replay__bad_tag_checksum_skips_the_block (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 70 };
  uint32_t dj;

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  tj_desc (&t, 1, a, blocks);
  tj_commit (&t);
  dj = tj_desc (&t, 1, a, blocks + 1);
  tj_commit (&t);
  jblk (&t, dj + 1)[100] ^= 1;
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 2);
  CU_ASSERT_EQUAL (jr.nr_bad_tags, 1);
  CU_ASSERT_TRUE (holds (&jr, 70, blocks[0]));
  fsf_jreplay_free (&jr);
}

/* A descriptor failing its tail checksum, then a commit block newer than
 * the last: the journal is corrupt and cannot be recovered.  Older: a
 * stale block, the log ends before it.
 */
static void
test_fsformat_replay__bad_descriptor_checksum (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 70 };
  uint32_t dj, cj;

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  tj_desc (&t, 1, a, blocks);
  tj_commit (&t);
  dj = tj_desc (&t, 1, a, blocks + 1);
  cj = tj_commit (&t);
  jblk (&t, dj)[BS - 100] ^= 1;
  CU_ASSERT_EQUAL (tj_replay (&t, &jr), FSF_BAD_CSUM);
  CU_ASSERT_PTR_NULL (jr.data);

  t.time = 10;                                 /* older than 1000 */
  t.tid--;
  t.pos = cj;
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_STALE);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_TRUE (holds (&jr, 70, blocks[0]));
  fsf_jreplay_free (&jr);
}

static void
test_fsformat_replay__garbage_block_types_end_the_log (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 70 };
  uint32_t j;

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  tj_desc (&t, 1, a, blocks);
  tj_commit (&t);
  j = tj_next (&t);
  put_header (jblk (&t, j), 99, t.tid);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_BLOCKTYPE);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  fsf_jreplay_free (&jr);
}

/* A descriptor of random bytes: tags end where the block does. */
static void
test_fsformat_replay__garbage_descriptor_is_bounded (void)
{
  static struct tj t;
  struct fsf_jsb jsb;
  uint8_t *d;
  unsigned i;

  tj_init (&t, FSF_JINCOMPAT_REVOKE, 1, 1);
  jsb = t.jsb;
  d = jblk (&t, 1);
  srand (1);
  for (i = 0; i < BS; i++)
    d[i] = (uint8_t) rand ();
  CU_ASSERT (fsf_jdesc_count_tags (&jsb, d) <= (BS - 12) / 8);
  /* Every tag SAME_UUID, none LAST: as many as fit. */
  for (i = 12; i + 8 <= BS; i += 8) {
    d[i + 6] = 0;
    d[i + 7] = FSF_JFLAG_SAME_UUID;
  }
  CU_ASSERT_EQUAL (fsf_jdesc_count_tags (&jsb, d), (BS - 12) / 8);
}

/* A log of descriptors of one tid that never commits and goes round the
 * whole ring: the walk stops after one turn.
 */
static void
test_fsformat_replay__endless_log_is_bounded (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[1] = { 70 };
  unsigned i;

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  /* Every block a descriptor whose one tag's data is the next one. */
  for (i = JFIRST; i < JLEN; i++) {
    t.pos = i;
    tj_desc (&t, 1, a, blocks);
  }
  /* The last one's data went to JFIRST: all descriptors are alike. */
  memcpy (jblk (&t, JFIRST), jblk (&t, JFIRST + 1), BS);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_BOUND);
  CU_ASSERT_EQUAL (jr.transactions, 0);
  CU_ASSERT_EQUAL (jr.nblocks, 0);
  CU_ASSERT (t.reads <= JLEN + 2);
  fsf_jreplay_free (&jr);
}

/* r_count past the block in a committed transaction: the kernel's
 * -EINVAL, recovery fails.  In the uncommitted tail it does not matter.
 */
static void
test_fsformat_replay__huge_revoke_count (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t rv[1] = { 30 };
  uint32_t rj;

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  rj = tj_revoke (&t, 1, rv);
  fsf_put_be32 (jblk (&t, rj) + 12, 0xffffffff);
  fsf_jtail_csum_set (&t.jsb, jblk (&t, rj));
  tj_commit (&t);
  CU_ASSERT_EQUAL (tj_replay (&t, &jr), FSF_BAD_FIELD);

  /* The same revoke block, never committed. */
  memset (jblk (&t, rj + 1), 0, BS);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.transactions, 0);
  fsf_jreplay_free (&jr);
}

static void
test_fsformat_replay__bad_superblock_checksum_refuses (void)
{
  static struct tj t;
  struct fsf_jreplay jr;

  tj_init (&t, V3_64, 1, 1);
  jblk (&t, 0)[0x300] ^= 1;
  CU_ASSERT_EQUAL (tj_replay (&t, &jr), FSF_BAD_CSUM);
}

/* Tags naming blocks past the filesystem are not replayed. */
static void
test_fsformat_replay__out_of_range_tag (void)
{
  static struct tj t;
  struct fsf_jreplay jr;
  uint64_t a[2] = { (uint64_t) 1 << 40, 12 };

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  tj_desc (&t, 2, a, blocks);
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  CU_ASSERT_EQUAL (jr.nr_out_of_range, 1);
  CU_ASSERT_EQUAL (jr.nblocks, 1);
  CU_ASSERT_TRUE (holds (&jr, 12, blocks[1]));
  fsf_jreplay_free (&jr);
}

/* Random logs whose blocks mostly look like journal blocks of nearby
 * tids: recovery ends with 0 or a fsf_bad, never a crash (ASan watches),
 * and reads a bounded number of blocks.
 */
static void
test_fsformat_replay__random_logs_are_survived (void)
{
  static const uint32_t features[] = {
    V3_64, FSF_JINCOMPAT_REVOKE, FSF_JINCOMPAT_REVOKE | FSF_JINCOMPAT_64BIT,
    FSF_JINCOMPAT_CSUM_V2, V3_64 | FSF_JINCOMPAT_ASYNC_COMMIT,
  };
  static struct tj t;
  struct fsf_jreplay jr;
  unsigned round, j, i;

  srand (42);
  for (round = 0; round < 300; round++) {
    int r;

    tj_init (&t, features[round % 5], 1 + rand () % (JLEN - 1), 100);
    for (j = 1; j < JLEN; j++) {
      uint8_t *b = jblk (&t, j);

      for (i = 0; i < BS; i++)
        b[i] = (uint8_t) (rand () % 4 ? rand () % 16 : rand ());
      if (rand () % 4 == 0)
        continue;
      put_header (b, 1 + rand () % 6, 100 + rand () % 4);
      if (rand () % 2)
        fsf_put_be32 (b + 12, rand () % 64);          /* r_count */
      if (rand () % 2)
        fsf_jtail_csum_set (&t.jsb, b);
      if (fsf_be32 (b + 4) == FSF_JBT_COMMIT && rand () % 2)
        fsf_jcommit_csum_set (&t.jsb, b);
    }
    r = tj_replay (&t, &jr);
    CU_ASSERT (r >= 0);
    CU_ASSERT (t.reads <= 3 * JLEN);
    if (r == 0) {
      CU_ASSERT (jr.nblocks <= JLEN);
      CU_ASSERT (jr.blocks_walked <= JLEN);
      fsf_jreplay_free (&jr);
    }
  }
}

/* --- the overlay source ------------------------------------------------ */

static void
test_fsformat_replay__source_combines_overlay_and_base (void)
{
  static struct tj t;
  static uint8_t got[4 * BS], want[4 * BS];
  struct fsf_jreplay jr;
  struct fsf_source base, view_src;
  struct fsf_replay_view view;
  uint64_t a[2] = { 11, 13 };

  fill_blocks ();
  tj_init (&t, V3_64, 1, 1);
  tj_desc (&t, 2, a, blocks);
  tj_commit (&t);
  CU_ASSERT_EQUAL_FATAL (tj_replay (&t, &jr), 0);
  tj_source (&t, &base);
  view.base = &base;
  view.jr = &jr;
  fsf_source_replay (&view_src, &view);
  CU_ASSERT_EQUAL (view_src.size, base.size);

  /* Blocks 10..13, starting mid-block 10, ending mid-block 13. */
  memcpy (want, t.img + 10 * BS, 4 * BS);
  memcpy (want + BS, blocks[0], BS);
  memcpy (want + 3 * BS, blocks[1], BS);
  CU_ASSERT_EQUAL (fsf_read (&view_src, got, 3 * BS, 10 * BS + 100), 0);
  CU_ASSERT_EQUAL (memcmp (got, want + 100, 3 * BS), 0);
  CU_ASSERT_EQUAL (fsf_read (&view_src, got, 10, 11 * BS + 5), 0);
  CU_ASSERT_EQUAL (memcmp (got, blocks[0] + 5, 10), 0);
  CU_ASSERT_EQUAL (fsf_read (&view_src, got, 10, 12 * BS + 5), 0);
  CU_ASSERT_EQUAL (memcmp (got, t.img + 12 * BS + 5, 10), 0);
  CU_ASSERT_EQUAL (fsf_read (&view_src, got, BS, base.size - 10), -EIO);
  /* Nothing was written. */
  CU_ASSERT_EQUAL (memcmp (t.img + 11 * BS, blocks[0], BS) == 0, 0);
  fsf_jreplay_free (&jr);
}

/* --- real journals: debugfs writes, e2fsck recovers, we compare ------- */

struct real {
  char dir[64];
  char img[96], copy[96], data[96];
  uint64_t *jmap;             /* journal block -> fs block */
  size_t jlen;
  uint32_t bs;
};

static bool
have_tools (void)
{
  return system ("{ command -v mke2fs && command -v debugfs"
                 " && command -v e2fsck; } >/dev/null 2>&1") == 0;
}

static int
run (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static int
run (const char *fmt, ...)
{
  char cmd[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (cmd, sizeof cmd, fmt, ap);
  va_end (ap);
  return system (cmd);
}

static int
real_bmap (void *opaque, uint64_t jblock, uint64_t *fsblock)
{
  const struct real *r = opaque;

  if (jblock >= r->jlen)
    return FSF_BAD_RANGE;
  *fsblock = r->jmap[jblock];
  return 0;
}

/* A fresh 64 MiB ext4 image (made with mkfs_opts) and 16 KiB of random
 * data, in a new directory.  Returns false (and the test passes as
 * skipped) without the tools.
 */
static bool
real_setup (struct real *r, const char *mkfs_opts)
{
  memset (r, 0, sizeof *r);
  if (!have_tools ()) {
    fprintf (stderr, "SKIP: mke2fs, debugfs or e2fsck missing\n");
    return false;
  }
  strcpy (r->dir, "/tmp/fsf-journal.XXXXXX");
  CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (r->dir));
  snprintf (r->img, sizeof r->img, "%s/img", r->dir);
  snprintf (r->copy, sizeof r->copy, "%s/copy", r->dir);
  snprintf (r->data, sizeof r->data, "%s/data", r->dir);
  CU_ASSERT_EQUAL_FATAL (run ("mke2fs -q -F -t ext4 %s %s 64M "
                              ">/dev/null 2>&1", mkfs_opts, r->img), 0);
  CU_ASSERT_EQUAL_FATAL (run ("head -c 16384 /dev/urandom > %s", r->data),
                         0);
  return true;
}

/* Run debugfs commands on the image, then read the journal inode's
 * block list and the filesystem block size.
 */
static void
real_journal (struct real *r, const char *cmds)
{
  char cmd[1200], sb[1024];
  struct fsf_sb fsb;
  size_t cap = 0;
  unsigned long long b;
  FILE *fp;
  int fd;

  CU_ASSERT_EQUAL_FATAL (run ("printf '%s' | debugfs -w -f - %s "
                              ">/dev/null 2>&1", cmds, r->img), 0);
  snprintf (cmd, sizeof cmd, "debugfs -R 'blocks <8>' %s 2>/dev/null",
            r->img);
  fp = popen (cmd, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL (fp);
  while (fscanf (fp, "%llu", &b) == 1) {
    if (r->jlen == cap) {
      cap = cap ? cap * 2 : 1024;
      r->jmap = realloc (r->jmap, cap * sizeof *r->jmap);
      CU_ASSERT_PTR_NOT_NULL_FATAL (r->jmap);
    }
    r->jmap[r->jlen++] = b;
  }
  pclose (fp);
  CU_ASSERT_FATAL (r->jlen >= 1024);
  fd = open (r->img, O_RDONLY);
  CU_ASSERT_FATAL (fd >= 0);
  CU_ASSERT_EQUAL_FATAL (pread (fd, sb, sizeof sb, 1024), 1024);
  close (fd);
  CU_ASSERT_EQUAL_FATAL (fsf_sb_decode ((uint8_t *) sb, sizeof sb, &fsb),
                         0);
  r->bs = fsb.block_size;
}

static uint8_t *
slurp (const char *path, size_t *size)
{
  struct stat st;
  uint8_t *p;
  int fd = open (path, O_RDONLY);

  CU_ASSERT_FATAL (fd >= 0);
  CU_ASSERT_FATAL (fstat (fd, &st) == 0);
  p = malloc (st.st_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  CU_ASSERT_EQUAL_FATAL (pread (fd, p, st.st_size, 0), st.st_size);
  close (fd);
  *size = st.st_size;
  return p;
}

/* Bytes e2fsck rewrites after recovery and we do not: the superblock's
 * s_wtime (when the second turned since debugfs wrote it), s_state
 * (e2fsck marks errors when the journal was corrupt), the needs_recovery
 * bit, s_kbytes_written and checksum; the journal superblock's
 * s_sequence, s_start and checksum.
 */
static bool
masked (const struct real *r, uint64_t off)
{
  static const struct {
    unsigned at, len;
  } fs_sb[] = { { 0x30, 4 }, { 0x3a, 2 }, { 0x60, 4 }, { 0x178, 8 },
                { 0x274, 1 }, { 0x3fc, 4 } },
    j_sb[] = { { 0x18, 8 }, { 0xfc, 4 } };
  uint64_t jsb = r->jmap[0] * r->bs;
  size_t i;

  for (i = 0; i < sizeof fs_sb / sizeof fs_sb[0]; i++)
    if (off >= 1024 + fs_sb[i].at && off < 1024 + fs_sb[i].at + fs_sb[i].len)
      return true;
  for (i = 0; i < sizeof j_sb / sizeof j_sb[0]; i++)
    if (off >= jsb + j_sb[i].at && off < jsb + j_sb[i].at + j_sb[i].len)
      return true;
  return false;
}

/* Replay the image in memory; recover a copy with e2fsck; compare every
 * block of the view with the copy.  The raw image must be untouched and
 * differ from the copy.  Returns the replay (for the caller's checks).
 */
static void
real_compare (struct real *r, struct fsf_jreplay *jr)
{
  struct fsf_source base, view_src;
  struct fsf_replay_view view;
  uint8_t *img, *copy, *blk;
  size_t size, csize, b, nblocks, diff_raw = 0, diff_view = 0;
  uint64_t i;
  int fd;

  CU_ASSERT_EQUAL_FATAL (run ("cp %s %s && e2fsck -y -E journal_only %s "
                              ">/dev/null 2>&1; [ $? -le 1 ]",
                              r->img, r->copy, r->copy), 0);
  img = slurp (r->img, &size);
  copy = slurp (r->copy, &csize);
  CU_ASSERT_EQUAL_FATAL (size, csize);
  fd = open (r->img, O_RDONLY);
  CU_ASSERT_FATAL (fd >= 0);
  fsf_source_fd (&base, &fd, size);
  CU_ASSERT_EQUAL_FATAL (fsf_jreplay_scan (real_bmap, r, &base, r->bs, jr),
                         0);
  view.base = &base;
  view.jr = jr;
  fsf_source_replay (&view_src, &view);
  blk = malloc (r->bs);
  CU_ASSERT_PTR_NOT_NULL_FATAL (blk);
  nblocks = size / r->bs;
  for (b = 0; b < nblocks; b++) {
    CU_ASSERT_EQUAL_FATAL (fsf_read (&view_src, blk, r->bs, b * r->bs), 0);
    for (i = 0; i < r->bs; i++) {
      uint64_t off = b * r->bs + i;

      if (masked (r, off))
        continue;
      if (blk[i] != copy[off] && diff_view++ == 0)
        fprintf (stderr, "first difference at byte %" PRIu64 "\n", off);
      diff_raw += img[off] != copy[off];
    }
  }
  if (diff_view)
    fprintf (stderr, "replayed view differs from e2fsck in %zu bytes\n",
             diff_view);
  CU_ASSERT_EQUAL (diff_view, 0);
  CU_ASSERT_NOT_EQUAL (diff_raw, 0);
  /* Nothing written: the image still needs recovery. */
  CU_ASSERT_EQUAL (run ("dumpe2fs -h %s 2>/dev/null | grep -q "
                        "needs_recovery", r->img), 0);
  free (blk);
  free (img);
  free (copy);
  close (fd);
}

/* Count the lines of debugfs's "logdump -a" that contain what. */
static long
logdump_count (const struct real *r, const char *what)
{
  char cmd[512], line[512];
  long n = 0;
  FILE *fp;

  snprintf (cmd, sizeof cmd, "debugfs -R 'logdump -a' %s 2>/dev/null",
            r->img);
  fp = popen (cmd, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL (fp);
  while (fgets (line, sizeof line, fp))
    n += strstr (line, what) != NULL;
  pclose (fp);
  return n;
}

/* What logdump saw in a log whose transactions all committed: every tag
 * is replayed, revoked, or skipped; every revoke record counted.
 */
static void
check_logdump (const struct real *r, const struct fsf_jreplay *jr)
{
  long tags = logdump_count (r, "logged at journal block");

  CU_ASSERT_EQUAL (logdump_count (r, "(commit block)"), jr->transactions);
  CU_ASSERT_EQUAL (tags, (long) (jr->nr_replays + jr->nr_revoke_hits
                                 + jr->nr_bad_tags + jr->nr_out_of_range));
  CU_ASSERT_EQUAL (logdump_count (r, "Revoke FS block"),
                   (long) jr->nr_revokes);
}

static void
real_teardown (struct real *r)
{
  run ("rm -rf %s", r->dir);
  free (r->jmap);
}

/* Three transactions, one a revoke, without journal checksums. */
static void
test_fsformat_replay__real_journal_matches_e2fsck (void)
{
  struct real r;
  struct fsf_jreplay jr;
  char cmds[512];

  if (!real_setup (&r, ""))
    return;
  snprintf (cmds, sizeof cmds,
            "jo\\njw -b 3000,3001 %s\\njw -r 3001\\njw -b 4000 %s\\njc\\n",
            r.data, r.data);
  real_journal (&r, cmds);
  real_compare (&r, &jr);
  CU_ASSERT_EQUAL (jr.transactions, 3);
  CU_ASSERT_EQUAL (jr.nr_revokes, 1);
  CU_ASSERT_EQUAL (jr.nr_revoke_hits, 1);
  CU_ASSERT_EQUAL (jr.nblocks, 2);
  CU_ASSERT_PTR_NOT_NULL (fsf_jreplay_lookup (&jr, 3000));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 3001));
  check_logdump (&r, &jr);
  fsf_jreplay_free (&jr);
  real_teardown (&r);
}

/* Without 64bit: 8-byte tags and 32-bit revoke records. */
static void
test_fsformat_replay__real_32bit_journal_matches_e2fsck (void)
{
  struct real r;
  struct fsf_jreplay jr;
  char cmds[512];

  if (!real_setup (&r, "-O ^64bit"))
    return;
  snprintf (cmds, sizeof cmds,
            "jo\\njw -b 3000,3001,3002 %s\\njw -r 3000,3002\\n"
            "jw -b 3002 %s\\njc\\n", r.data, r.data);
  real_journal (&r, cmds);
  real_compare (&r, &jr);
  CU_ASSERT_FALSE (jr.jsb.feature_incompat & FSF_JINCOMPAT_64BIT);
  CU_ASSERT_EQUAL (jr.jsb.tag_bytes, 8);
  CU_ASSERT_EQUAL (jr.transactions, 3);
  CU_ASSERT_EQUAL (jr.nr_revokes, 2);
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 3000));
  CU_ASSERT_PTR_NOT_NULL (fsf_jreplay_lookup (&jr, 3001));
  CU_ASSERT_PTR_NOT_NULL (fsf_jreplay_lookup (&jr, 3002));
  check_logdump (&r, &jr);
  fsf_jreplay_free (&jr);
  real_teardown (&r);
}

/* The same with csum_v3 (debugfs "jo -c"), and a block rewritten by a
 * later transaction: the last committed version wins.
 */
static void
test_fsformat_replay__real_csum_v3_journal_matches_e2fsck (void)
{
  struct real r;
  struct fsf_jreplay jr;
  char cmds[512];
  const uint8_t *p;
  uint8_t *data;
  size_t size;

  if (!real_setup (&r, ""))
    return;
  snprintf (cmds, sizeof cmds,
            "jo -c\\njw -b 3000,3001,3002 %s\\njw -r 3001\\n"
            "jw -b 3002,3005 %s\\njc\\n", r.data, r.data);
  real_journal (&r, cmds);
  real_compare (&r, &jr);
  /* 3002 got the file's third block, then its first: the first stays. */
  data = slurp (r.data, &size);
  p = fsf_jreplay_lookup (&jr, 3002);
  CU_ASSERT_FATAL (p != NULL && size >= 3 * r.bs);
  CU_ASSERT_EQUAL (memcmp (p, data, r.bs), 0);
  CU_ASSERT_NOT_EQUAL (memcmp (p, data + 2 * r.bs, r.bs), 0);
  free (data);
  CU_ASSERT_TRUE (jr.jsb.feature_incompat & FSF_JINCOMPAT_CSUM_V3);
  CU_ASSERT_EQUAL (jr.transactions, 3);
  CU_ASSERT_EQUAL (jr.nblocks, 3);
  CU_ASSERT_EQUAL (jr.nr_bad_tags, 0);
  check_logdump (&r, &jr);
  fsf_jreplay_free (&jr);
  real_teardown (&r);
}

/* A flipped byte in the second commit block: replay stops before that
 * transaction, and e2fsck agrees.
 */
static void
test_fsformat_replay__real_bad_commit_matches_e2fsck (void)
{
  struct real r;
  struct fsf_jreplay jr, before;
  struct fsf_source base;
  char cmds[512];
  int fd;

  if (!real_setup (&r, ""))
    return;
  snprintf (cmds, sizeof cmds,
            "jo -c\\njw -b 3000 %s\\njw -b 3001 %s\\njw -b 3002 %s\\njc\\n",
            r.data, r.data, r.data);
  real_journal (&r, cmds);

  /* Find the second commit block and flip a byte of its padding. */
  fd = open (r.img, O_RDWR);
  CU_ASSERT_FATAL (fd >= 0);
  fsf_source_fd (&base, &fd, (uint64_t) 64 << 20);
  CU_ASSERT_EQUAL_FATAL (fsf_jreplay_scan (real_bmap, &r, &base, r.bs,
                                           &before), 0);
  CU_ASSERT_EQUAL (before.transactions, 3);
  fsf_jreplay_free (&before);
  {
    /* Log: desc, data, commit (tid 1), desc, data, commit (tid 2) ... */
    uint64_t off = r.jmap[1 + 5] * r.bs + 0x100;
    uint8_t hdr[12], c;

    CU_ASSERT_EQUAL_FATAL (pread (fd, hdr, 12, r.jmap[1 + 5] * r.bs), 12);
    CU_ASSERT_EQUAL_FATAL (fsf_be32 (hdr + 4), FSF_JBT_COMMIT);
    CU_ASSERT_EQUAL_FATAL (pread (fd, &c, 1, off), 1);
    c ^= 0x55;
    CU_ASSERT_EQUAL_FATAL (pwrite (fd, &c, 1, off), 1);
  }
  close (fd);

  real_compare (&r, &jr);
  CU_ASSERT_EQUAL (jr.stop, FSF_JSTOP_COMMIT_CSUM);
  CU_ASSERT_EQUAL (jr.transactions, 1);
  CU_ASSERT_PTR_NOT_NULL (fsf_jreplay_lookup (&jr, 3000));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 3001));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 3002));
  fsf_jreplay_free (&jr);
  real_teardown (&r);
}

/* debugfs never wraps its log, so rotate it: move the log blocks so that
 * it starts 4 blocks before the end of the journal and wraps to s_first.
 * e2fsck must then wrap too, and agree with us.
 */
static void
test_fsformat_replay__real_wrapped_journal_matches_e2fsck (void)
{
  struct real r;
  struct fsf_jreplay jr;
  char cmds[512];
  uint8_t *log, jsbuf[FSF_JSB_SIZE];
  struct fsf_jsb jsb;
  uint32_t n = 12, j, start;
  int fd;

  if (!real_setup (&r, ""))
    return;
  snprintf (cmds, sizeof cmds,
            "jo -c\\njw -b 3000,3001 %s\\njw -r 3001\\njw -b 3003 %s\\n"
            "jc\\n", r.data, r.data);
  real_journal (&r, cmds);
  fd = open (r.img, O_RDWR);
  CU_ASSERT_FATAL (fd >= 0);
  CU_ASSERT_EQUAL_FATAL (pread (fd, jsbuf, sizeof jsbuf, r.jmap[0] * r.bs),
                         FSF_JSB_SIZE);
  CU_ASSERT_EQUAL_FATAL (fsf_jsb_decode (jsbuf, sizeof jsbuf, &jsb), 0);
  CU_ASSERT_EQUAL_FATAL (jsb.start, jsb.first);
  CU_ASSERT_FATAL (jsb.maxlen <= r.jlen);
  log = malloc ((size_t) n * r.bs);
  CU_ASSERT_PTR_NOT_NULL_FATAL (log);
  for (j = 0; j < n; j++)
    CU_ASSERT_EQUAL_FATAL (pread (fd, log + (size_t) j * r.bs, r.bs,
                                  r.jmap[jsb.first + j] * r.bs),
                           (ssize_t) r.bs);
  start = jsb.maxlen - 4;
  for (j = 0; j < n; j++) {
    uint32_t to = start + j;

    if (to >= jsb.maxlen)
      to -= jsb.maxlen - jsb.first;
    CU_ASSERT_EQUAL_FATAL (pwrite (fd, log + (size_t) j * r.bs, r.bs,
                                   r.jmap[to] * r.bs), (ssize_t) r.bs);
  }
  fsf_put_be32 (jsbuf + 0x1c, start);
  fsf_jsb_csum_set (jsbuf);
  CU_ASSERT_EQUAL_FATAL (pwrite (fd, jsbuf, sizeof jsbuf, r.jmap[0] * r.bs),
                         FSF_JSB_SIZE);
  close (fd);
  free (log);

  real_compare (&r, &jr);
  CU_ASSERT_EQUAL (jr.jsb.start, start);
  CU_ASSERT_EQUAL (jr.transactions, 3);
  CU_ASSERT (jr.stop_jblock < start);          /* it wrapped */
  CU_ASSERT_PTR_NOT_NULL (fsf_jreplay_lookup (&jr, 3000));
  CU_ASSERT_PTR_NULL (fsf_jreplay_lookup (&jr, 3001));
  CU_ASSERT_PTR_NOT_NULL (fsf_jreplay_lookup (&jr, 3003));
  fsf_jreplay_free (&jr);
  real_teardown (&r);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_fsformat_jsb__decodes_fields),
  UNIT_TEST (test_fsformat_jsb__tag_sizes_follow_the_features),
  UNIT_TEST (test_fsformat_jsb__rejects_bad_superblocks),
  UNIT_TEST (test_fsformat_jsb__v1_ignores_v2_fields),
  UNIT_TEST (test_fsformat_jsb__checksum_seed_from_uuid),
  UNIT_TEST (test_fsformat_replay__good_transaction),
  UNIT_TEST (test_fsformat_replay__clean_journal_replays_nothing),
  UNIT_TEST (test_fsformat_replay__escaped_block_gets_its_magic_back),
  UNIT_TEST (test_fsformat_replay__revoke_cancels_older_and_equal_tids),
  UNIT_TEST (test_fsformat_replay__revoke_32bit_records),
  UNIT_TEST (test_fsformat_replay__csum_v2_tags),
  UNIT_TEST (test_fsformat_replay__wraps_around_to_s_first),
  UNIT_TEST (test_fsformat_replay__bad_commit_checksum_stops_replay),
  UNIT_TEST (test_fsformat_replay__repeated_revokes_are_compacted),
  UNIT_TEST (test_fsformat_replay__v1_checksums_verify),
  UNIT_TEST (test_fsformat_replay__v1_bad_data_stops_replay),
  UNIT_TEST (test_fsformat_replay__async_commit_bad_checksum),
  UNIT_TEST (test_fsformat_replay__stale_bad_commit_ends_quietly),
  UNIT_TEST (test_fsformat_replay__uncommitted_tail_is_ignored),
  UNIT_TEST (test_fsformat_replay__stale_sequence_ends_the_log),
  UNIT_TEST (test_fsformat_replay__bad_tag_checksum_skips_the_block),
  UNIT_TEST (test_fsformat_replay__bad_descriptor_checksum),
  UNIT_TEST (test_fsformat_replay__garbage_block_types_end_the_log),
  UNIT_TEST (test_fsformat_replay__garbage_descriptor_is_bounded),
  UNIT_TEST (test_fsformat_replay__endless_log_is_bounded),
  UNIT_TEST (test_fsformat_replay__huge_revoke_count),
  UNIT_TEST (test_fsformat_replay__bad_superblock_checksum_refuses),
  UNIT_TEST (test_fsformat_replay__random_logs_are_survived),
  UNIT_TEST (test_fsformat_replay__out_of_range_tag),
  UNIT_TEST (test_fsformat_replay__source_combines_overlay_and_base),
  UNIT_TEST (test_fsformat_replay__real_journal_matches_e2fsck),
  UNIT_TEST (test_fsformat_replay__real_32bit_journal_matches_e2fsck),
  UNIT_TEST (test_fsformat_replay__real_csum_v3_journal_matches_e2fsck),
  UNIT_TEST (test_fsformat_replay__real_bad_commit_matches_e2fsck),
  UNIT_TEST (test_fsformat_replay__real_wrapped_journal_matches_e2fsck),
};

UNIT_MAIN ("fsformat/journal", tests)
