/* Unit tests: indirect block maps (fsformat/blockmap.c). */

#include <errno.h>
#include <string.h>

#include "blockmap.h"
#include "bytes.h"
#include "fsf-image.h"
#include "inode.h"
#include "unit.h"

/* --- a synthetic filesystem in memory: 1 KiB blocks, A = 256 --------- */

#define BS 1024
#define A 256
#define NBLOCKS 2048

static uint8_t disk[NBLOCKS * BS];
static struct fsf_image_mem mem;
static struct fsf_sb sb;
static uint8_t iblock[60];

static void
reset (void)
{
  memset (disk, 0, sizeof disk);
  memset (iblock, 0, sizeof iblock);
  fsf_image_mem_over (&mem, disk, sizeof disk);
  memset (&sb, 0, sizeof sb);
  sb.block_size = BS;
  sb.blocks_count = NBLOCKS;
  sb.first_data_block = 1;
}

static void
set_root (unsigned i, uint32_t b)
{
  fsf_put_le32 (iblock + 4 * i, b);
}

static void
set_entry (uint64_t map, unsigned i, uint32_t b)
{
  fsf_put_le32 (disk + map * BS + 4 * i, b);
}

struct rec {
  uint32_t logical[8192];
  uint64_t physical[8192];
  size_t n_data;
  uint64_t map[1024];
  unsigned kind[1024];
  uint32_t map_logical[1024];
  size_t n_map;
  struct fsf_blockmap_where bad_at[16];
  int bad[16];
  size_t n_bad;
  size_t stop_after;
};

static int
rec_data (void *opaque, uint32_t logical, uint64_t physical)
{
  struct rec *r = opaque;

  if (r->n_data < 8192) {
    r->logical[r->n_data] = logical;
    r->physical[r->n_data] = physical;
  }
  r->n_data++;
  if (r->stop_after && r->n_data == r->stop_after)
    return -ECANCELED;
  return 0;
}

static int
rec_map (void *opaque, const struct fsf_blockmap_where *at, unsigned kind,
         uint32_t logical)
{
  struct rec *r = opaque;

  if (r->n_map < 1024) {
    r->map[r->n_map] = at->block;
    r->kind[r->n_map] = kind;
    r->map_logical[r->n_map] = logical;
  }
  r->n_map++;
  return 0;
}

static int
rec_bad (void *opaque, const struct fsf_blockmap_where *at, int bad)
{
  struct rec *r = opaque;

  if (r->n_bad < 16) {
    r->bad_at[r->n_bad] = *at;
    r->bad[r->n_bad] = bad;
  }
  r->n_bad++;
  return 0;
}

static struct rec r;

static int
walk (unsigned flags)
{
  struct fsf_blockmap_visitor v = { rec_data, rec_map, rec_bad, &r };

  memset (&r, 0, sizeof r);
  return fsf_blockmap_walk (&mem.src, &sb, iblock, &v, flags);
}

static void
expect_bad (int bad, uint64_t block, unsigned level, int entry)
{
  CU_ASSERT (r.n_bad >= 1);
  if (r.n_bad >= 1) {
    CU_ASSERT_EQUAL (r.bad[0], bad);
    CU_ASSERT_EQUAL (r.bad_at[0].block, block);
    CU_ASSERT_EQUAL (r.bad_at[0].level, level);
    CU_ASSERT_EQUAL (r.bad_at[0].entry, entry);
  }
}

/* Direct blocks, one IND, one DIND and one TIND, with holes. */
static void
full_map (void)
{
  reset ();
  set_root (0, 100);
  set_root (11, 111);                   /* 1..10 are holes */
  set_root (12, 200);                   /* IND */
  set_entry (200, 0, 201);
  set_entry (200, 255, 202);
  set_root (13, 300);                   /* DIND */
  set_entry (300, 1, 301);              /* entry 0 a hole */
  set_entry (301, 2, 302);
  set_root (14, 400);                   /* TIND */
  set_entry (400, 0, 401);
  set_entry (401, 0, 402);
  set_entry (402, 0, 403);
}

static void
test_fsformat_blockmap__walks_every_level_in_order (void)
{
  const uint32_t dind0 = 12 + A, tind0 = 12 + A + A * A;

  full_map ();
  CU_ASSERT_EQUAL (walk (0), 0);
  CU_ASSERT_EQUAL (r.n_bad, 0);
  CU_ASSERT_EQUAL_FATAL (r.n_data, 6);
  CU_ASSERT (r.logical[0] == 0 && r.physical[0] == 100);
  CU_ASSERT (r.logical[1] == 11 && r.physical[1] == 111);
  CU_ASSERT (r.logical[2] == 12 && r.physical[2] == 201);
  CU_ASSERT (r.logical[3] == 12 + 255 && r.physical[3] == 202);
  CU_ASSERT (r.logical[4] == dind0 + A + 2 && r.physical[4] == 302);
  CU_ASSERT (r.logical[5] == tind0 && r.physical[5] == 403);
  CU_ASSERT_EQUAL_FATAL (r.n_map, 6);
  CU_ASSERT (r.map[0] == 200 && r.kind[0] == 1 && r.map_logical[0] == 12);
  CU_ASSERT (r.map[1] == 300 && r.kind[1] == 2
             && r.map_logical[1] == dind0);
  CU_ASSERT (r.map[2] == 301 && r.kind[2] == 1
             && r.map_logical[2] == dind0 + A);
  CU_ASSERT (r.map[3] == 400 && r.kind[3] == 3);
  CU_ASSERT (r.map[4] == 401 && r.kind[4] == 2);
  CU_ASSERT (r.map[5] == 402 && r.kind[5] == 1
             && r.map_logical[5] == tind0);
  /* An all-hole map and a NULL visitor. */
  reset ();
  CU_ASSERT_EQUAL (walk (0), 0);
  CU_ASSERT (r.n_data == 0 && r.n_map == 0);
  full_map ();
  CU_ASSERT_EQUAL (fsf_blockmap_walk (&mem.src, &sb, iblock, NULL, 0), 0);
}

static void
test_fsformat_blockmap__max_blocks_by_block_size (void)
{
  struct fsf_sb s;

  memset (&s, 0, sizeof s);
  s.block_size = 1024;
  CU_ASSERT_EQUAL (fsf_blockmap_max_blocks (&s),
                   12 + 256 + 256 * 256 + 256ULL * 256 * 256);
  s.block_size = 4096;
  CU_ASSERT_EQUAL (fsf_blockmap_max_blocks (&s),
                   12 + 1024 + 1024 * 1024 + 1024ULL * 1024 * 1024);
  s.block_size = 65536;                 /* the maximum: 32-bit logical */
  CU_ASSERT_EQUAL (fsf_blockmap_max_blocks (&s), 1ULL << 32);
}

static void
test_fsformat_blockmap__out_of_range_entries_fail (void)
{
  static const uint32_t bad[] = { NBLOCKS, NBLOCKS + 1, UINT32_MAX };
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    full_map ();
    set_entry (301, 7, bad[i]);
    CU_ASSERT_EQUAL (walk (0), FSF_BAD_RANGE);
    expect_bad (FSF_BAD_RANGE, 301, 2, 7);
    CU_ASSERT_EQUAL (r.n_data, 5);      /* stopped after 302 */
  }
  /* first_data_block 1: block 0 is no block of the fs (0 is a hole,
   * so try a map whose first data block is 1 and one above it).
   */
  full_map ();
  sb.first_data_block = 150;
  CU_ASSERT_EQUAL (walk (0), FSF_BAD_RANGE);
  expect_bad (FSF_BAD_RANGE, 0, 0, 0);
  /* A map block out of range: not read, not claimed. */
  full_map ();
  set_root (13, NBLOCKS);
  CU_ASSERT_EQUAL (walk (FSF_BLOCKMAP_WALK_KEEP_GOING), FSF_BAD_RANGE);
  expect_bad (FSF_BAD_RANGE, 0, 0, 13);
  CU_ASSERT_EQUAL (r.n_map, 4);
  CU_ASSERT_EQUAL (r.n_data, 5);
}

/* With 64 KiB blocks the TIND range passes 2^32: entries there are
 * out of range, holes are not.
 */
static void
test_fsformat_blockmap__logical_past_2_32_fails (void)
{
  static uint8_t big[4 * 65536];
  const uint64_t a = 16384;
  uint64_t first_bad_dind = ((1ULL << 32) - 12 - a - a * a) / (a * a);

  memset (big, 0, sizeof big);
  reset ();
  sb.block_size = 65536;
  sb.blocks_count = 4;
  sb.first_data_block = 0;
  fsf_image_mem_over (&mem, big, sizeof big);
  set_root (14, 1);                             /* TIND */
  fsf_put_le32 (big + 65536 + 4 * (first_bad_dind - 1), 2);
  CU_ASSERT_EQUAL (walk (0), 0);                /* a DIND of holes */
  CU_ASSERT_EQUAL (r.n_map, 2);
  fsf_put_le32 (big + 65536 + 4 * (first_bad_dind + 1), 3);
  CU_ASSERT_EQUAL (walk (0), FSF_BAD_RANGE);
  expect_bad (FSF_BAD_RANGE, 1, 1, (int) first_bad_dind + 1);
}

/* A map block naming itself or a block above it. */
static void
test_fsformat_blockmap__self_reference_is_a_loop (void)
{
  full_map ();
  set_entry (200, 3, 200);              /* IND names itself as data */
  CU_ASSERT_EQUAL (walk (0), FSF_BAD_LOOP);
  expect_bad (FSF_BAD_LOOP, 200, 1, 3);
  full_map ();
  set_entry (402, 9, 400);              /* the TIND, two levels up */
  CU_ASSERT_EQUAL (walk (FSF_BLOCKMAP_WALK_KEEP_GOING), FSF_BAD_LOOP);
  expect_bad (FSF_BAD_LOOP, 402, 3, 9);
  CU_ASSERT_EQUAL (r.n_data, 6);
}

/* A DIND whose every entry is the same IND of 256 data blocks claims
 * 65,536 + 256 blocks of a 2,048-block fs: stopped at the bound.
 */
static void
test_fsformat_blockmap__claims_are_bounded (void)
{
  unsigned i;

  reset ();
  set_root (13, 10);
  for (i = 0; i < A; i++) {
    set_entry (10, i, 11);
    set_entry (11, i, 20 + i);
  }
  CU_ASSERT_EQUAL (walk (FSF_BLOCKMAP_WALK_KEEP_GOING), FSF_BAD_LOOP);
  CU_ASSERT_EQUAL (r.n_data + r.n_map, NBLOCKS - 1);
  CU_ASSERT_EQUAL (r.n_bad, 1);
  /* Fewer repeats fit, and walk. */
  for (i = 4; i < A; i++)
    set_entry (10, i, 0);
  CU_ASSERT_EQUAL (walk (0), 0);
  CU_ASSERT_EQUAL (r.n_data, 4 * A);
}

static void
test_fsformat_blockmap__keep_going_reports_each (void)
{
  full_map ();
  set_root (1, NBLOCKS + 5);
  set_entry (200, 9, UINT32_MAX);
  set_entry (301, 3, 301);
  CU_ASSERT_EQUAL (walk (FSF_BLOCKMAP_WALK_KEEP_GOING), FSF_BAD_RANGE);
  CU_ASSERT_EQUAL_FATAL (r.n_bad, 3);
  CU_ASSERT (r.bad_at[0].block == 0 && r.bad_at[0].entry == 1);
  CU_ASSERT (r.bad_at[1].block == 200 && r.bad_at[1].entry == 9);
  CU_ASSERT (r.bad[2] == FSF_BAD_LOOP && r.bad_at[2].block == 301);
  CU_ASSERT_EQUAL (r.n_data, 6);
}

/* The source ends one byte short of the TIND's last map block. */
static void
test_fsformat_blockmap__truncated_source_fails (void)
{
  full_map ();
  mem.src.size = 403 * BS - 1;
  CU_ASSERT_EQUAL (walk (0), -EIO);
  CU_ASSERT_EQUAL (r.n_data, 5);
  mem.src.size = 403 * BS;
  CU_ASSERT_EQUAL (walk (0), 0);
}

static void
test_fsformat_blockmap__callback_stops_the_walk (void)
{
  struct fsf_blockmap_visitor v = { rec_data, rec_map, rec_bad, &r };

  full_map ();
  memset (&r, 0, sizeof r);
  r.stop_after = 3;
  CU_ASSERT_EQUAL (fsf_blockmap_walk (&mem.src, &sb, iblock, &v, 0),
                   -ECANCELED);
  CU_ASSERT_EQUAL (r.n_data, 3);
}

/* --- real ext3 images, compared with debugfs stat's BLOCKS ------------ */

/* Parse "(0-11):1319-1330, (IND):1331, (12):1332, ..." into data blocks
 * (expanded) and map blocks in order.
 */
static void
parse_blocks (const char *stat, struct rec *want)
{
  const char *p = strstr (stat, "BLOCKS:");
  const char *end;

  memset (want, 0, sizeof *want);
  if (p == NULL)
    return;
  end = strstr (p, "TOTAL:");
  while ((p = strchr (p, '(')) != NULL && (end == NULL || p < end)) {
    unsigned long long l0, l1, p0, p1;
    char kind[8];

    if (sscanf (p, "(%7[A-Z]):%llu", kind, &p0) == 2) {
      want->map[want->n_map] = p0;
      want->kind[want->n_map] = kind[0] == 'I' ? 1 : kind[0] == 'D' ? 2 : 3;
      want->n_map++;
    }
    else if (sscanf (p, "(%llu-%llu):%llu-%llu", &l0, &l1, &p0, &p1) == 4
             || (sscanf (p, "(%llu):%llu", &l0, &p0) == 2
                 && (l1 = l0, p1 = p0, true))) {
      for (; l0 <= l1 && want->n_data < 8192; l0++, p0++) {
        want->logical[want->n_data] = (uint32_t) l0;
        want->physical[want->n_data] = p0;
        want->n_data++;
      }
    }
    p++;
  }
}

static void
compare_with_stat (const struct fsf_image *img, const char *path)
{
  static struct rec want;
  struct fsf_blockmap_visitor v = { rec_data, rec_map, rec_bad, &r };
  uint8_t buf[1024];
  struct fsf_inode ino;
  uint32_t n;
  char req[256], *out;
  unsigned long long total;
  size_t i;

  CU_ASSERT_TRUE_FATAL (fsf_image_inode (img, path, &n, buf, &ino));
  CU_ASSERT_FALSE (ino.flags & FSF_EXTENTS_FL);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (fsf_blockmap_walk (&img->src, &img->sb, ino.i_block, &v,
                                      0), 0);
  snprintf (req, sizeof req, "stat %s", path);
  out = fsf_image_debugfs (img, req);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  parse_blocks (out, &want);
  CU_ASSERT_TRUE (fsf_image_stat_field (out, "TOTAL: ", &total)
                  && total == r.n_data + r.n_map);
  free (out);
  CU_ASSERT (r.n_data > 0);
  CU_ASSERT_EQUAL_FATAL (r.n_data, want.n_data);
  CU_ASSERT_EQUAL_FATAL (r.n_map, want.n_map);
  for (i = 0; i < r.n_data && i < 8192; i++)
    if (r.logical[i] != want.logical[i] || r.physical[i] != want.physical[i])
      CU_FAIL ("data block differs from debugfs");
  for (i = 0; i < r.n_map && i < 1024; i++)
    CU_ASSERT (r.map[i] == want.map[i] && r.kind[i] == want.kind[i]);
  /* i_blocks counts every block of the walk. */
  CU_ASSERT_EQUAL (fsf_inode_blocks_bytes (&img->sb, &ino),
                   (r.n_data + r.n_map) * img->sb.block_size);
}

static const char tree[] =
  "printf hello > small; "
  "dd if=/dev/urandom of=dind bs=1k count=3000 status=none; "
  "dd if=/dev/urandom of=tind bs=1k count=5 seek=70000 status=none; "
  "dd if=/dev/urandom of=holes bs=1k count=1 seek=5 status=none; "
  "dd if=/dev/urandom of=holes bs=1k count=2 seek=600 conv=notrunc "
  "status=none";

static void
test_fsformat_blockmap__ext3_1k_image_matches_debugfs (void)
{
  struct fsf_image img;

  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree, "-t ext3 -b 1024",
                                        "16M"));
  compare_with_stat (&img, "/small");
  compare_with_stat (&img, "/dind");
  CU_ASSERT_EQUAL (r.n_map, 1 + 1 + (3000 - 12 - 256 + 255) / 256);
  compare_with_stat (&img, "/tind");
  CU_ASSERT (r.n_map == 3 && r.kind[0] == 3);
  compare_with_stat (&img, "/holes");
  fsf_image_close (&img);
}

static void
test_fsformat_blockmap__ext3_4k_image_matches_debugfs (void)
{
  struct fsf_image img;

  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree, "-t ext3 -b 4096",
                                        "32M"));
  compare_with_stat (&img, "/dind");
  compare_with_stat (&img, "/tind");
  compare_with_stat (&img, "/holes");
  fsf_image_close (&img);
}

/* Damage in a copy of a real map: the walk says which block. */
static void
test_fsformat_blockmap__ext3_damaged_map_is_located (void)
{
  struct fsf_blockmap_visitor v = { rec_data, rec_map, rec_bad, &r };
  struct fsf_image img;
  struct fsf_image_mem m;
  uint8_t buf[1024];
  struct fsf_inode ino;
  uint32_t n, ind;

  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree, "-t ext3 -b 1024",
                                        "16M"));
  CU_ASSERT_TRUE_FATAL (fsf_image_inode (&img, "/dind", &n, buf, &ino));
  CU_ASSERT_TRUE_FATAL (fsf_image_mem_load (&img, &m));
  ind = fsf_inode_i_block (&ino, FSF_BLOCKMAP_IND);
  fsf_put_le32 (m.bytes + (uint64_t) ind * 1024 + 4 * 17,
                (uint32_t) img.sb.blocks_count);
  memset (&r, 0, sizeof r);
  CU_ASSERT_EQUAL (fsf_blockmap_walk (&m.src, &img.sb, ino.i_block, &v, 0),
                   FSF_BAD_RANGE);
  CU_ASSERT (r.n_bad == 1 && r.bad_at[0].block == ind
             && r.bad_at[0].entry == 17 && r.bad_at[0].level == 1);
  CU_ASSERT_EQUAL (r.n_data, 12 + 17);
  free (m.bytes);
  fsf_image_close (&img);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_fsformat_blockmap__walks_every_level_in_order),
  UNIT_TEST (test_fsformat_blockmap__max_blocks_by_block_size),
  UNIT_TEST (test_fsformat_blockmap__out_of_range_entries_fail),
  UNIT_TEST (test_fsformat_blockmap__logical_past_2_32_fails),
  UNIT_TEST (test_fsformat_blockmap__self_reference_is_a_loop),
  UNIT_TEST (test_fsformat_blockmap__claims_are_bounded),
  UNIT_TEST (test_fsformat_blockmap__keep_going_reports_each),
  UNIT_TEST (test_fsformat_blockmap__truncated_source_fails),
  UNIT_TEST (test_fsformat_blockmap__callback_stops_the_walk),
  UNIT_TEST (test_fsformat_blockmap__ext3_1k_image_matches_debugfs),
  UNIT_TEST (test_fsformat_blockmap__ext3_4k_image_matches_debugfs),
  UNIT_TEST (test_fsformat_blockmap__ext3_damaged_map_is_located),
};

UNIT_MAIN ("fsformat/blockmap", tests)
