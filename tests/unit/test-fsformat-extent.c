/* Unit tests: extent trees (fsformat/extent.c). */

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "extent.h"
#include "fsf-image.h"
#include "inode.h"
#include "unit.h"

/* --- a synthetic filesystem in memory --------------------------------- */

#define BS 1024
#define NBLOCKS 256
#define INO 12
#define GEN 0x600d

static uint8_t disk[NBLOCKS * BS];
static struct fsf_image_mem mem;
static struct fsf_sb sb;
static uint8_t root[FSF_EXTENT_ROOT_SIZE];

static void
reset (void)
{
  memset (disk, 0, sizeof disk);
  memset (root, 0, sizeof root);
  fsf_image_mem_over (&mem, disk, sizeof disk);
  memset (&sb, 0, sizeof sb);
  sb.block_size = BS;
  sb.blocks_count = NBLOCKS;
  sb.first_data_block = 1;
  sb.inode_size = 256;
  sb.feature_ro_compat = FSF_RO_COMPAT_METADATA_CSUM;
  sb.feature_incompat = FSF_INCOMPAT_EXTENTS;
  sb.csum_seed = 0xc0ffee;
}

static uint8_t *
blk (uint64_t b)
{
  return disk + b * BS;
}

static void
put_header (uint8_t *p, uint16_t entries, uint16_t max, uint16_t depth)
{
  fsf_put_le16 (p + 0, FSF_EXTENT_MAGIC);
  fsf_put_le16 (p + 2, entries);
  fsf_put_le16 (p + 4, max);
  fsf_put_le16 (p + 6, depth);
  fsf_put_le32 (p + 8, 0);
}

static void
put_extent (uint8_t *p, int i, uint32_t lblk, uint16_t len, uint64_t start)
{
  uint8_t *e = p + 12 + 12 * i;

  fsf_put_le32 (e + 0, lblk);
  fsf_put_le16 (e + 4, len);
  fsf_put_le16 (e + 6, (uint16_t) (start >> 32));
  fsf_put_le32 (e + 8, (uint32_t) start);
}

static void
put_index (uint8_t *p, int i, uint32_t lblk, uint64_t leaf)
{
  uint8_t *e = p + 12 + 12 * i;

  fsf_put_le32 (e + 0, lblk);
  fsf_put_le32 (e + 4, (uint32_t) leaf);
  fsf_put_le16 (e + 8, (uint16_t) (leaf >> 32));
  fsf_put_le16 (e + 10, 0);
}

/* A leaf node in block b, its checksum set. */
static uint8_t *
leaf_block (uint64_t b, uint16_t entries)
{
  put_header (blk (b), entries, (BS - 12) / 12, 0);
  return blk (b);
}

static void
seal (uint64_t b)
{
  fsf_extent_block_csum_set (&sb, INO, GEN, blk (b));
}

/* --- what the walker reported ----------------------------------------- */

struct rec {
  struct fsf_extent ex[4096];
  size_t n_ex;
  uint64_t node[1024];
  uint32_t node_logical[1024];
  size_t n_node;
  struct fsf_extent_where bad_at[16];
  int bad[16];
  size_t n_bad;
  int stop_after;           /* extents before returning -ECANCELED */
};

static int
rec_extent (void *opaque, const struct fsf_extent *ex)
{
  struct rec *r = opaque;

  if (r->n_ex < sizeof r->ex / sizeof r->ex[0])
    r->ex[r->n_ex] = *ex;
  r->n_ex++;
  if (r->stop_after && (int) r->n_ex == r->stop_after)
    return -ECANCELED;
  return 0;
}

static int
rec_node (void *opaque, const struct fsf_extent_where *at, uint32_t logical)
{
  struct rec *r = opaque;

  if (r->n_node < sizeof r->node / sizeof r->node[0]) {
    r->node[r->n_node] = at->block;
    r->node_logical[r->n_node] = logical;
  }
  r->n_node++;
  return 0;
}

static int
rec_bad (void *opaque, const struct fsf_extent_where *at, int bad)
{
  struct rec *r = opaque;

  if (r->n_bad < sizeof r->bad / sizeof r->bad[0]) {
    r->bad_at[r->n_bad] = *at;
    r->bad[r->n_bad] = bad;
  }
  r->n_bad++;
  return 0;
}

static int
walk (struct rec *r, unsigned flags)
{
  struct fsf_extent_visitor v = { rec_extent, rec_node, rec_bad, r };

  return fsf_extent_walk (&mem.src, &sb, INO, GEN, root, &v, flags);
}

/* --- decoders ----------------------------------------------------------- */

static void
test_fsformat_extent__header_decodes (void)
{
  struct fsf_extent_header h;
  uint8_t p[60];

  put_header (p, 3, 4, 2);
  fsf_put_le32 (p + 8, 0x12345678);
  CU_ASSERT_EQUAL (fsf_extent_header_decode (p, sizeof p, &h), 0);
  CU_ASSERT_EQUAL (h.magic, FSF_EXTENT_MAGIC);
  CU_ASSERT_EQUAL (h.entries, 3);
  CU_ASSERT_EQUAL (h.max, 4);
  CU_ASSERT_EQUAL (h.depth, 2);
  CU_ASSERT_EQUAL (h.generation, 0x12345678);
}

static void
test_fsformat_extent__header_truncated_by_one_byte_fails (void)
{
  struct fsf_extent_header h;
  uint8_t p[60];

  put_header (p, 0, 4, 0);
  CU_ASSERT_EQUAL (fsf_extent_header_decode (p, 11, &h), FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_extent_header_decode (p, 0, &h), FSF_BAD_TRUNCATED);
  /* 59 bytes hold 3 entries: eh_max 4 no longer fits. */
  CU_ASSERT_EQUAL (fsf_extent_header_decode (p, 59, &h), FSF_BAD_FIELD);
}

static void
test_fsformat_extent__header_bad_magic_fails (void)
{
  struct fsf_extent_header h;
  uint8_t p[60];

  put_header (p, 0, 4, 0);
  p[0] ^= 1;
  CU_ASSERT_EQUAL (fsf_extent_header_decode (p, sizeof p, &h), FSF_BAD_MAGIC);
  memset (p, 0, sizeof p);
  CU_ASSERT_EQUAL (fsf_extent_header_decode (p, sizeof p, &h), FSF_BAD_MAGIC);
}

/* eh_max: the node's room, down to two less; entries up to eh_max. */
static void
test_fsformat_extent__header_max_and_entries_bounds (void)
{
  static const struct {
    size_t len;
    uint16_t entries, max;
    int want;
  } rows[] = {
    { 60, 4, 4, 0 },
    { 60, 2, 2, 0 },
    { 60, 0, 1, FSF_BAD_FIELD },
    { 60, 0, 5, FSF_BAD_FIELD },
    { 60, 5, 4, FSF_BAD_FIELD },
    { 4096, 340, 340, 0 },      /* the maximum values */
    { 4096, 338, 338, 0 },
    { 4096, 0, 337, FSF_BAD_FIELD },
    { 4096, 0, 341, FSF_BAD_FIELD },
    { 65536, 5460, 5460, 0 },
    { 65536, 0xffff, 0xffff, FSF_BAD_FIELD },
  };
  static uint8_t p[65536];
  struct fsf_extent_header h;
  size_t i;

  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    put_header (p, rows[i].entries, rows[i].max, 0);
    CU_ASSERT_EQUAL (fsf_extent_header_decode (p, rows[i].len, &h),
                     rows[i].want);
  }
}

static void
test_fsformat_extent__entries_decode_with_unwritten_bias (void)
{
  static const struct {
    uint16_t raw;
    uint32_t len;
    bool unwritten;
  } rows[] = {
    { 1, 1, false },
    { 32767, 32767, false },
    { 32768, 32768, false },
    { 32769, 1, true },
    { 65535, 32767, true },
    { 0, 0, false },
  };
  uint8_t node[36], *p = node + 12;
  struct fsf_extent ex;
  struct fsf_extent_index ix;
  size_t i;

  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    put_extent (node, 0, 77, rows[i].raw, 0xffffffffffffULL);
    CU_ASSERT_EQUAL (fsf_extent_decode (p, 12, &ex), 0);
    CU_ASSERT_EQUAL (ex.block, 77);
    CU_ASSERT_EQUAL (ex.len, rows[i].len);
    CU_ASSERT_EQUAL (ex.unwritten, rows[i].unwritten);
    CU_ASSERT_EQUAL (ex.raw_len, rows[i].raw);
    CU_ASSERT_EQUAL (ex.start, 0xffffffffffffULL);
  }
  put_index (node, 0, UINT32_MAX, 0x123456789abcULL);
  memset (p + 12, 0xee, 12);    /* trailing garbage */
  CU_ASSERT_EQUAL (fsf_extent_index_decode (p, 24, &ix), 0);
  CU_ASSERT_EQUAL (ix.block, UINT32_MAX);
  CU_ASSERT_EQUAL (ix.leaf, 0x123456789abcULL);
  CU_ASSERT_EQUAL (fsf_extent_index_decode (p, 11, &ix), FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_extent_decode (p, 11, &ex), FSF_BAD_TRUNCATED);
}

/* --- the tail checksum ------------------------------------------------ */

static void
test_fsformat_extent__block_csum_set_verify_and_flip (void)
{
  uint8_t *p, le[4];
  uint32_t crc;
  size_t i, tail;

  reset ();
  p = leaf_block (5, 2);
  put_extent (p, 0, 0, 3, 100);
  put_extent (p, 1, 10, 3, 110);
  tail = fsf_extent_tail_offset (84);
  CU_ASSERT_EQUAL (tail, 1020);
  /* The definition: seed, le32 ino, le32 generation, bytes to the tail. */
  fsf_put_le32 (le, INO);
  crc = fsf_crc32c_sw (sb.csum_seed, le, 4);
  fsf_put_le32 (le, GEN);
  crc = fsf_crc32c_sw (crc, le, 4);
  crc = fsf_crc32c_sw (crc, p, tail);
  CU_ASSERT_EQUAL (fsf_extent_block_csum (&sb, INO, GEN, p), crc);
  CU_ASSERT_FALSE (fsf_extent_block_csum_verify (&sb, INO, GEN, p));
  fsf_extent_block_csum_set (&sb, INO, GEN, p);
  CU_ASSERT_EQUAL (fsf_le32 (p + tail), crc);
  CU_ASSERT_TRUE (fsf_extent_block_csum_verify (&sb, INO, GEN, p));
  CU_ASSERT_FALSE (fsf_extent_block_csum_verify (&sb, INO + 1, GEN, p));
  CU_ASSERT_FALSE (fsf_extent_block_csum_verify (&sb, INO, GEN + 1, p));
  for (i = 0; i < tail + 4; i++) {
    p[i] ^= 0x80;
    if (fsf_extent_block_csum_verify (&sb, INO, GEN, p))
      CU_FAIL ("a flipped byte went unnoticed");
    p[i] ^= 0x80;
  }
}

/* A tail past the block: nothing to compute; smaller eh_max moves it. */
static void
test_fsformat_extent__block_csum_tail_follows_max (void)
{
  uint8_t *p;

  reset ();
  p = blk (5);
  put_header (p, 0, 85, 0);
  CU_ASSERT_EQUAL (fsf_extent_block_csum (&sb, INO, GEN, p), 0);
  CU_ASSERT_FALSE (fsf_extent_block_csum_verify (&sb, INO, GEN, p));
  fsf_extent_block_csum_set (&sb, INO, GEN, p);
  CU_ASSERT_EQUAL (fsf_le32 (p + 1020), 0);
  put_header (p, 0, 82, 0);
  fsf_extent_block_csum_set (&sb, INO, GEN, p);
  CU_ASSERT_NOT_EQUAL (fsf_le32 (p + 12 + 82 * 12), 0);
  CU_ASSERT_TRUE (fsf_extent_block_csum_verify (&sb, INO, GEN, p));
  p[1023] ^= 1;                 /* after the tail: trailing garbage */
  CU_ASSERT_TRUE (fsf_extent_block_csum_verify (&sb, INO, GEN, p));
}

/* --- the walker: good trees ------------------------------------------- */

static void
test_fsformat_extent__walk_root_leaf (void)
{
  struct rec r = { 0 };

  reset ();
  put_header (root, 3, 4, 0);
  put_extent (root, 0, 0, 2, 100);
  put_extent (root, 1, 2, 32768 + 5, 200);
  put_extent (root, 2, 4096, 1, NBLOCKS - 1);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM), 0);
  CU_ASSERT_EQUAL_FATAL (r.n_ex, 3);
  CU_ASSERT_EQUAL (r.n_node, 0);
  CU_ASSERT_EQUAL (r.n_bad, 0);
  CU_ASSERT_EQUAL (r.ex[0].block, 0);
  CU_ASSERT_EQUAL (r.ex[0].start, 100);
  CU_ASSERT_EQUAL (r.ex[1].len, 5);
  CU_ASSERT_TRUE (r.ex[1].unwritten);
  CU_ASSERT_EQUAL (r.ex[2].start, NBLOCKS - 1);
  /* An empty root is an empty file. */
  put_header (root, 0, 4, 0);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, 0), 0);
  CU_ASSERT_EQUAL (r.n_ex, 0);
}

/* Root of depth 1 over leaves in blocks 10 and 11. */
static void
two_leaves (void)
{
  uint8_t *p;

  reset ();
  put_header (root, 2, 4, 1);
  put_index (root, 0, 0, 10);
  put_index (root, 1, 1000, 11);
  p = leaf_block (10, 2);
  put_extent (p, 0, 0, 4, 20);
  put_extent (p, 1, 8, 4, 30);
  seal (10);
  p = leaf_block (11, 1);
  put_extent (p, 0, 1000, 7, 40);
  seal (11);
}

static void
test_fsformat_extent__walk_depth_one (void)
{
  struct rec r = { 0 };

  two_leaves ();
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM), 0);
  CU_ASSERT_EQUAL (r.n_bad, 0);
  CU_ASSERT_EQUAL_FATAL (r.n_ex, 3);
  CU_ASSERT_EQUAL (r.ex[1].block, 8);
  CU_ASSERT_EQUAL (r.ex[2].block, 1000);
  CU_ASSERT_EQUAL (r.ex[2].start, 40);
  CU_ASSERT_EQUAL (r.ex[2].len, 7);
  CU_ASSERT_EQUAL_FATAL (r.n_node, 2);
  CU_ASSERT_EQUAL (r.node[0], 10);
  CU_ASSERT_EQUAL (r.node[1], 11);
  CU_ASSERT_EQUAL (r.node_logical[1], 1000);
  /* A NULL visitor walks too. */
  CU_ASSERT_EQUAL (fsf_extent_walk (&mem.src, &sb, INO, GEN, root, NULL,
                                    FSF_EXTENT_WALK_CSUM), 0);
}

/* --- the walker: corrupt trees ---------------------------------------- */

static void
expect_bad (struct rec *r, int bad, uint64_t block, int entry)
{
  CU_ASSERT (r->n_bad >= 1);
  if (r->n_bad >= 1) {
    CU_ASSERT_EQUAL (r->bad[0], bad);
    CU_ASSERT_EQUAL (r->bad_at[0].block, block);
    CU_ASSERT_EQUAL (r->bad_at[0].entry, entry);
  }
}

static void
test_fsformat_extent__walk_child_bad_magic (void)
{
  struct rec r = { 0 };

  two_leaves ();
  blk (11)[1] ^= 0xff;
  CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_MAGIC);
  expect_bad (&r, FSF_BAD_MAGIC, 11, -1);
  CU_ASSERT_EQUAL (r.bad_at[0].level, 1);
  CU_ASSERT_EQUAL (r.n_ex, 2);          /* block 10's, before it */
  CU_ASSERT_EQUAL (r.n_node, 2);        /* 11 is owned all the same */
}

static void
test_fsformat_extent__walk_child_bad_csum (void)
{
  struct rec r = { 0 };

  two_leaves ();
  blk (10)[500] ^= 1;                   /* unused entry space */
  CU_ASSERT_EQUAL (walk (&r, 0), 0);    /* not asked to check */
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM), FSF_BAD_CSUM);
  expect_bad (&r, FSF_BAD_CSUM, 10, -1);
  CU_ASSERT_EQUAL (r.n_ex, 0);
  /* Keep going: reported, and the node is still read. */
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM
                         | FSF_EXTENT_WALK_KEEP_GOING), FSF_BAD_CSUM);
  CU_ASSERT_EQUAL (r.n_ex, 3);
  CU_ASSERT_EQUAL (r.n_bad, 1);
  /* Without metadata_csum there is nothing to check. */
  sb.feature_ro_compat = 0;
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM), 0);
}

static void
test_fsformat_extent__walk_physical_out_of_range (void)
{
  static const uint64_t bad_start[] = {
    0, NBLOCKS, NBLOCKS - 3, 0xffffffffffffULL,
  };
  struct rec r;
  size_t i;

  for (i = 0; i < sizeof bad_start / sizeof bad_start[0]; i++) {
    reset ();
    put_header (root, 2, 4, 0);
    put_extent (root, 0, 0, 2, 100);
    put_extent (root, 1, 5, 4, bad_start[i]);
    memset (&r, 0, sizeof r);
    CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_RANGE);
    expect_bad (&r, FSF_BAD_RANGE, 0, 1);
    CU_ASSERT_EQUAL (r.n_ex, 1);
  }
  /* An index pointing outside, or at block 0. */
  two_leaves ();
  put_index (root, 1, 1000, NBLOCKS);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_RANGE);
  expect_bad (&r, FSF_BAD_RANGE, 0, 1);
  CU_ASSERT_EQUAL (r.n_node, 1);
  put_index (root, 1, 1000, 0);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_RANGE);
}

/* Overlap, disorder, zero length, past 2^32, outside the parent's range,
 * a child not starting at its index: each a bad field at its entry.
 */
static void
test_fsformat_extent__walk_logical_order (void)
{
  static const struct {
    uint32_t lblk;
    uint16_t len;
  } rows[] = {
    { 3, 1 },                   /* overlaps [0, 4) */
    { 0, 1 },
    { 10, 0 },                  /* zero length */
    { UINT32_MAX, 2 },          /* past 2^32 */
  };
  struct rec r;
  size_t i;

  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    reset ();
    put_header (root, 2, 4, 0);
    put_extent (root, 0, 0, 4, 100);
    put_extent (root, 1, rows[i].lblk, rows[i].len, 150);
    memset (&r, 0, sizeof r);
    CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_FIELD);
    expect_bad (&r, FSF_BAD_FIELD, 0, 1);
  }
  /* Leaf 10 reaching into leaf 11's range. */
  two_leaves ();
  put_extent (blk (10), 1, 998, 4, 30);
  seal (10);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM), FSF_BAD_FIELD);
  expect_bad (&r, FSF_BAD_FIELD, 10, 1);
  /* Leaf 11 not starting at its index's 1000. */
  two_leaves ();
  put_extent (blk (11), 0, 1001, 7, 40);
  seal (11);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM), FSF_BAD_FIELD);
  expect_bad (&r, FSF_BAD_FIELD, 11, 0);
  /* Index entries out of order. */
  two_leaves ();
  put_index (root, 1, 0, 11);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_FIELD);
  expect_bad (&r, FSF_BAD_FIELD, 0, 1);
}

static void
test_fsformat_extent__walk_depth_bounds (void)
{
  struct rec r = { 0 };
  uint8_t *p;

  /* Deeper than 5. */
  reset ();
  put_header (root, 1, 4, 6);
  put_index (root, 0, 0, 10);
  CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_LOOP);
  expect_bad (&r, FSF_BAD_LOOP, 0, -1);
  CU_ASSERT_EQUAL (r.n_node, 0);

  /* A node pointing at itself: its depth cannot also be one less. */
  reset ();
  put_header (root, 1, 4, 5);
  put_index (root, 0, 0, 10);
  p = blk (10);
  put_header (p, 1, 84, 4);
  put_index (p, 0, 0, 10);
  seal (10);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM), FSF_BAD_FIELD);
  expect_bad (&r, FSF_BAD_FIELD, 10, -1);
  CU_ASSERT_EQUAL (r.bad_at[0].level, 2);
  CU_ASSERT_EQUAL (r.n_node, 2);

  /* An empty index node below the root. */
  reset ();
  put_header (root, 1, 4, 2);
  put_index (root, 0, 0, 10);
  put_header (blk (10), 0, 84, 1);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_FIELD);
  expect_bad (&r, FSF_BAD_FIELD, 10, -1);
  /* An empty index root. */
  reset ();
  put_header (root, 0, 4, 1);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, 0), FSF_BAD_FIELD);
  expect_bad (&r, FSF_BAD_FIELD, 0, -1);

  /* The deepest legal tree: five index levels, then the leaf. */
  reset ();
  put_header (root, 1, 4, 5);
  put_index (root, 0, 7, 10);
  for (int d = 4; d >= 1; d--) {
    p = blk (10 + 4 - d);
    put_header (p, 1, 84, (uint16_t) d);
    put_index (p, 0, 7, 10 + 4 - d + 1);
    seal (10 + 4 - d);
  }
  p = leaf_block (14, 1);
  put_extent (p, 0, 7, 1, 99);
  seal (14);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_CSUM), 0);
  CU_ASSERT_EQUAL (r.n_node, 5);
  CU_ASSERT_EQUAL (r.n_ex, 1);
}

/* Many index entries sharing one empty leaf: work stops at blocks_count
 * nodes, as a loop.
 */
static void
test_fsformat_extent__walk_visits_are_bounded (void)
{
  struct rec r = { 0 };
  int i, j;

  reset ();
  put_header (root, 4, 4, 2);
  for (i = 0; i < 4; i++) {
    uint8_t *p = blk (10 + 2 * i);

    put_index (root, i, 1000 * i, 10 + 2 * i);
    put_header (p, 84, 84, 1);
    for (j = 0; j < 84; j++)
      put_index (p, j, 1000 * i + j, 11);
  }
  put_header (blk (11), 0, 84, 0);
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_KEEP_GOING), FSF_BAD_LOOP);
  CU_ASSERT_EQUAL (r.n_node, NBLOCKS - 1);
  CU_ASSERT_EQUAL (r.n_bad, 1);
  CU_ASSERT_EQUAL (r.bad[0], FSF_BAD_LOOP);
}

/* Keep going: every bad entry reported, the good ones walked. */
static void
test_fsformat_extent__walk_keep_going_reports_each (void)
{
  struct rec r = { 0 };

  reset ();
  put_header (root, 4, 4, 0);
  put_extent (root, 0, 0, 1, 0);        /* range */
  put_extent (root, 1, 5, 0, 100);      /* zero length */
  put_extent (root, 2, 6, 1, 101);
  put_extent (root, 3, 6, 1, 102);      /* overlap */
  CU_ASSERT_EQUAL (walk (&r, FSF_EXTENT_WALK_KEEP_GOING), FSF_BAD_RANGE);
  CU_ASSERT_EQUAL_FATAL (r.n_bad, 3);
  CU_ASSERT_EQUAL (r.bad[1], FSF_BAD_FIELD);
  CU_ASSERT_EQUAL (r.bad_at[1].entry, 1);
  CU_ASSERT_EQUAL (r.bad_at[2].entry, 3);
  CU_ASSERT_EQUAL (r.n_ex, 1);
  CU_ASSERT_EQUAL (r.ex[0].start, 101);
}

static void
test_fsformat_extent__walk_read_error_and_callback_stop (void)
{
  struct rec r = { 0 };

  two_leaves ();
  mem.src.size = 12 * BS - 1;           /* block 11 one byte short */
  CU_ASSERT_EQUAL (walk (&r, 0), -EIO);
  two_leaves ();
  memset (&r, 0, sizeof r);
  r.stop_after = 2;
  CU_ASSERT_EQUAL (walk (&r, 0), -ECANCELED);
  CU_ASSERT_EQUAL (r.n_ex, 2);
  CU_ASSERT_EQUAL (r.n_node, 1);
}

/* --- real images -------------------------------------------------------- */

/* debugfs ex output: leaf lines and the blocks of the index lines. */
static void
parse_ex (const char *out, struct rec *want)
{
  const char *line = out;

  memset (want, 0, sizeof *want);
  while (line && *line) {
    unsigned lv, max, e, n;
    unsigned long long l0, l1, p0, p1, len;

    if (sscanf (line, "%u/ %u %u/ %u %llu - %llu %llu - %llu %llu", &lv,
                &max, &e, &n, &l0, &l1, &p0, &p1, &len) == 9 && lv == max) {
      want->ex[want->n_ex].block = (uint32_t) l0;
      want->ex[want->n_ex].start = p0;
      want->ex[want->n_ex].len = (uint32_t) len;
      want->ex[want->n_ex].unwritten = strstr (line, "Uninit") != NULL
        && strstr (line, "Uninit") < strchr (line, '\n');
      want->n_ex++;
    }
    else if (sscanf (line, "%u/ %u %u/ %u %llu - %llu %llu %llu", &lv, &max,
                     &e, &n, &l0, &l1, &p0, &len) == 8 && lv < max) {
      want->node[want->n_node] = p0;
      want->node_logical[want->n_node] = (uint32_t) l0;
      want->n_node++;
    }
    line = strchr (line, '\n');
    if (line)
      line++;
  }
}

/* Walk path's tree and compare it with debugfs ex; returns its depth. */
static int
compare_with_ex (const struct fsf_image *img, const char *path)
{
  static struct rec got, want;
  struct fsf_extent_visitor v = { rec_extent, rec_node, rec_bad, &got };
  uint8_t buf[1024];
  struct fsf_inode ino;
  struct fsf_extent_header h;
  uint32_t n;
  char req[256], *out;
  size_t i;

  memset (&got, 0, sizeof got);
  CU_ASSERT_TRUE_FATAL (fsf_image_inode (img, path, &n, buf, &ino));
  CU_ASSERT_TRUE (ino.flags & FSF_EXTENTS_FL);
  CU_ASSERT_EQUAL (fsf_extent_walk (&img->src, &img->sb, n, ino.generation,
                                    ino.i_block, &v, FSF_EXTENT_WALK_CSUM),
                   0);
  snprintf (req, sizeof req, "ex %s", path);
  out = fsf_image_debugfs (img, req);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  parse_ex (out, &want);
  free (out);
  CU_ASSERT_EQUAL (got.n_bad, 0);
  CU_ASSERT (got.n_ex > 0);
  CU_ASSERT_EQUAL_FATAL (got.n_ex, want.n_ex);
  CU_ASSERT_EQUAL_FATAL (got.n_node, want.n_node);
  for (i = 0; i < got.n_ex && i < 4096; i++)
    if (got.ex[i].block != want.ex[i].block
        || got.ex[i].start != want.ex[i].start
        || got.ex[i].len != want.ex[i].len
        || got.ex[i].unwritten != want.ex[i].unwritten) {
      fprintf (stderr, "extent %zu differs\n", i);
      CU_FAIL ("extent differs from debugfs");
    }
  for (i = 0; i < got.n_node && i < 1024; i++)
    CU_ASSERT (got.node[i] == want.node[i]
               && got.node_logical[i] == want.node_logical[i]);
  if (fsf_extent_header_decode (ino.i_block, sizeof ino.i_block, &h) != 0)
    return -1;
  return h.depth;
}

/* Sparse islands of one or two blocks every 32 KiB of a 50 MiB file,
 * a small file and a contiguous one.
 */
static void
image_tree (char *buf, size_t len, int islands)
{
  snprintf (buf, len,
            "python3 -c \"\n"
            "f = open('holes', 'wb')\n"
            "for i in range(%d):\n"
            "    f.seek(i * 32768)\n"
            "    f.write(b'x' * (4096 if i %% 3 else 5000))\n"
            "f.truncate(50 << 20)\n"
            "\"; printf hello > small; "
            "dd if=/dev/urandom of=big bs=64k count=40 status=none",
            islands);
}

static void
test_fsformat_extent__ext4_4k_image_matches_debugfs (void)
{
  struct fsf_image img;
  char tree[1024];

  image_tree (tree, sizeof tree, 1200);
  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree, "-t ext4 -b 4096",
                                        "64M"));
  CU_ASSERT_TRUE (fsf_has_metadata_csum (&img.sb));
  CU_ASSERT_EQUAL (compare_with_ex (&img, "/small"), 0);
  CU_ASSERT_EQUAL (compare_with_ex (&img, "/big"), 0);
  CU_ASSERT_EQUAL (compare_with_ex (&img, "/holes"), 1);
  fsf_image_close (&img);
}

static void
test_fsformat_extent__ext4_1k_depth_two_matches_debugfs (void)
{
  struct fsf_image img;
  char tree[1024];

  image_tree (tree, sizeof tree, 1200);
  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree, "-t ext4 -b 1024",
                                        "64M"));
  CU_ASSERT_EQUAL (compare_with_ex (&img, "/holes"), 2);
  CU_ASSERT (compare_with_ex (&img, "/big") >= 0);
  fsf_image_close (&img);
}

static void
test_fsformat_extent__ext4_without_csum_matches_debugfs (void)
{
  struct fsf_image img;
  char tree[1024];

  image_tree (tree, sizeof tree, 600);
  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree,
                                        "-t ext4 -O ^metadata_csum", "64M"));
  CU_ASSERT_FALSE (fsf_has_metadata_csum (&img.sb));
  CU_ASSERT (compare_with_ex (&img, "/holes") >= 1);
  fsf_image_close (&img);
}

/* A file written into the gaps left by deleting every other small file:
 * a fragmented layout with no holes, allocated by libext2fs.
 */
static void
test_fsformat_extent__ext4_fragmented_file_matches_debugfs (void)
{
  struct fsf_image img;

  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img,
                                        "for i in $(seq -w 0 399); do "
                                        "head -c 8192 /dev/urandom > f$i; "
                                        "done",
                                        "-t ext4 -b 4096", "16M"));
  CU_ASSERT_TRUE_FATAL (fsf_image_run (&img,
                                       "head -c 3000000 /dev/urandom > pay; "
                                       "for i in $(seq -w 0 2 399); do "
                                       "echo \"rm /f$i\"; done > cmds; "
                                       "echo 'write pay /frag' >> cmds; "
                                       "debugfs -w -f cmds $IMG "
                                       ">/dev/null 2>&1"));
  CU_ASSERT_EQUAL (compare_with_ex (&img, "/frag"), 1);
  fsf_image_close (&img);
}

/* Damage a real tree block in a copy: the walk says which block. */
static void
test_fsformat_extent__ext4_damaged_tree_block_is_located (void)
{
  struct fsf_image img;
  struct fsf_image_mem m;
  struct rec r;
  struct fsf_extent_visitor v = { rec_extent, rec_node, rec_bad, &r };
  char tree[1024];
  uint8_t buf[1024];
  struct fsf_inode ino;
  uint32_t n;
  uint64_t target;
  uint8_t *p;

  image_tree (tree, sizeof tree, 1200);
  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree, "-t ext4 -b 4096",
                                        "64M"));
  CU_ASSERT_TRUE_FATAL (fsf_image_inode (&img, "/holes", &n, buf, &ino));
  CU_ASSERT_TRUE_FATAL (fsf_image_mem_load (&img, &m));
  target = fsf_le32 (ino.i_block + 12 + 4);  /* the root's first child */
  p = m.bytes + target * img.sb.block_size;

  /* One bit in the tree block: the checksum, at that block. */
  p[13] ^= 1;
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (fsf_extent_walk (&m.src, &img.sb, n, ino.generation,
                                    ino.i_block, &v, FSF_EXTENT_WALK_CSUM),
                   FSF_BAD_CSUM);
  CU_ASSERT (r.n_bad == 1 && r.bad_at[0].block == target
             && r.bad_at[0].entry == -1);
  p[13] ^= 1;
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (fsf_extent_walk (&m.src, &img.sb, n, ino.generation,
                                    ino.i_block, &v, FSF_EXTENT_WALK_CSUM),
                   0);
  /* The magic. */
  p[0] = 0;
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (fsf_extent_walk (&m.src, &img.sb, n, ino.generation,
                                    ino.i_block, &v, FSF_EXTENT_WALK_CSUM
                                    | FSF_EXTENT_WALK_KEEP_GOING),
                   FSF_BAD_MAGIC);
  CU_ASSERT (r.n_bad == 1 && r.bad_at[0].block == target);
  CU_ASSERT (r.n_ex > 0);               /* the other leaves */
  free (m.bytes);
  fsf_image_close (&img);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_fsformat_extent__header_decodes),
  UNIT_TEST (test_fsformat_extent__header_truncated_by_one_byte_fails),
  UNIT_TEST (test_fsformat_extent__header_bad_magic_fails),
  UNIT_TEST (test_fsformat_extent__header_max_and_entries_bounds),
  UNIT_TEST (test_fsformat_extent__entries_decode_with_unwritten_bias),
  UNIT_TEST (test_fsformat_extent__block_csum_set_verify_and_flip),
  UNIT_TEST (test_fsformat_extent__block_csum_tail_follows_max),
  UNIT_TEST (test_fsformat_extent__walk_root_leaf),
  UNIT_TEST (test_fsformat_extent__walk_depth_one),
  UNIT_TEST (test_fsformat_extent__walk_child_bad_magic),
  UNIT_TEST (test_fsformat_extent__walk_child_bad_csum),
  UNIT_TEST (test_fsformat_extent__walk_physical_out_of_range),
  UNIT_TEST (test_fsformat_extent__walk_logical_order),
  UNIT_TEST (test_fsformat_extent__walk_depth_bounds),
  UNIT_TEST (test_fsformat_extent__walk_visits_are_bounded),
  UNIT_TEST (test_fsformat_extent__walk_keep_going_reports_each),
  UNIT_TEST (test_fsformat_extent__walk_read_error_and_callback_stop),
  UNIT_TEST (test_fsformat_extent__ext4_4k_image_matches_debugfs),
  UNIT_TEST (test_fsformat_extent__ext4_1k_depth_two_matches_debugfs),
  UNIT_TEST (test_fsformat_extent__ext4_without_csum_matches_debugfs),
  UNIT_TEST (test_fsformat_extent__ext4_fragmented_file_matches_debugfs),
  UNIT_TEST (test_fsformat_extent__ext4_damaged_tree_block_is_located),
};

UNIT_MAIN ("fsformat/extent", tests)
