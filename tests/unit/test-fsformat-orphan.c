/* Unit tests: orphan-file blocks (fsformat/orphan.c).  The s_last_orphan
 * chain needs a whole filesystem: tests/test-dump-orphans.sh covers it.
 */

#include <string.h>

#include "bytes.h"
#include "orphan.h"
#include "unit.h"

static struct fsf_sb sb;
static uint8_t blk[4096];

/* A 4 KiB orphan block holding inodes 12 and 99, tail and checksum set. */
static void
make_block (void)
{
  memset (&sb, 0, sizeof sb);
  sb.block_size = 4096;
  sb.csum_seed = 0x1234abcd;
  sb.feature_ro_compat = FSF_RO_COMPAT_METADATA_CSUM;
  memset (blk, 0, sizeof blk);
  fsf_put_le32 (blk + 0, 12);
  fsf_put_le32 (blk + 4 * 500, 99);
  fsf_put_le32 (blk + 4096 - 8, FSF_ORPHAN_BLOCK_MAGIC);
  fsf_orphan_block_csum_set (&sb, 13, 7, 5000, blk);
}

static int
collect (void *opaque, uint32_t ino)
{
  uint32_t *got = opaque;

  got[++got[0]] = ino;
  return got[0] >= 8 ? 1 : 0;
}

static void
test_orphan__good_block_lists_its_inodes (void)
{
  uint32_t got[9] = { 0 };

  make_block ();
  CU_ASSERT_EQUAL (fsf_orphan_slots (4096), 1022);
  CU_ASSERT_EQUAL (fsf_orphan_block_check (blk, sizeof blk, &sb), 0);
  CU_ASSERT_TRUE (fsf_orphan_block_csum_verify (&sb, 13, 7, 5000, blk));
  CU_ASSERT_EQUAL (fsf_orphan_block_iterate (blk, &sb, collect, got), 0);
  CU_ASSERT_EQUAL (got[0], 2);
  CU_ASSERT_EQUAL (got[1], 12);
  CU_ASSERT_EQUAL (got[2], 99);
}

static void
test_orphan__truncated_by_one_byte_fails (void)
{
  make_block ();
  CU_ASSERT_EQUAL (fsf_orphan_block_check (blk, sizeof blk - 1, &sb),
                   FSF_BAD_TRUNCATED);
}

static void
test_orphan__bad_magic_fails (void)
{
  make_block ();
  blk[4096 - 8] ^= 1;
  CU_ASSERT_EQUAL (fsf_orphan_block_check (blk, sizeof blk, &sb),
                   FSF_BAD_MAGIC);
}

/* The checksum covers the entries, and which block of which file. */
static void
test_orphan__checksum_binds_entries_inode_generation_and_block (void)
{
  make_block ();
  CU_ASSERT_FALSE (fsf_orphan_block_csum_verify (&sb, 14, 7, 5000, blk));
  CU_ASSERT_FALSE (fsf_orphan_block_csum_verify (&sb, 13, 8, 5000, blk));
  CU_ASSERT_FALSE (fsf_orphan_block_csum_verify (&sb, 13, 7, 5001, blk));
  blk[100] ^= 0x80;
  CU_ASSERT_FALSE (fsf_orphan_block_csum_verify (&sb, 13, 7, 5000, blk));
  /* Without metadata_csum there is nothing to check. */
  sb.feature_ro_compat = 0;
  CU_ASSERT_TRUE (fsf_orphan_block_csum_verify (&sb, 13, 7, 5000, blk));
}

/* Every slot full: the walk ends where the callback says. */
static void
test_orphan__full_block_and_early_stop (void)
{
  uint32_t got[9] = { 0 }, i;

  make_block ();
  for (i = 0; i < fsf_orphan_slots (4096); i++)
    fsf_put_le32 (blk + 4 * i, 0xffffffff - i);
  CU_ASSERT_EQUAL (fsf_orphan_block_iterate (blk, &sb, collect, got), 1);
  CU_ASSERT_EQUAL (got[0], 8);
  CU_ASSERT_EQUAL (got[1], 0xffffffff);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_orphan__good_block_lists_its_inodes),
  UNIT_TEST (test_orphan__truncated_by_one_byte_fails),
  UNIT_TEST (test_orphan__bad_magic_fails),
  UNIT_TEST (test_orphan__checksum_binds_entries_inode_generation_and_block),
  UNIT_TEST (test_orphan__full_block_and_early_stop),
};

UNIT_MAIN ("fsformat/orphan", tests)
