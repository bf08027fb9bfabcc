/* Unit tests: directory blocks and the htree (fsformat/dir.c). */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "dir.h"
#include "dirhash.h"
#include "fsf.h"
#include "super.h"
#include "unit.h"

#define INO 12
#define GEN 0x1234abcdU

static uint8_t blk[2 * FSF_DIR_MAX_BLOCK];

static void
fmt_of (struct fsf_dir_fmt *fmt, uint32_t bs, bool csum)
{
  memset (fmt, 0, sizeof *fmt);
  fmt->block_size = bs;
  fmt->filetype = true;
  fmt->csum = csum;
  fmt->csum_seed = 0xdeadbeef;
}

/* Put one entry at off; returns its minimal rec_len. */
static uint32_t
put_entry (uint8_t *p, uint32_t ino, uint32_t rec_len, const char *name,
           uint8_t ft, uint32_t bs)
{
  size_t n = strlen (name);

  fsf_put_le32 (p, ino);
  CU_ASSERT_EQUAL (fsf_dir_rec_len_put (p + 4, rec_len, bs), 0);
  p[6] = (uint8_t) n;
  p[7] = ft;
  memcpy (p + 8, name, n);
  return (uint32_t) (8 + n + 3) & ~3U;
}

/* A leaf block holding names[0..n), the last entry stretched to the end
 * (or to the tail, which gets its checksum).
 */
static void
make_leaf (uint8_t *b, const struct fsf_dir_fmt *fmt,
           const char *const *names, int n)
{
  uint32_t bs = fmt->block_size;
  uint32_t end = fmt->csum ? bs - FSF_DIR_TAIL_SIZE : bs, off = 0;
  int i;

  memset (b, 0, bs);
  for (i = 0; i < n; i++) {
    uint32_t min = ((uint32_t) (8 + strlen (names[i])) + 3) & ~3U;
    uint32_t rl = i == n - 1 ? end - off : min;

    put_entry (b + off, 100 + i, rl, names[i], FSF_FT_REG, bs);
    off += rl;
  }
  if (fmt->csum) {
    uint8_t *t = b + end;

    fsf_put_le16 (t + 4, FSF_DIR_TAIL_SIZE);
    t[7] = FSF_DIR_TAIL_FT;
    CU_ASSERT_EQUAL (fsf_dir_block_csum_set (fmt, INO, GEN, b, bs), 0);
  }
}

struct seen {
  int n;
  uint32_t ino[64];
  char name[64][256];
  uint32_t off[64];
  int stop_at;
};

static int
collect (const struct fsf_dirent *de, void *opaque)
{
  struct seen *s = opaque;

  if (s->n < 64) {
    s->ino[s->n] = de->inode;
    memcpy (s->name[s->n], de->name, de->name_len);
    s->name[s->n][de->name_len] = '\0';
    s->off[s->n] = de->offset;
  }
  s->n++;
  return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

static const char *const three[] = { "alpha", "b", "a-longer-name-here" };

static void
test_dir__rec_len_encoding_at_64k (void)
{
  uint8_t p[2];

  /* Below 64 KiB blocks the field is the length. */
  CU_ASSERT_EQUAL (fsf_dir_rec_len (0, 4096), 0);
  CU_ASSERT_EQUAL (fsf_dir_rec_len (4096, 4096), 4096);
  /* 64 KiB: 65535 and 0 are the whole block, bits 0-1 are bits 16-17. */
  CU_ASSERT_EQUAL (fsf_dir_rec_len (65535, 65536), 65536);
  CU_ASSERT_EQUAL (fsf_dir_rec_len (0, 65536), 65536);
  CU_ASSERT_EQUAL (fsf_dir_rec_len (12, 65536), 12);
  CU_ASSERT_EQUAL (fsf_dir_rec_len (65532, 65536), 65532);
  CU_ASSERT_EQUAL (fsf_dir_rec_len (5, 262144), 65540);

  CU_ASSERT_EQUAL (fsf_dir_rec_len_put (p, 65536, 65536), 0);
  CU_ASSERT_EQUAL (fsf_le16 (p), 65535);
  CU_ASSERT_EQUAL (fsf_dir_rec_len_put (p, 65524, 65536), 0);
  CU_ASSERT_EQUAL (fsf_le16 (p), 65524);
  CU_ASSERT_EQUAL (fsf_dir_rec_len_put (p, 65540, 262144), 0);
  CU_ASSERT_EQUAL (fsf_le16 (p), 5);
  CU_ASSERT_EQUAL (fsf_dir_rec_len_put (p, 262144, 262144), 0);
  CU_ASSERT_EQUAL (fsf_le16 (p), 0);
  CU_ASSERT_EQUAL (fsf_dir_rec_len_put (p, 4098, 65536), FSF_BAD_FIELD);
  CU_ASSERT_EQUAL (fsf_dir_rec_len_put (p, 8192, 4096), FSF_BAD_FIELD);
}

static void
test_dir__good_leaf_iterates_every_entry (void)
{
  struct fsf_dir_fmt fmt;
  int csum;

  for (csum = 0; csum < 2; csum++) {
    struct seen s = { 0 };
    uint32_t bad = 7;

    fmt_of (&fmt, 4096, csum);
    make_leaf (blk, &fmt, three, 3);
    CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 4096, &fmt, collect, &s,
                                            &bad), 0);
    CU_ASSERT_EQUAL (bad, 7);
    CU_ASSERT_EQUAL_FATAL (s.n, 3);
    CU_ASSERT_STRING_EQUAL (s.name[0], "alpha");
    CU_ASSERT_STRING_EQUAL (s.name[1], "b");
    CU_ASSERT_STRING_EQUAL (s.name[2], "a-longer-name-here");
    CU_ASSERT_EQUAL (s.ino[2], 102);
    CU_ASSERT_EQUAL (s.off[1], 16);
    CU_ASSERT_EQUAL (fsf_dir_tail_present (blk, 4096, 4096), csum);
    if (csum)
      CU_ASSERT_TRUE (fsf_dir_block_csum_verify (&fmt, INO, GEN, blk, 4096));
  }
}

static void
test_dir__truncated_by_one_byte_fails (void)
{
  struct fsf_dir_fmt fmt;
  uint32_t c;

  fmt_of (&fmt, 1024, true);
  make_leaf (blk, &fmt, three, 3);
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 1023, &fmt, NULL, NULL, NULL),
                   FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_dir_block_csum (&fmt, INO, GEN, blk, 1023, &c),
                   FSF_BAD_TRUNCATED);
  CU_ASSERT_FALSE (fsf_dir_block_csum_verify (&fmt, INO, GEN, blk, 1023));
  CU_ASSERT_TRUE (fsf_dir_block_csum_verify (&fmt, INO, GEN, blk, 1024));
}

/* The tail is the leaf's only magic: without it, metadata_csum fails. */
static void
test_dir__missing_tail_fails (void)
{
  static const int bytes[] = { 0, 4, 5, 6, 7 };
  struct fsf_dir_fmt fmt;
  size_t i;

  fmt_of (&fmt, 4096, true);
  for (i = 0; i < sizeof bytes / sizeof bytes[0]; i++) {
    uint32_t bad = 0, c;

    make_leaf (blk, &fmt, three, 3);
    blk[4096 - 12 + bytes[i]] ^= 0x01;
    CU_ASSERT_FALSE (fsf_dir_tail_present (blk, 4096, 4096));
    CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 4096, &fmt, NULL, NULL,
                                            &bad), FSF_BAD_FIELD);
    CU_ASSERT_EQUAL (bad, 4096 - 12);
    CU_ASSERT_EQUAL (fsf_dir_block_csum (&fmt, INO, GEN, blk, 4096, &c),
                     FSF_BAD_FIELD);
  }
}

static void
test_dir__any_flipped_byte_breaks_the_checksum (void)
{
  struct fsf_dir_fmt fmt;
  uint32_t i;

  fmt_of (&fmt, 1024, true);
  make_leaf (blk, &fmt, three, 3);
  for (i = 0; i < 1024; i++) {
    blk[i] ^= 0x40;
    CU_ASSERT_FALSE (fsf_dir_block_csum_verify (&fmt, INO, GEN, blk, 1024));
    blk[i] ^= 0x40;
  }
  CU_ASSERT_TRUE (fsf_dir_block_csum_verify (&fmt, INO, GEN, blk, 1024));
  /* The owner is in the sum: another inode or generation fails. */
  CU_ASSERT_FALSE (fsf_dir_block_csum_verify (&fmt, INO + 1, GEN, blk, 1024));
  CU_ASSERT_FALSE (fsf_dir_block_csum_verify (&fmt, INO, GEN + 1, blk, 1024));
}

/* Each rec_len rule, broken in the second entry (offset 16). */
static void
test_dir__bad_rec_len_is_refused_at_its_entry (void)
{
  static const struct {
    uint16_t rec_len;
    const char *why;
  } rows[] = {
    { 0, "zero" },
    { 4, "under 8" },
    { 14, "unaligned" },
    { 8, "shorter than its name" },
    { 4096, "past the block end" },
    { 4096 - 16 - 8, "leaves 8 bytes for the last entry's name" },
    { 4096 - 16 - 4, "leaves 4 bytes: no room for a header" },
  };
  struct fsf_dir_fmt fmt;
  size_t i;

  fmt_of (&fmt, 4096, false);
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    uint32_t bad = 0;
    int r;

    make_leaf (blk, &fmt, three, 3);
    fsf_put_le16 (blk + 16 + 4, rows[i].rec_len);
    r = fsf_dir_block_iterate (blk, 4096, &fmt, NULL, NULL, &bad);
    if (r != FSF_BAD_FIELD)
      fprintf (stderr, "\n  %s: %d\n", rows[i].why, r);
    CU_ASSERT_EQUAL (r, FSF_BAD_FIELD);
    CU_ASSERT (bad == 16 || bad == 16U + rows[i].rec_len);
  }
}

/* With a tail, the last entry must stop at it, not run over it. */
static void
test_dir__entries_must_reach_the_tail_exactly (void)
{
  struct fsf_dir_fmt fmt;
  uint32_t bad = 0;

  fmt_of (&fmt, 4096, true);
  make_leaf (blk, &fmt, three, 3);
  fsf_dir_rec_len_put (blk + 28 + 4, 4096 - 28, 4096);
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 4096, &fmt, NULL, NULL, &bad),
                   FSF_BAD_FIELD);
  CU_ASSERT_EQUAL (bad, 28);
}

static void
test_dir__maximum_values (void)
{
  struct fsf_dir_fmt fmt;
  struct seen s = { 0 };
  char name[256];

  /* One entry covering a 64 KiB block: rec_len stored as 65535. */
  fmt_of (&fmt, 65536, false);
  memset (blk, 0, 65536);
  memset (name, 'z', 255);
  name[255] = '\0';
  put_entry (blk, 0xffffffff, 65536, name, 0xff, 65536);
  CU_ASSERT_EQUAL (fsf_le16 (blk + 4), 65535);
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 65536, &fmt, collect, &s,
                                          NULL), 0);
  CU_ASSERT_EQUAL_FATAL (s.n, 1);
  CU_ASSERT_EQUAL (s.ino[0], 0xffffffff);
  CU_ASSERT_EQUAL (strlen (s.name[0]), 255);

  /* The same with a tail: 65524 bytes, then the checksum. */
  fmt_of (&fmt, 65536, true);
  memset (&s, 0, sizeof s);
  {
    const char *one[] = { name };

    make_leaf (blk, &fmt, one, 1);
  }
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 65536, &fmt, collect, &s,
                                          NULL), 0);
  CU_ASSERT_EQUAL (s.n, 1);
  CU_ASSERT_TRUE (fsf_dir_block_csum_verify (&fmt, INO, GEN, blk, 65536));

  /* A block of 8-byte empty entries: the most a block holds. */
  fmt_of (&fmt, 1024, false);
  {
    uint32_t off;
    struct seen many = { 0 };

    for (off = 0; off < 1024; off += 8)
      put_entry (blk + off, 0, 8, "", 0, 1024);
    CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 1024, &fmt, collect, &many,
                                            NULL), 0);
    CU_ASSERT_EQUAL (many.n, 128);
  }
}

/* Bytes past the block, and in an entry's slack, change nothing. */
static void
test_dir__trailing_garbage_is_ignored (void)
{
  struct fsf_dir_fmt fmt;
  struct seen s = { 0 };

  fmt_of (&fmt, 1024, true);
  make_leaf (blk, &fmt, three, 3);
  memset (blk + 1024, 0xa5, 1024);
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 2048, &fmt, collect, &s,
                                          NULL), 0);
  CU_ASSERT_EQUAL (s.n, 3);
  CU_ASSERT_TRUE (fsf_dir_block_csum_verify (&fmt, INO, GEN, blk, 2048));
  /* Slack after the last name: still valid entries (but checksummed). */
  memset (blk + 28 + 8 + 18 + 2, 0xa5, 100);
  memset (&s, 0, sizeof s);
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 1024, &fmt, collect, &s,
                                          NULL), 0);
  CU_ASSERT_EQUAL (s.n, 3);
  CU_ASSERT_FALSE (fsf_dir_block_csum_verify (&fmt, INO, GEN, blk, 1024));
}

/* Without filetype the name length is 16 bits: a high byte is too long. */
static void
test_dir__no_filetype_name_len_is_16_bits (void)
{
  struct fsf_dir_fmt fmt;
  struct seen s = { 0 };
  uint32_t bad = 1;

  fmt_of (&fmt, 1024, false);
  fmt.filetype = false;
  make_leaf (blk, &fmt, three, 3);
  blk[7] = 0;           /* make_leaf wrote a file type there */
  blk[16 + 7] = 0;
  blk[28 + 7] = 0;
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 1024, &fmt, collect, &s,
                                          NULL), 0);
  CU_ASSERT_STRING_EQUAL (s.name[0], "alpha");
  blk[16 + 7] = 1;      /* name_len 0x0101 */
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 1024, &fmt, NULL, NULL, &bad),
                   FSF_BAD_FIELD);
  CU_ASSERT_EQUAL (bad, 16);
}

static void
test_dir__callback_stops_the_walk (void)
{
  struct fsf_dir_fmt fmt;
  struct seen s = { 0 };

  s.stop_at = 2;
  fmt_of (&fmt, 1024, false);
  make_leaf (blk, &fmt, three, 3);
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (blk, 1024, &fmt, collect, &s,
                                          NULL), 42);
  CU_ASSERT_EQUAL (s.n, 2);
}

/* --- htree, synthetic ----------------------------------------------- */

/* A dx_root of bs bytes with count entries, hashes 0x1000 * i, blocks
 * i + 1, tail checksum set when fmt->csum.
 */
static void
make_root (uint8_t *b, const struct fsf_dir_fmt *fmt, unsigned count)
{
  uint32_t bs = fmt->block_size;
  uint32_t limit = (bs - 32 - (fmt->csum ? 8 : 0)) / 8;
  unsigned i;

  memset (b, 0, bs);
  put_entry (b, INO, 12, ".", FSF_FT_DIR, bs);
  put_entry (b + 12, 2, bs - 12, "..", FSF_FT_DIR, bs);
  b[0x1c] = FSF_HASH_HALF_MD4;
  b[0x1d] = 8;
  fsf_put_le16 (b + 0x20, (uint16_t) limit);
  fsf_put_le16 (b + 0x22, (uint16_t) count);
  for (i = 0; i < count; i++) {
    if (i)
      fsf_put_le32 (b + 0x20 + 8 * i, 0x1000 * i);
    fsf_put_le32 (b + 0x24 + 8 * i, i + 1);
  }
  if (fmt->csum)
    CU_ASSERT_EQUAL (fsf_dx_csum_set (fmt, INO, GEN, b, bs), 0);
}

static void
make_node (uint8_t *b, const struct fsf_dir_fmt *fmt, unsigned count)
{
  uint32_t bs = fmt->block_size;
  uint32_t limit = (bs - 8 - (fmt->csum ? 8 : 0)) / 8;
  unsigned i;

  memset (b, 0, bs);
  CU_ASSERT_EQUAL (fsf_dir_rec_len_put (b + 4, bs, bs), 0);
  fsf_put_le16 (b + 8, (uint16_t) limit);
  fsf_put_le16 (b + 10, (uint16_t) count);
  for (i = 0; i < count; i++) {
    if (i)
      fsf_put_le32 (b + 8 + 8 * i, 0x10 * i);
    fsf_put_le32 (b + 12 + 8 * i, i + 1);
  }
  if (fmt->csum)
    CU_ASSERT_EQUAL (fsf_dx_csum_set (fmt, INO, GEN, b, bs), 0);
}

static void
test_dx__good_root_decodes (void)
{
  struct fsf_dir_fmt fmt;
  struct fsf_dx_block dx;
  struct fsf_dx_entry e;

  fmt_of (&fmt, 4096, true);
  make_root (blk, &fmt, 3);
  CU_ASSERT_EQUAL_FATAL (fsf_dx_root_decode (blk, 4096, &fmt, &dx), 0);
  CU_ASSERT_TRUE (dx.root);
  CU_ASSERT_EQUAL (dx.hash_version, FSF_HASH_HALF_MD4);
  CU_ASSERT_EQUAL (dx.info_length, 8);
  CU_ASSERT_EQUAL (dx.indirect_levels, 0);
  CU_ASSERT_EQUAL (dx.limit, (4096 - 32 - 8) / 8);
  CU_ASSERT_EQUAL (dx.count, 3);
  fsf_dx_entry_get (blk, &dx, 0, &e);
  CU_ASSERT_EQUAL (e.hash, 0);
  CU_ASSERT_EQUAL (e.block, 1);
  fsf_dx_entry_get (blk, &dx, 2, &e);
  CU_ASSERT_EQUAL (e.hash, 0x2000);
  CU_ASSERT_EQUAL (e.block, 3);
  CU_ASSERT_TRUE (fsf_dx_csum_verify (&fmt, INO, GEN, blk, 4096));
  /* Blocks 1..3: a directory of 4 blocks holds them, one of 3 does not. */
  CU_ASSERT_EQUAL (fsf_dx_blocks_in_range (blk, &dx, 4), 0);
  CU_ASSERT_EQUAL (fsf_dx_blocks_in_range (blk, &dx, 3), FSF_BAD_RANGE);

  /* Without metadata_csum the limit takes the tail's room too. */
  fmt_of (&fmt, 4096, false);
  make_root (blk, &fmt, 3);
  CU_ASSERT_EQUAL (fsf_dx_root_decode (blk, 4096, &fmt, &dx), 0);
  CU_ASSERT_EQUAL (dx.limit, (4096 - 32) / 8);
}

static void
test_dx__truncated_by_one_byte_fails (void)
{
  struct fsf_dir_fmt fmt;
  struct fsf_dx_block dx;
  uint32_t c;

  fmt_of (&fmt, 1024, true);
  make_root (blk, &fmt, 3);
  CU_ASSERT_EQUAL (fsf_dx_root_decode (blk, 1023, &fmt, &dx),
                   FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_dx_csum (&fmt, INO, GEN, blk, 1023, &c),
                   FSF_BAD_TRUNCATED);
  make_node (blk, &fmt, 3);
  CU_ASSERT_EQUAL (fsf_dx_node_decode (blk, 1023, &fmt, &dx),
                   FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_dx_node_decode (blk, 1024, &fmt, &dx), 0);
}

/* The root's magic is its shape: ".", "..", info_length 8, zero. */
static void
test_dx__bad_root_shape_fails (void)
{
  static const struct {
    unsigned off;
    uint8_t val;
    int want;
  } rows[] = {
    { 4, 16, FSF_BAD_FIELD },           /* "." rec_len */
    { 6, 2, FSF_BAD_FIELD },            /* "." name_len */
    { 8, 'x', FSF_BAD_FIELD },          /* "." name */
    { 12 + 6, 3, FSF_BAD_FIELD },       /* ".." name_len */
    { 12 + 9, 'x', FSF_BAD_FIELD },     /* ".." name */
    { 0x18, 1, FSF_BAD_FIELD },         /* reserved_zero */
    { 0x1d, 12, FSF_BAD_FIELD },        /* info_length */
    { 0x1c, 3, FSF_BAD_FIELD },         /* hash version: never on disk */
    { 0x1c, 6, FSF_BAD_UNSUPPORTED },   /* siphash */
    { 0x1e, 2, FSF_BAD_FIELD },         /* indirect_levels, no large_dir */
    { 0x20, 1, FSF_BAD_FIELD },         /* limit */
    { 0x22, 0, FSF_BAD_FIELD },         /* count 0 */
    { 0x22, 200, FSF_BAD_FIELD },       /* count > limit */
    { 0x20 + 8 * 2 + 1, 0, FSF_BAD_FIELD }, /* hash 2 below hash 1 */
    { 0x24 + 8, 0, FSF_BAD_LOOP },      /* entry 1 points at the root */
  };
  struct fsf_dir_fmt fmt;
  struct fsf_dx_block dx;
  size_t i;

  fmt_of (&fmt, 1024, true);
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    int r;

    make_root (blk, &fmt, 3);
    blk[rows[i].off] = rows[i].val;
    r = fsf_dx_root_decode (blk, 1024, &fmt, &dx);
    if (r != rows[i].want)
      fprintf (stderr, "\n  row %zu: %d\n", i, r);
    CU_ASSERT_EQUAL (r, rows[i].want);
  }
  /* Two levels need large_dir; three are never allowed. */
  make_root (blk, &fmt, 3);
  blk[0x1e] = 2;
  fmt.large_dir = true;
  CU_ASSERT_EQUAL (fsf_dx_root_decode (blk, 1024, &fmt, &dx), 0);
  blk[0x1e] = 3;
  CU_ASSERT_EQUAL (fsf_dx_root_decode (blk, 1024, &fmt, &dx), FSF_BAD_FIELD);
  /* A collision continuation (bit 0) equal to its predecessor is fine. */
  fmt.large_dir = false;
  make_root (blk, &fmt, 3);
  fsf_put_le32 (blk + 0x20 + 16, 0x1001);
  CU_ASSERT_EQUAL (fsf_dx_root_decode (blk, 1024, &fmt, &dx), 0);
}

static void
test_dx__bad_node_shape_fails (void)
{
  struct fsf_dir_fmt fmt;
  struct fsf_dx_block dx;

  fmt_of (&fmt, 4096, false);
  make_node (blk, &fmt, 5);
  CU_ASSERT_EQUAL (fsf_dx_node_decode (blk, 4096, &fmt, &dx), 0);
  CU_ASSERT_EQUAL (dx.limit, (4096 - 8) / 8);
  blk[6] = 1;
  CU_ASSERT_EQUAL (fsf_dx_node_decode (blk, 4096, &fmt, &dx), FSF_BAD_FIELD);
  make_node (blk, &fmt, 5);
  fsf_put_le16 (blk + 4, 4092);
  CU_ASSERT_EQUAL (fsf_dx_node_decode (blk, 4096, &fmt, &dx), FSF_BAD_FIELD);
  /* A leaf is not a node, nor a root. */
  make_leaf (blk, &fmt, three, 3);
  CU_ASSERT_EQUAL (fsf_dx_node_decode (blk, 4096, &fmt, &dx), FSF_BAD_FIELD);
  CU_ASSERT_EQUAL (fsf_dx_root_decode (blk, 4096, &fmt, &dx), FSF_BAD_FIELD);
}

static void
test_dx__any_flipped_byte_breaks_the_checksum (void)
{
  struct fsf_dir_fmt fmt;
  uint32_t i, covered = 0x20 + 8 * 3;

  fmt_of (&fmt, 1024, true);
  make_root (blk, &fmt, 3);
  for (i = 0; i < covered; i++) {
    blk[i] ^= 0x10;
    CU_ASSERT_FALSE (fsf_dx_csum_verify (&fmt, INO, GEN, blk, 1024));
    blk[i] ^= 0x10;
  }
  /* dt_reserved and dt_checksum are covered too. */
  for (i = 1024 - 8; i < 1024; i++) {
    blk[i] ^= 0x10;
    CU_ASSERT_FALSE (fsf_dx_csum_verify (&fmt, INO, GEN, blk, 1024));
    blk[i] ^= 0x10;
  }
  /* Unused entry slots past count are not. */
  blk[covered + 8] ^= 0xff;
  CU_ASSERT_TRUE (fsf_dx_csum_verify (&fmt, INO, GEN, blk, 1024));
  CU_ASSERT_FALSE (fsf_dx_csum_verify (&fmt, INO, GEN + 1, blk, 1024));
}

/* A full 64 KiB node: rec_len 65535, 8190 entries beside the tail. */
static void
test_dx__maximum_values (void)
{
  struct fsf_dir_fmt fmt;
  struct fsf_dx_block dx;
  struct fsf_dx_entry e;

  fmt_of (&fmt, 65536, true);
  make_node (blk, &fmt, 8190);
  CU_ASSERT_EQUAL (fsf_le16 (blk + 4), 65535);
  CU_ASSERT_EQUAL_FATAL (fsf_dx_node_decode (blk, 65536, &fmt, &dx), 0);
  CU_ASSERT_EQUAL (dx.limit, 8190);
  CU_ASSERT_EQUAL (dx.count, 8190);
  fsf_dx_entry_get (blk, &dx, 8189, &e);
  CU_ASSERT_EQUAL (e.block, 8190);
  CU_ASSERT_TRUE (fsf_dx_csum_verify (&fmt, INO, GEN, blk, 65536));
  fmt_of (&fmt, 65536, false);
  make_node (blk, &fmt, 8191);
  CU_ASSERT_EQUAL (fsf_dx_node_decode (blk, 65536, &fmt, &dx), 0);
  CU_ASSERT_EQUAL (dx.limit, 8191);
  make_root (blk, &fmt, 8188);
  CU_ASSERT_EQUAL (fsf_dx_root_decode (blk, 65536, &fmt, &dx), 0);
  CU_ASSERT_EQUAL (dx.limit, 8188);
}

static void
test_dx__trailing_garbage_is_ignored (void)
{
  struct fsf_dir_fmt fmt;
  struct fsf_dx_block dx;

  fmt_of (&fmt, 1024, true);
  make_root (blk, &fmt, 3);
  memset (blk + 1024, 0x5a, 512);
  CU_ASSERT_EQUAL (fsf_dx_root_decode (blk, 1536, &fmt, &dx), 0);
  CU_ASSERT_TRUE (fsf_dx_csum_verify (&fmt, INO, GEN, blk, 1536));
}

/* Random and mutated blocks: every decoder returns, none reads outside
 * the block (ASan would say), every answer is 0 or an enum fsf_bad.
 */
static void
test_dir__random_bytes_never_crash (void)
{
  static const uint32_t sizes[] = { 1024, 4096, 65536 };
  uint32_t x = 12345;
  int round;

  for (round = 0; round < 600; round++) {
    struct fsf_dir_fmt fmt;
    struct fsf_dx_block dx;
    uint32_t bs = sizes[round % 3], i, c;
    uint8_t *b = malloc (bs);
    int r;

    CU_ASSERT_PTR_NOT_NULL_FATAL (b);
    fmt_of (&fmt, bs, round & 1);
    fmt.filetype = round & 2;
    /* Start from a valid block a third of the time, then mutate. */
    if (round % 3 == 0)
      make_leaf (b, &fmt, three, 3);
    else if (round % 3 == 1)
      make_root (b, &fmt, 3);
    for (i = 0; i < (round % 3 == 2 ? bs : 8); i++) {
      x = x * 1103515245 + 12345;
      if (round % 3 == 2)
        b[i] = (uint8_t) (x >> 16);
      else
        b[(x >> 8) % 64] = (uint8_t) (x >> 24);
    }
    r = fsf_dir_block_iterate (b, bs, &fmt, NULL, NULL, NULL);
    CU_ASSERT (r >= 0 && r <= FSF_BAD_UNSUPPORTED);
    r = fsf_dx_root_decode (b, bs, &fmt, &dx);
    CU_ASSERT (r >= 0 && r <= FSF_BAD_UNSUPPORTED);
    if (r == 0)
      CU_ASSERT (dx.count <= dx.limit);
    r = fsf_dx_node_decode (b, bs, &fmt, &dx);
    CU_ASSERT (r >= 0 && r <= FSF_BAD_UNSUPPORTED);
    fsf_dir_block_csum_verify (&fmt, INO, GEN, b, bs);
    fsf_dx_csum_verify (&fmt, INO, GEN, b, bs);
    r = fsf_dx_csum (&fmt, INO, GEN, b, bs, &c);
    CU_ASSERT (r >= 0 && r <= FSF_BAD_UNSUPPORTED);
    free (b);
  }
}

/* --- real images ---------------------------------------------------- */

struct image {
  char dir[64];
  char img[96];
  int fd;
  struct fsf_sb sb;
  struct fsf_dir_fmt fmt;
};

/* Run cmd, return its output (static buffer, NUL-terminated). */
static char *
run (const char *cmd)
{
  static char out[1 << 20];
  size_t n;
  FILE *fp = popen (cmd, "r");

  if (fp == NULL)
    return NULL;
  n = fread (out, 1, sizeof out - 1, fp);
  out[n] = '\0';
  pclose (fp);
  return out;
}

/* The tree the images copy: /dir with 5000 files, /small with 3.  Made
 * once per run (creating 5000 files is most of an image's cost) and
 * removed at exit.
 */
static char tree[] = "/tmp/nbdscrub-unit-dirtree.XXXXXX";

static void
tree_remove (void)
{
  char cmd[128];

  snprintf (cmd, sizeof cmd, "rm -rf %s", tree);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", tree);
}

static void
tree_make (void)
{
  static bool made;
  char cmd[512];

  if (made)
    return;
  CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (tree));
  atexit (tree_remove);
  snprintf (cmd, sizeof cmd,
            "(set -e; cd %s; mkdir -p dir small; "
            "touch small/one small/two small/three; "
            "cd dir; seq -f 'file-with-a-longer-name-%%05g' 0 4999 "
            "| xargs touch) >/dev/null 2>&1", tree);
  CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
  made = true;
}

/* mke2fs -d of the tree, /dir given a generation, then e2fsck -fD to
 * index /dir (mke2fs -d never builds an htree).
 */
static void
image_make (struct image *im, const char *mkfs_opts)
{
  char cmd[1024];
  uint8_t sb[FSF_SB_SIZE];

  tree_make ();
  strcpy (im->dir, "/tmp/nbdscrub-unit-dir.XXXXXX");
  CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (im->dir));
  snprintf (im->img, sizeof im->img, "%s/fs.img", im->dir);
  snprintf (cmd, sizeof cmd,
            "(set -e; cd %s; "
            "mke2fs -q -F -N 8000 %s -d %s fs.img 16M; "
            "debugfs -w -R 'sif /dir generation 0x%x' fs.img; "
            "e2fsck -fyD fs.img || [ $? -le 1 ]) >/dev/null 2>&1",
            im->dir, mkfs_opts, tree, GEN);
  CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
  im->fd = open (im->img, O_RDONLY);
  CU_ASSERT_FATAL (im->fd >= 0);
  CU_ASSERT_EQUAL_FATAL (pread (im->fd, sb, sizeof sb, FSF_SB_OFFSET),
                         (ssize_t) sizeof sb);
  CU_ASSERT_EQUAL_FATAL (fsf_sb_decode (sb, sizeof sb, &im->sb), 0);
  fsf_dir_fmt_init (&im->fmt, &im->sb);
}

static void
image_free (struct image *im)
{
  char cmd[128];

  close (im->fd);
  snprintf (cmd, sizeof cmd, "rm -rf %s", im->dir);
  CU_ASSERT_EQUAL (system (cmd), 0);
}

/* Physical blocks of path, in logical order (debugfs "blocks"). */
static int
image_blocks (struct image *im, const char *path, uint64_t *blocks, int max)
{
  char cmd[256], *p, *end;
  int n = 0;

  snprintf (cmd, sizeof cmd, "debugfs -R 'blocks %s' %s 2>/dev/null", path,
            im->img);
  p = run (cmd);
  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  while (n < max) {
    uint64_t b = strtoull (p, &end, 10);

    if (end == p)
      break;
    blocks[n++] = b;
    p = end;
  }
  return n;
}

static void
image_read (struct image *im, uint64_t block, uint8_t *buf)
{
  uint32_t bs = im->sb.block_size;

  CU_ASSERT_EQUAL_FATAL (pread (im->fd, buf, bs, (off_t) (block * bs)),
                         (ssize_t) bs);
}

/* "ino/name" strings: what the leaves hold, what debugfs ls prints. */
struct names {
  int n;
  char **s;
};

static void
names_add (struct names *nm, uint32_t ino, const uint8_t *name, int len)
{
  char *s;

  CU_ASSERT_FATAL (asprintf (&s, "%u/%.*s", ino, len, name) > 0);
  nm->s = realloc (nm->s, sizeof *nm->s * (size_t) (nm->n + 1));
  CU_ASSERT_PTR_NOT_NULL_FATAL (nm->s);
  nm->s[nm->n++] = s;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
names_free (struct names *nm)
{
  int i;

  for (i = 0; i < nm->n; i++)
    free (nm->s[i]);
  free (nm->s);
}

/* debugfs ls -p: "/ino/mode/uid/gid/name/size/" per line. */
static void
debugfs_ls (struct image *im, const char *path, struct names *nm)
{
  char cmd[256], *line, *save = NULL;

  snprintf (cmd, sizeof cmd, "debugfs -R 'ls -p %s' %s 2>/dev/null", path,
            im->img);
  for (line = strtok_r (run (cmd), "\n", &save); line;
       line = strtok_r (NULL, "\n", &save)) {
    unsigned ino;
    char name[300];

    if (sscanf (line, "/%u/%*[^/]/%*[^/]/%*[^/]/%299[^/]/", &ino, name) == 2)
      names_add (nm, ino, (const uint8_t *) name, (int) strlen (name));
  }
}

struct leaf_walk {
  struct names *nm;
  struct image *im;
  int hash_version;
  uint32_t lo, hi;      /* the hash range the index gives this leaf */
  int out_of_range;
};

static int
leaf_entry (const struct fsf_dirent *de, void *opaque)
{
  struct leaf_walk *w = opaque;
  uint32_t h;

  if (de->inode == 0)
    return 0;
  names_add (w->nm, de->inode, de->name, de->name_len);
  if (w->hash_version >= 0 && !(de->name_len <= 2 && de->name[0] == '.')) {
    CU_ASSERT_EQUAL (fsf_dirhash (w->hash_version, de->name, de->name_len,
                                  w->im->sb.hash_seed, &h, NULL), 0);
    if (h < (w->lo & ~1U) || h > w->hi)
      w->out_of_range++;
  }
  return 0;
}

/* One leaf: walks, verifies (and fails after a flipped byte). */
static void
check_leaf (struct leaf_walk *w, uint8_t *buf)
{
  struct fsf_dir_fmt *fmt = &w->im->fmt;
  uint32_t bs = fmt->block_size;

  CU_ASSERT_EQUAL (fsf_dir_block_iterate (buf, bs, fmt, leaf_entry, w,
                                          NULL), 0);
  if (fmt->csum) {
    CU_ASSERT_TRUE (fsf_dir_block_csum_verify (fmt, INO, GEN, buf, bs));
    buf[bs / 2] ^= 1;
    CU_ASSERT_FALSE (fsf_dir_block_csum_verify (fmt, INO, GEN, buf, bs));
    buf[bs / 2] ^= 1;
  }
}

static void
check_dx_csum (struct image *im, uint8_t *buf)
{
  uint32_t bs = im->fmt.block_size;

  if (!im->fmt.csum)
    return;
  CU_ASSERT_TRUE (fsf_dx_csum_verify (&im->fmt, INO, GEN, buf, bs));
  buf[0x2c] ^= 1;
  CU_ASSERT_FALSE (fsf_dx_csum_verify (&im->fmt, INO, GEN, buf, bs));
  buf[0x2c] ^= 1;
}

/* The root's entries as debugfs htree prints them, before the first
 * interior dump: "Entry #i: Hash 0x..., block n".
 */
static void
compare_root_with_debugfs (struct image *im, const uint8_t *root,
                           const struct fsf_dx_block *dx)
{
  char cmd[256], *out, *p;
  unsigned i, n = 0;

  snprintf (cmd, sizeof cmd, "debugfs -R 'htree /dir' %s 2>/dev/null",
            im->img);
  out = run (cmd);
  p = strstr (out, "Number of entries (count): ");
  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  CU_ASSERT_EQUAL (strtoul (p + 27, NULL, 10), dx->count);
  p = strstr (out, "Number of entries (limit): ");
  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  CU_ASSERT_EQUAL (strtoul (p + 27, NULL, 10), dx->limit);
  for (i = 0; i < dx->count; i++) {
    struct fsf_dx_entry e;
    unsigned idx, hash, block;

    p = strstr (p, "Entry #");
    CU_ASSERT_PTR_NOT_NULL_FATAL (p);
    CU_ASSERT_EQUAL_FATAL (sscanf (p, "Entry #%u: Hash 0x%x, block %u", &idx,
                                   &hash, &block), 3);
    fsf_dx_entry_get (root, dx, i, &e);
    CU_ASSERT_EQUAL (idx, i);
    CU_ASSERT_EQUAL (hash, e.hash);
    CU_ASSERT_EQUAL (block, e.block);
    n++;
    p++;
  }
  CU_ASSERT_EQUAL (n, dx->count);
}

/* Every leaf entry debugfs htree prints ("ino 0xhash-minor (rec_len)
 * name") hashes the same here, with the filesystem's seed and version.
 */
static void
compare_hashes_with_debugfs (struct image *im, int version)
{
  char cmd[256], *line, *save = NULL;
  int n = 0, wrong = 0;

  snprintf (cmd, sizeof cmd, "debugfs -R 'htree /dir' %s 2>/dev/null",
            im->img);
  for (line = strtok_r (run (cmd), "\n", &save); line;
       line = strtok_r (NULL, "\n", &save)) {
    unsigned ino, hash, minor, rec_len;
    char name[300];
    uint32_t h, m;

    if (sscanf (line, "%u 0x%x-%x (%u) %299s", &ino, &hash, &minor,
                &rec_len, name) != 5)
      continue;
    CU_ASSERT_EQUAL (fsf_dirhash (version, (const uint8_t *) name,
                                  strlen (name), im->sb.hash_seed, &h, &m),
                     0);
    if (h != hash || m != minor)
      wrong++;
    n++;
  }
  CU_ASSERT_EQUAL (n, 5000);
  CU_ASSERT_EQUAL (wrong, 0);
}

/* Walk /dir's htree from the root: every index block decodes and its
 * checksum verifies, every leaf walks and verifies, every name hashes into
 * its leaf's range, and the names equal what debugfs ls lists.
 */
static void
check_htree_image (const char *mkfs_opts, uint32_t want_levels)
{
  static uint64_t blocks[4096];
  static uint8_t root[65536], node[65536], leaf[65536];
  struct image im;
  struct fsf_dx_block dx, dn;
  struct names got = { 0 }, want = { 0 };
  struct leaf_walk w = { 0 };
  int nblocks, i, leaves = 0;
  unsigned j, k;

  image_make (&im, mkfs_opts);
  nblocks = image_blocks (&im, "/dir", blocks, 4096);
  CU_ASSERT_FATAL (nblocks > 2);
  image_read (&im, blocks[0], root);
  CU_ASSERT_EQUAL_FATAL (fsf_dx_root_decode (root, im.sb.block_size,
                                             &im.fmt, &dx), 0);
  CU_ASSERT_EQUAL (dx.indirect_levels, want_levels);
  compare_root_with_debugfs (&im, root, &dx);
  CU_ASSERT_EQUAL (fsf_dx_blocks_in_range (root, &dx, (uint32_t) nblocks), 0);
  check_dx_csum (&im, root);

  w.nm = &got;
  w.im = &im;
  w.hash_version = -1;
  /* "." and ".." live in the root. */
  {
    struct fsf_dir_fmt nocsum = im.fmt;

    nocsum.csum = false;
    CU_ASSERT_EQUAL (fsf_dir_block_iterate (root, im.sb.block_size, &nocsum,
                                            leaf_entry, &w, NULL), 0);
  }
  w.hash_version = fsf_dirhash_version (dx.hash_version, im.sb.flags);
  compare_hashes_with_debugfs (&im, w.hash_version);
  for (j = 0; j < dx.count; j++) {
    struct fsf_dx_entry e, next;
    uint32_t hi = UINT32_MAX;

    fsf_dx_entry_get (root, &dx, j, &e);
    if (j + 1 < dx.count) {
      fsf_dx_entry_get (root, &dx, j + 1, &next);
      hi = next.hash;
    }
    CU_ASSERT_FATAL (e.block < (uint32_t) nblocks);
    if (dx.indirect_levels == 0) {
      image_read (&im, blocks[e.block], leaf);
      w.lo = e.hash;
      w.hi = hi;
      check_leaf (&w, leaf);
      leaves++;
      continue;
    }
    image_read (&im, blocks[e.block], node);
    CU_ASSERT_EQUAL_FATAL (fsf_dx_node_decode (node, im.sb.block_size,
                                               &im.fmt, &dn), 0);
    check_dx_csum (&im, node);
    CU_ASSERT_EQUAL (fsf_dx_blocks_in_range (node, &dn, (uint32_t) nblocks),
                     0);
    for (k = 0; k < dn.count; k++) {
      struct fsf_dx_entry le, ln;

      fsf_dx_entry_get (node, &dn, k, &le);
      w.lo = k ? le.hash : e.hash;
      w.hi = hi;
      if (k + 1 < dn.count) {
        fsf_dx_entry_get (node, &dn, k + 1, &ln);
        w.hi = ln.hash;
      }
      CU_ASSERT_FATAL (le.block < (uint32_t) nblocks);
      image_read (&im, blocks[le.block], leaf);
      check_leaf (&w, leaf);
      leaves++;
    }
  }
  CU_ASSERT_EQUAL (w.out_of_range, 0);
  CU_ASSERT (leaves > 1);

  debugfs_ls (&im, "/dir", &want);
  CU_ASSERT_EQUAL (want.n, 5000 + 2);
  CU_ASSERT_EQUAL_FATAL (got.n, want.n);
  qsort (got.s, (size_t) got.n, sizeof *got.s, cmp_str);
  qsort (want.s, (size_t) want.n, sizeof *want.s, cmp_str);
  for (i = 0; i < got.n; i++)
    CU_ASSERT_STRING_EQUAL (got.s[i], want.s[i]);

  /* A linear one-block directory beside it. */
  names_free (&got);
  names_free (&want);
  memset (&got, 0, sizeof got);
  memset (&want, 0, sizeof want);
  w.hash_version = -1;
  CU_ASSERT_EQUAL (image_blocks (&im, "/small", blocks, 4096), 1);
  image_read (&im, blocks[0], leaf);
  CU_ASSERT_EQUAL (fsf_dir_block_iterate (leaf, im.sb.block_size, &im.fmt,
                                          leaf_entry, &w, NULL), 0);
  debugfs_ls (&im, "/small", &want);
  CU_ASSERT_EQUAL (want.n, 5);
  CU_ASSERT_EQUAL_FATAL (got.n, want.n);
  qsort (got.s, (size_t) got.n, sizeof *got.s, cmp_str);
  qsort (want.s, (size_t) want.n, sizeof *want.s, cmp_str);
  for (i = 0; i < got.n; i++)
    CU_ASSERT_STRING_EQUAL (got.s[i], want.s[i]);
  names_free (&got);
  names_free (&want);
  image_free (&im);
}

static void
test_dir__real_ext4_4k_metadata_csum (void)
{
  check_htree_image ("-t ext4 -b 4096 -O metadata_csum", 0);
}

static void
test_dir__real_ext4_4k_without_metadata_csum (void)
{
  check_htree_image ("-t ext4 -b 4096 -O ^metadata_csum", 0);
}

static void
test_dir__real_ext4_1k_two_levels (void)
{
  check_htree_image ("-t ext4 -b 1024 -O metadata_csum", 1);
}

/* 64 KiB blocks: the largest; ".." and the last leaf entries have
 * rec_len near 65536, in the encoding's range.
 */
static void
test_dir__real_ext4_64k (void)
{
  check_htree_image ("-t ext4 -b 65536 -O metadata_csum", 0);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_dir__rec_len_encoding_at_64k),
  UNIT_TEST (test_dir__good_leaf_iterates_every_entry),
  UNIT_TEST (test_dir__truncated_by_one_byte_fails),
  UNIT_TEST (test_dir__missing_tail_fails),
  UNIT_TEST (test_dir__any_flipped_byte_breaks_the_checksum),
  UNIT_TEST (test_dir__bad_rec_len_is_refused_at_its_entry),
  UNIT_TEST (test_dir__entries_must_reach_the_tail_exactly),
  UNIT_TEST (test_dir__maximum_values),
  UNIT_TEST (test_dir__trailing_garbage_is_ignored),
  UNIT_TEST (test_dir__no_filetype_name_len_is_16_bits),
  UNIT_TEST (test_dir__callback_stops_the_walk),
  UNIT_TEST (test_dx__good_root_decodes),
  UNIT_TEST (test_dx__truncated_by_one_byte_fails),
  UNIT_TEST (test_dx__bad_root_shape_fails),
  UNIT_TEST (test_dx__bad_node_shape_fails),
  UNIT_TEST (test_dx__any_flipped_byte_breaks_the_checksum),
  UNIT_TEST (test_dx__maximum_values),
  UNIT_TEST (test_dx__trailing_garbage_is_ignored),
  UNIT_TEST (test_dir__random_bytes_never_crash),
  UNIT_TEST (test_dir__real_ext4_4k_metadata_csum),
  UNIT_TEST (test_dir__real_ext4_4k_without_metadata_csum),
  UNIT_TEST (test_dir__real_ext4_1k_two_levels),
  UNIT_TEST (test_dir__real_ext4_64k),
};

UNIT_MAIN ("fsformat/dir", tests)
