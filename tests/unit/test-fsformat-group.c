/* Unit tests: group descriptors, their checksums and locations
 * (fsformat/group.c).
 *
 * The decoder and the checksums are pinned on synthetic bytes; everything
 * else is checked against real filesystems that mke2fs builds at test
 * time, with dumpe2fs's reading of them as the reference.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "crc.h"
#include "fsf.h"
#include "group.h"
#include "super.h"
#include "unit.h"

/* --- synthetic descriptors -------------------------------------------- */

/* A superblock with just what the descriptor code reads. */
static void
fake_sb (struct fsf_sb *sb, uint32_t desc_size, uint32_t ro_compat)
{
  unsigned i;

  memset (sb, 0, sizeof *sb);
  sb->desc_size = desc_size;
  sb->feature_ro_compat = ro_compat;
  if (desc_size >= FSF_MIN_DESC_SIZE_64BIT)
    sb->feature_incompat = FSF_INCOMPAT_64BIT;
  for (i = 0; i < 16; i++)
    sb->uuid[i] = (uint8_t) (0xa0 + i);
  sb->csum_seed = fsf_crc32c (~0U, sb->uuid, 16);
  sb->block_size = 4096;
  sb->clusters_per_group = 32768;
  sb->blocks_per_group = 32768;
  sb->inodes_per_group = 8192;
}

/* byte i = i + 1: every field reads back a value naming its offsets. */
static void
fill_pattern (uint8_t *buf, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    buf[i] = (uint8_t) (i + 1);
}

enum fill { PATTERN, ONES };

static void
test_fsformat_gd__decode_table (void)
{
  static const struct {
    const char *what;
    uint32_t desc_size;
    enum fill fill;
    int len_delta;            /* len = desc_size + len_delta */
    int ret;
    uint64_t block_bitmap, inode_bitmap, inode_table, exclude_bitmap;
    uint32_t free_blocks, free_inodes, used_dirs, itable_unused;
    uint16_t flags;
    uint32_t bb_csum, ib_csum;
    uint16_t checksum;
  } rows[] = {
    { "32 good", 32, PATTERN, 0, 0,
      0x04030201, 0x08070605, 0x0c0b0a09, 0x18171615,
      0x0e0d, 0x100f, 0x1211, 0x1e1d, 0x1413, 0x1a19, 0x1c1b, 0x201f },
    { "64 good", 64, PATTERN, 0, 0,
      0x2423222104030201, 0x2827262508070605, 0x2c2b2a290c0b0a09,
      0x3837363518171615,
      0x2e2d0e0d, 0x302f100f, 0x32311211, 0x34331e1d, 0x1413,
      0x3a391a19, 0x3c3b1c1b, 0x201f },
    { "128 good", 128, PATTERN, 0, 0,
      0x2423222104030201, 0x2827262508070605, 0x2c2b2a290c0b0a09,
      0x3837363518171615,
      0x2e2d0e0d, 0x302f100f, 0x32311211, 0x34331e1d, 0x1413,
      0x3a391a19, 0x3c3b1c1b, 0x201f },
    { "32 trailing garbage", 32, PATTERN, 64, 0,
      0x04030201, 0x08070605, 0x0c0b0a09, 0x18171615,
      0x0e0d, 0x100f, 0x1211, 0x1e1d, 0x1413, 0x1a19, 0x1c1b, 0x201f },
    { "64 trailing garbage", 64, PATTERN, 64, 0,
      0x2423222104030201, 0x2827262508070605, 0x2c2b2a290c0b0a09,
      0x3837363518171615,
      0x2e2d0e0d, 0x302f100f, 0x32311211, 0x34331e1d, 0x1413,
      0x3a391a19, 0x3c3b1c1b, 0x201f },
    { "32 max", 32, ONES, 0, 0,
      UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX,
      0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff },
    { "64 max", 64, ONES, 0, 0,
      UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
      UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, 0xffff,
      UINT32_MAX, UINT32_MAX, 0xffff },
    { .what = "32 truncated by one", .desc_size = 32, .len_delta = -1,
      .ret = FSF_BAD_TRUNCATED },
    { .what = "64 truncated by one", .desc_size = 64, .len_delta = -1,
      .ret = FSF_BAD_TRUNCATED },
    { .what = "64 truncated to 32", .desc_size = 64, .len_delta = -32,
      .ret = FSF_BAD_TRUNCATED },
    { .what = "empty", .desc_size = 32, .len_delta = -32,
      .ret = FSF_BAD_TRUNCATED },
    { .what = "desc_size 16", .desc_size = 16, .len_delta = 0,
      .ret = FSF_BAD_FIELD },
    { .what = "desc_size 2048", .desc_size = 2048, .len_delta = -1024,
      .ret = FSF_BAD_FIELD },
  };
  uint8_t buf[1024];
  size_t i;

  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    struct fsf_sb sb;
    struct fsf_gd gd;
    size_t len = (size_t) ((int) rows[i].desc_size + rows[i].len_delta);
    int r;

    fake_sb (&sb, rows[i].desc_size, 0);
    /* Garbage past len, so that reading one byte too far shows. */
    memset (buf, 0xa5, sizeof buf);
    if (rows[i].fill == PATTERN)
      fill_pattern (buf, len);
    else
      memset (buf, 0xff, len);
    r = fsf_gd_decode (buf, len, &sb, &gd);
    if (r != rows[i].ret)
      fprintf (stderr, "\n%s: ret %d, want %d\n", rows[i].what, r,
               rows[i].ret);
    CU_ASSERT_EQUAL (r, rows[i].ret);
    if (r != 0)
      continue;
    CU_ASSERT_EQUAL (gd.block_bitmap, rows[i].block_bitmap);
    CU_ASSERT_EQUAL (gd.inode_bitmap, rows[i].inode_bitmap);
    CU_ASSERT_EQUAL (gd.inode_table, rows[i].inode_table);
    CU_ASSERT_EQUAL (gd.exclude_bitmap, rows[i].exclude_bitmap);
    CU_ASSERT_EQUAL (gd.free_blocks_count, rows[i].free_blocks);
    CU_ASSERT_EQUAL (gd.free_inodes_count, rows[i].free_inodes);
    CU_ASSERT_EQUAL (gd.used_dirs_count, rows[i].used_dirs);
    CU_ASSERT_EQUAL (gd.itable_unused, rows[i].itable_unused);
    CU_ASSERT_EQUAL (gd.flags, rows[i].flags);
    CU_ASSERT_EQUAL (gd.block_bitmap_csum, rows[i].bb_csum);
    CU_ASSERT_EQUAL (gd.inode_bitmap_csum, rows[i].ib_csum);
    CU_ASSERT_EQUAL (gd.checksum, rows[i].checksum);
  }
}

/* Known answers, computed apart from this code by a bitwise CRC-32C
 * (0x82F63B78) and CRC-16 (0xA001) written in Python, over the pattern
 * descriptor with bg_checksum zeroed, uuid a0..af, seed crc32c(~0, uuid),
 * group 5.  The real images below check the same against e2fsprogs.
 */
static void
test_fsformat_gd__csum_known_answers (void)
{
  static const struct {
    const char *what;
    uint32_t desc_size;
    uint32_t ro_compat;
    uint16_t want;
  } rows[] = {
    { "metadata_csum 32", 32, FSF_RO_COMPAT_METADATA_CSUM, 0x30e1 },
    { "metadata_csum 64", 64, FSF_RO_COMPAT_METADATA_CSUM, 0x5755 },
    { "gdt_csum 32", 32, FSF_RO_COMPAT_GDT_CSUM, 0xf629 },
    { "gdt_csum 64", 64, FSF_RO_COMPAT_GDT_CSUM, 0x8e45 },
    { "both: metadata_csum wins", 64,
      FSF_RO_COMPAT_METADATA_CSUM | FSF_RO_COMPAT_GDT_CSUM, 0x5755 },
    { "none", 64, 0, 0 },
  };
  uint8_t desc[64];
  size_t i;

  fill_pattern (desc, sizeof desc);
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    struct fsf_sb sb;
    uint16_t got;

    fake_sb (&sb, rows[i].desc_size, rows[i].ro_compat);
    got = fsf_gd_csum (desc, &sb, 5);
    if (got != rows[i].want)
      fprintf (stderr, "\n%s: 0x%04x, want 0x%04x\n", rows[i].what, got,
               rows[i].want);
    CU_ASSERT_EQUAL (got, rows[i].want);
  }
}

/* The stored checksum is no input to itself; the group number is. */
static void
test_fsformat_gd__csum_set_verify_and_flip (void)
{
  static const uint32_t features[] = {
    FSF_RO_COMPAT_METADATA_CSUM, FSF_RO_COMPAT_GDT_CSUM,
  };
  static const uint32_t sizes[] = { 32, 64, 256 };
  size_t f, s;

  for (f = 0; f < 2; f++) {
    for (s = 0; s < 3; s++) {
      struct fsf_sb sb;
      uint8_t desc[256];
      uint32_t i;

      fake_sb (&sb, sizes[s], features[f]);
      fill_pattern (desc, sizeof desc);
      CU_ASSERT_FALSE (fsf_gd_csum_verify (desc, &sb, 7));
      fsf_gd_csum_set (desc, &sb, 7);
      CU_ASSERT_TRUE (fsf_gd_csum_verify (desc, &sb, 7));
      CU_ASSERT_EQUAL (fsf_le16 (desc + FSF_GD_CSUM_OFFSET),
                       fsf_gd_csum (desc, &sb, 7));
      CU_ASSERT_FALSE (fsf_gd_csum_verify (desc, &sb, 8));
      /* Every byte but the checksum's own is covered. */
      for (i = 0; i < sizes[s]; i++) {
        if (i == FSF_GD_CSUM_OFFSET || i == FSF_GD_CSUM_OFFSET + 1)
          continue;
        desc[i] ^= 0x01;
        CU_ASSERT_FALSE (fsf_gd_csum_verify (desc, &sb, 7));
        desc[i] ^= 0x01;
      }
      /* And nothing past desc_size is. */
      if (sizes[s] < sizeof desc) {
        desc[sizes[s]] ^= 0xff;
        CU_ASSERT_TRUE (fsf_gd_csum_verify (desc, &sb, 7));
      }
    }
  }
}

static void
test_fsformat_gd__no_csum_feature_always_verifies (void)
{
  struct fsf_sb sb;
  uint8_t desc[64], copy[64];

  fake_sb (&sb, 64, 0);
  fill_pattern (desc, sizeof desc);
  memcpy (copy, desc, sizeof desc);
  CU_ASSERT_EQUAL (fsf_gd_csum (desc, &sb, 3), 0);
  CU_ASSERT_TRUE (fsf_gd_csum_verify (desc, &sb, 3));
  fsf_gd_csum_set (desc, &sb, 3);
  CU_ASSERT_EQUAL (memcmp (desc, copy, sizeof desc), 0);
}

/* 32-byte descriptors have no room for the high halves: only the low 16
 * bits are stored and compared.
 */
static void
test_fsformat_gd__bitmap_csum_hi_half_only_with_room (void)
{
  static const uint32_t sizes[] = { 32, 64 };
  size_t s;

  for (s = 0; s < 2; s++) {
    struct fsf_sb sb;
    struct fsf_gd gd;
    uint8_t bitmap[4096], desc[64];
    uint32_t bb, ib;

    fake_sb (&sb, sizes[s], FSF_RO_COMPAT_METADATA_CSUM);
    fill_pattern (bitmap, sizeof bitmap);
    memset (desc, 0, sizeof desc);
    bb = fsf_block_bitmap_csum (bitmap, &sb);
    ib = fsf_inode_bitmap_csum (bitmap, &sb);
    CU_ASSERT_NOT_EQUAL (bb, ib);   /* 4096 bytes against 1024 */
    CU_ASSERT_EQUAL (bb, fsf_crc32c (sb.csum_seed, bitmap, 4096));
    CU_ASSERT_EQUAL (ib, fsf_crc32c (sb.csum_seed, bitmap, 1024));
    fsf_block_bitmap_csum_set (bitmap, &sb, desc);
    fsf_inode_bitmap_csum_set (bitmap, &sb, desc);
    CU_ASSERT_EQUAL (fsf_gd_decode (desc, sizes[s], &sb, &gd), 0);
    CU_ASSERT_EQUAL (gd.block_bitmap_csum,
                     sizes[s] == 64 ? bb : (bb & 0xffff));
    CU_ASSERT_EQUAL (gd.inode_bitmap_csum,
                     sizes[s] == 64 ? ib : (ib & 0xffff));
    CU_ASSERT_TRUE (fsf_block_bitmap_csum_verify (bitmap, &sb, &gd));
    CU_ASSERT_TRUE (fsf_inode_bitmap_csum_verify (bitmap, &sb, &gd));
    /* A bit past the inode bitmap's size is not covered; inside it is. */
    bitmap[2000] ^= 1;
    CU_ASSERT_FALSE (fsf_block_bitmap_csum_verify (bitmap, &sb, &gd));
    CU_ASSERT_TRUE (fsf_inode_bitmap_csum_verify (bitmap, &sb, &gd));
    bitmap[10] ^= 1;
    CU_ASSERT_FALSE (fsf_inode_bitmap_csum_verify (bitmap, &sb, &gd));
    /* Without metadata_csum nothing is checked. */
    sb.feature_ro_compat = FSF_RO_COMPAT_GDT_CSUM;
    CU_ASSERT_TRUE (fsf_block_bitmap_csum_verify (bitmap, &sb, &gd));
    CU_ASSERT_TRUE (fsf_inode_bitmap_csum_verify (bitmap, &sb, &gd));
  }
}

/* A 4 KiB filesystem of 10 groups, 8 inodes per group, in the abstract. */
static void
small_sb (struct fsf_sb *sb)
{
  fake_sb (sb, 64, 0);
  sb->first_data_block = 0;
  sb->blocks_per_group = 32768;
  sb->groups_count = 10;
  sb->blocks_count = 9 * 32768 + 100;
  sb->inodes_per_group = 8;
  sb->inodes_count = 80;
  sb->inode_size = 256;
  sb->descs_per_block = 4096 / 64;
  sb->feature_ro_compat = FSF_RO_COMPAT_SPARSE_SUPER;
}

static void
test_fsformat_gd__ranges_are_bounded (void)
{
  struct fsf_sb sb;
  struct fsf_gd gd;
  uint64_t block;
  uint32_t group, offset;

  small_sb (&sb);
  CU_ASSERT_EQUAL (fsf_group_of_inode (&sb, 0, &group), FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_group_of_inode (&sb, 81, &group), FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_group_of_inode (&sb, UINT32_MAX, &group),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_group_of_inode (&sb, 80, &group), 0);
  CU_ASSERT_EQUAL (group, 9);
  CU_ASSERT_EQUAL (fsf_group_of_inode (&sb, 9, &group), 0);
  CU_ASSERT_EQUAL (group, 1);
  /* inodes_count past what the groups hold. */
  sb.inodes_count = 200;
  CU_ASSERT_EQUAL (fsf_group_of_inode (&sb, 81, &group), FSF_BAD_RANGE);
  sb.inodes_count = 80;

  CU_ASSERT_EQUAL (fsf_group_of_block (&sb, sb.blocks_count, &group),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_group_of_block (&sb, UINT64_MAX, &group),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_group_of_block (&sb, sb.blocks_count - 1, &group), 0);
  CU_ASSERT_EQUAL (group, 9);
  CU_ASSERT_EQUAL (fsf_group_of_block (&sb, 32767, &group), 0);
  CU_ASSERT_EQUAL (group, 0);
  sb.first_data_block = 1;
  CU_ASSERT_EQUAL (fsf_group_of_block (&sb, 0, &group), FSF_BAD_RANGE);
  sb.first_data_block = 0;

  memset (&gd, 0, sizeof gd);
  gd.inode_table = 0;
  CU_ASSERT_EQUAL (fsf_inode_location (&sb, &gd, 2, &block, &offset),
                   FSF_BAD_RANGE);
  gd.inode_table = UINT64_MAX;
  CU_ASSERT_EQUAL (fsf_inode_location (&sb, &gd, 2, &block, &offset),
                   FSF_BAD_RANGE);
  gd.inode_table = sb.blocks_count - 1;   /* the table runs off the end */
  sb.inode_size = 1024;                   /* index 7: the second block */
  CU_ASSERT_EQUAL (fsf_inode_location (&sb, &gd, 24, &block, &offset),
                   FSF_BAD_RANGE);
  sb.inode_size = 256;
  CU_ASSERT_EQUAL (fsf_inode_location (&sb, &gd, 24, &block, &offset), 0);
  CU_ASSERT_EQUAL (fsf_inode_location (&sb, &gd, 0, &block, &offset),
                   FSF_BAD_RANGE);
  gd.inode_table = 100;
  CU_ASSERT_EQUAL (fsf_inode_location (&sb, &gd, 24, &block, &offset), 0);
  CU_ASSERT_EQUAL (block, 100);          /* index 7 * 256 = 1792 */
  CU_ASSERT_EQUAL (offset, 1792);

  CU_ASSERT_EQUAL (fsf_gd_location (&sb, 10, &block, &offset),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_gd_location (&sb, UINT32_MAX, &block, &offset),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 2, 0, &block, &offset),
                   FSF_BAD_RANGE);      /* group 2 holds no backup */
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 10, 0, &block, &offset),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 9, 3, &block, &offset), 0);
  CU_ASSERT_EQUAL (block, 9 * 32768 + 1);
  CU_ASSERT_EQUAL (offset, 3 * 64);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 10), 0);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 2), 0);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 3), 2);

  /* A superblock nobody decoded. */
  sb.descs_per_block = 0;
  CU_ASSERT_EQUAL (fsf_gd_location (&sb, 0, &block, &offset),
                   FSF_BAD_FIELD);
}

/* meta_bg in the abstract: 16 descriptors a block, 40 groups, the old
 * table for meta group 0 only.
 */
static void
test_fsformat_gd__meta_bg_layout (void)
{
  struct fsf_sb sb;
  uint64_t block;
  uint32_t offset;

  small_sb (&sb);
  sb.block_size = 1024;
  sb.first_data_block = 1;
  sb.blocks_per_group = 8192;
  sb.groups_count = 40;
  sb.blocks_count = 1 + 40 * 8192;
  sb.descs_per_block = 16;
  sb.feature_incompat |= FSF_INCOMPAT_META_BG;
  sb.first_meta_bg = 1;

  CU_ASSERT_EQUAL (fsf_gd_location (&sb, 15, &block, &offset), 0);
  CU_ASSERT_EQUAL (block, 2);
  CU_ASSERT_EQUAL (offset, 15 * 64);
  /* Group 16 starts meta group 1 and has no superblock. */
  CU_ASSERT_EQUAL (fsf_gd_location (&sb, 17, &block, &offset), 0);
  CU_ASSERT_EQUAL (block, 1 + 16 * 8192);
  CU_ASSERT_EQUAL (offset, 64);
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 17, 17, &block, &offset), 0);
  CU_ASSERT_EQUAL (block, 1 + 17 * 8192);
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 31, 17, &block, &offset), 0);
  CU_ASSERT_EQUAL (block, 1 + 31 * 8192);
  /* Group 25 holds a superblock backup, but no descriptor block. */
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 25, 17, &block, &offset),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 0, 17, &block, &offset),
                   FSF_BAD_RANGE);
  /* Nor does it hold the old table, which is meta group 0's. */
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 25, 3, &block, &offset),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 9, 3, &block, &offset), 0);
  CU_ASSERT_EQUAL (block, 1 + 9 * 8192 + 1);
  /* Meta group 2 has groups 32..39 only: no last-group copy. */
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 33, 39, &block, &offset),
                   0);
  CU_ASSERT_EQUAL (fsf_gd_backup_location (&sb, 47, 39, &block, &offset),
                   FSF_BAD_RANGE);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 0), 2);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 1), 2);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 2), 0);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 16), 1);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 25), 1);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 27), 1);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 31), 1);
  CU_ASSERT_EQUAL (fsf_group_meta_blocks (&sb, 30), 0);
}

/* --- real filesystems ------------------------------------------------- */

#define MAX_GROUPS 64

struct image {
  const char *name;
  const char *env;            /* put before mke2fs */
  const char *opts;
  const char *size;
  int fd;
  struct fsf_sb sb;
  bool built;
};

static struct image images[] = {
  { .name = "ext4-4k", .env = "", .size = "600M", .opts = "-t ext4" },
  { .name = "ext4-1k", .env = "", .size = "64M", .opts = "-t ext4 -b 1024" },
  { .name = "uninit_bg", .env = "", .size = "64M",
    .opts = "-t ext4 -b 1024 -O ^metadata_csum,uninit_bg" },
  { .name = "uninit_bg-32", .env = "", .size = "64M",
    .opts = "-t ext4 -b 1024 -O ^metadata_csum,uninit_bg,^64bit" },
  { .name = "no-64bit", .env = "", .size = "64M",
    .opts = "-t ext4 -b 1024 -O ^64bit" },
  { .name = "meta_bg", .env = "", .size = "300M",
    .opts = "-t ext4 -b 1024 -O meta_bg,^resize_inode" },
  { .name = "meta_bg-32", .env = "", .size = "300M",
    .opts = "-t ext4 -b 1024 -O meta_bg,^resize_inode,^64bit" },
  /* s_first_meta_bg > 0: the old table and meta groups side by side. */
  { .name = "meta_bg-first1", .env = "MKE2FS_FIRST_META_BG=1",
    .size = "300M", .opts = "-t ext4 -b 1024 -O meta_bg,^resize_inode" },
  { .name = "ext2", .env = "", .size = "64M", .opts = "-t ext2 -b 1024" },
  /* Backups in groups 1 and the last only. */
  { .name = "sparse_super2", .env = "", .size = "64M",
    .opts = "-t ext4 -b 1024 -O sparse_super2" },
  /* A backup in every group. */
  { .name = "no-sparse_super", .env = "", .size = "64M",
    .opts = "-t ext4 -b 1024 -O ^sparse_super,^resize_inode" },
  /* First group at block 0 although the superblock is in block 1. */
  { .name = "bigalloc-1k", .env = "", .size = "256M",
    .opts = "-t ext4 -b 1024 -O bigalloc -C 16384" },
};
#define N_IMAGES (sizeof images / sizeof images[0])

static char tmpdir[] = "/tmp/test-fsformat-group-XXXXXX";
static bool have_tmpdir;

static void
cleanup (void)
{
  char path[128];
  size_t i;

  for (i = 0; i < N_IMAGES; i++) {
    if (images[i].built)
      close (images[i].fd);
    snprintf (path, sizeof path, "%s/%s.img", tmpdir, images[i].name);
    unlink (path);
  }
  if (have_tmpdir)
    rmdir (tmpdir);
}

static int
read_at (const struct image *im, void *buf, size_t len, uint64_t off)
{
  ssize_t r = pread (im->fd, buf, len, (off_t) off);

  return r == (ssize_t) len ? 0 : -EIO;
}

static int
read_block (const struct image *im, void *buf, uint64_t block)
{
  return read_at (im, buf, im->sb.block_size, block * im->sb.block_size);
}

/* Build (once) and open image i; NULL, with the reason on stderr, if
 * that failed.
 */
static struct image *
image (size_t i)
{
  struct image *im = &images[i];
  char cmd[1024], path[128];
  uint8_t buf[FSF_SB_SIZE];
  int len;

  if (im->built)
    return im;
  if (!have_tmpdir) {
    if (mkdtemp (tmpdir) == NULL) {
      perror ("mkdtemp");
      return NULL;
    }
    have_tmpdir = true;
    atexit (cleanup);
  }
  snprintf (path, sizeof path, "%s/%s.img", tmpdir, im->name);
  len = snprintf (cmd, sizeof cmd,
            "PATH=\"$PATH:/usr/sbin:/sbin\"; "
            "rm -f %s && truncate -s %s %s && %s mke2fs -q -F %s "
            "-E lazy_itable_init=1,lazy_journal_init=1,nodiscard %s "
            ">/dev/null 2>&1",
            path, im->size, path, im->env, im->opts, path);
  if (len < 0 || (size_t) len >= sizeof cmd || system (cmd) != 0) {
    fprintf (stderr, "\nfailed: %s\n", cmd);
    return NULL;
  }
  im->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (im->fd == -1) {
    perror (path);
    return NULL;
  }
  im->built = true;
  if (read_at (im, buf, sizeof buf, FSF_SB_OFFSET) != 0
      || fsf_sb_decode (buf, sizeof buf, &im->sb) != 0) {
    fprintf (stderr, "\n%s: no superblock\n", path);
    return NULL;
  }
  if (im->sb.groups_count > MAX_GROUPS) {
    fprintf (stderr, "\n%s: too many groups\n", path);
    return NULL;
  }
  return im;
}

/* What dumpe2fs says of one group. */
struct dgroup {
  bool seen;
  bool has_csum;              /* "csum 0x...." after the block range */
  uint32_t csum;
  uint64_t block_bitmap, inode_bitmap, inode_table;
  bool has_bitmap_csums;
  uint32_t bb_csum, ib_csum;
  uint64_t meta_blocks;       /* superblock + descriptors + reserved */
  bool has_desc;
  uint64_t desc_first, desc_last;
};

/* "<what> at A" or "<what> at A-B": A and B (B = A without a range). */
static bool
parse_range (const char *line, const char *what, uint64_t *a, uint64_t *b)
{
  const char *p = strstr (line, what);
  unsigned long long x, y;

  if (p == NULL)
    return false;
  p += strlen (what);
  if (sscanf (p, " at %llu-%llu", &x, &y) == 2) {
    *a = x;
    *b = y;
    return true;
  }
  if (sscanf (p, " at %llu", &x) == 1) {
    *a = *b = x;
    return true;
  }
  return false;
}

static bool
parse_csum (const char *line, uint32_t *csum)
{
  const char *p = strstr (line, "csum 0x");
  unsigned x;

  if (p == NULL || sscanf (p, "csum 0x%x", &x) != 1)
    return false;
  *csum = x;
  return true;
}

/* Read dumpe2fs's view of im into d[]; how many groups it listed. */
static uint32_t
dumpe2fs_groups (const struct image *im, struct dgroup *d)
{
  char cmd[300], line[1024];
  struct dgroup *cur = NULL;
  uint32_t n = 0;
  FILE *fp;

  memset (d, 0, MAX_GROUPS * sizeof *d);
  snprintf (cmd, sizeof cmd,
            "PATH=\"$PATH:/usr/sbin:/sbin\" dumpe2fs %s/%s.img 2>/dev/null",
            tmpdir, im->name);
  fp = popen (cmd, "r");
  if (fp == NULL)
    return 0;
  while (fgets (line, sizeof line, fp)) {
    unsigned g;
    uint64_t a, b;

    if (sscanf (line, "Group %u:", &g) == 1) {
      cur = g < MAX_GROUPS ? &d[g] : NULL;
      if (cur) {
        cur->seen = true;
        cur->has_csum = parse_csum (line, &cur->csum);
        n++;
      }
      continue;
    }
    if (cur == NULL || line[0] != ' ')
      continue;
    if (parse_range (line, "superblock", &a, &b))
      cur->meta_blocks++;
    if (parse_range (line, "Group descriptors", &a, &b)
        || parse_range (line, "Group descriptor", &a, &b)) {
      cur->has_desc = true;
      cur->desc_first = a;
      cur->desc_last = b;
      cur->meta_blocks += b - a + 1;
    }
    if (parse_range (line, "Reserved GDT blocks", &a, &b))
      cur->meta_blocks += b - a + 1;
    if (parse_range (line, "Block bitmap", &a, &b)) {
      cur->block_bitmap = a;
      cur->has_bitmap_csums = parse_csum (line, &cur->bb_csum);
    }
    if (parse_range (line, "Inode bitmap", &a, &b)) {
      cur->inode_bitmap = a;
      parse_csum (line, &cur->ib_csum);
    }
    if (parse_range (line, "Inode table", &a, &b))
      cur->inode_table = a;
  }
  pclose (fp);
  return n;
}

static bool
has_gd_csum (const struct fsf_sb *sb)
{
  return fsf_has_metadata_csum (sb)
    || fsf_has_ro_compat (sb, FSF_RO_COMPAT_GDT_CSUM);
}

/* Read group g's primary descriptor into desc (desc_size bytes). */
static int
read_desc (const struct image *im, uint32_t g, uint8_t *desc)
{
  uint8_t block[65536];
  uint64_t b;
  uint32_t off;
  int r;

  r = fsf_gd_location (&im->sb, g, &b, &off);
  if (r)
    return r;
  r = read_block (im, block, b);
  if (r)
    return r;
  memcpy (desc, block + off, im->sb.desc_size);
  return 0;
}

/* For every group of every image: the descriptor found where
 * fsf_gd_location says agrees with dumpe2fs, and its checksum is the one
 * dumpe2fs prints and verifies; one flipped byte breaks it.
 */
static void
test_fsformat_gd__real_images_descriptors (void)
{
  size_t i;

  for (i = 0; i < N_IMAGES; i++) {
    struct image *im = image (i);
    struct dgroup d[MAX_GROUPS];
    uint32_t g, n;

    CU_ASSERT_PTR_NOT_NULL_FATAL (im);
    n = dumpe2fs_groups (im, d);
    CU_ASSERT_EQUAL (n, im->sb.groups_count);
    CU_ASSERT (n > 1);
    for (g = 0; g < im->sb.groups_count && g < n; g++) {
      uint8_t desc[FSF_MAX_DESC_SIZE];
      struct fsf_gd gd;

      CU_ASSERT_EQUAL_FATAL (read_desc (im, g, desc), 0);
      CU_ASSERT_EQUAL (fsf_gd_decode (desc, im->sb.desc_size, &im->sb, &gd),
                       0);
      if (gd.block_bitmap != d[g].block_bitmap
          || gd.inode_table != d[g].inode_table)
        fprintf (stderr, "\n%s group %" PRIu32 ": bitmap %" PRIu64
                 " table %" PRIu64 ", dumpe2fs %" PRIu64 " %" PRIu64 "\n",
                 im->name, g, gd.block_bitmap, gd.inode_table,
                 d[g].block_bitmap, d[g].inode_table);
      CU_ASSERT_EQUAL (gd.block_bitmap, d[g].block_bitmap);
      CU_ASSERT_EQUAL (gd.inode_bitmap, d[g].inode_bitmap);
      CU_ASSERT_EQUAL (gd.inode_table, d[g].inode_table);
      CU_ASSERT_TRUE (fsf_gd_csum_verify (desc, &im->sb, g));
      CU_ASSERT_EQUAL (d[g].has_csum, has_gd_csum (&im->sb));
      if (d[g].has_csum)
        CU_ASSERT_EQUAL (fsf_gd_csum (desc, &im->sb, g), d[g].csum);
      /* One byte flipped, in the first and in the last half. */
      desc[0x08] ^= 0x40;
      CU_ASSERT_EQUAL (fsf_gd_csum_verify (desc, &im->sb, g),
                       !has_gd_csum (&im->sb));
      desc[0x08] ^= 0x40;
      desc[im->sb.desc_size - 1] ^= 0x01;
      CU_ASSERT_EQUAL (fsf_gd_csum_verify (desc, &im->sb, g),
                       !has_gd_csum (&im->sb));
      desc[im->sb.desc_size - 1] ^= 0x01;
      CU_ASSERT_TRUE (fsf_gd_csum_verify (desc, &im->sb, g));
    }
  }
}

/* metadata_csum: the bitmaps that were written verify and match what
 * dumpe2fs prints; one flipped bit breaks them.
 */
static void
test_fsformat_gd__real_images_bitmap_csums (void)
{
  unsigned checked = 0;
  size_t i;

  for (i = 0; i < N_IMAGES; i++) {
    struct image *im = image (i);
    struct dgroup d[MAX_GROUPS];
    uint32_t g, n;

    CU_ASSERT_PTR_NOT_NULL_FATAL (im);
    n = dumpe2fs_groups (im, d);
    for (g = 0; g < im->sb.groups_count && g < n; g++) {
      uint8_t desc[FSF_MAX_DESC_SIZE], bitmap[65536];
      struct fsf_gd gd;
      bool csum = fsf_has_metadata_csum (&im->sb);

      CU_ASSERT_EQUAL_FATAL (read_desc (im, g, desc), 0);
      CU_ASSERT_EQUAL (fsf_gd_decode (desc, im->sb.desc_size, &im->sb, &gd),
                       0);
      CU_ASSERT_EQUAL (d[g].has_bitmap_csums, csum);
      if (!(gd.flags & FSF_BG_BLOCK_UNINIT)) {
        CU_ASSERT_EQUAL_FATAL (read_block (im, bitmap, gd.block_bitmap), 0);
        CU_ASSERT_TRUE (fsf_block_bitmap_csum_verify (bitmap, &im->sb, &gd));
        if (csum) {
          CU_ASSERT_EQUAL (fsf_block_bitmap_csum (bitmap, &im->sb)
                           & (im->sb.desc_size >= 64 ? ~0U : 0xffff),
                           d[g].bb_csum);
          bitmap[3] ^= 0x10;
          CU_ASSERT_FALSE (fsf_block_bitmap_csum_verify (bitmap, &im->sb,
                                                         &gd));
          checked++;
        }
      }
      if (!(gd.flags & FSF_BG_INODE_UNINIT)) {
        CU_ASSERT_EQUAL_FATAL (read_block (im, bitmap, gd.inode_bitmap), 0);
        CU_ASSERT_TRUE (fsf_inode_bitmap_csum_verify (bitmap, &im->sb, &gd));
        if (csum) {
          CU_ASSERT_EQUAL (fsf_inode_bitmap_csum (bitmap, &im->sb)
                           & (im->sb.desc_size >= 64 ? ~0U : 0xffff),
                           d[g].ib_csum);
          bitmap[0] ^= 0x01;
          CU_ASSERT_FALSE (fsf_inode_bitmap_csum_verify (bitmap, &im->sb,
                                                         &gd));
          checked++;
        }
      }
    }
  }
  /* Not vacuous: bitmaps of several groups were checked. */
  CU_ASSERT (checked >= 10);
}

/* Every copy fsf_gd_backup_location names lies in a range dumpe2fs lists
 * as descriptors and holds the same bytes as the primary; groups dumpe2fs
 * lists without descriptors hold no copy; every descriptor has a backup.
 * fsf_group_meta_blocks counts what dumpe2fs lists.
 */
static void
test_fsformat_gd__real_images_backups_and_meta_blocks (void)
{
  size_t i;

  for (i = 0; i < N_IMAGES; i++) {
    struct image *im = image (i);
    struct dgroup d[MAX_GROUPS];
    uint32_t g, b, n;

    CU_ASSERT_PTR_NOT_NULL_FATAL (im);
    n = dumpe2fs_groups (im, d);
    CU_ASSERT_EQUAL_FATAL (n, im->sb.groups_count);
    for (g = 0; g < n; g++) {
      uint64_t want = d[g].meta_blocks;
      uint64_t got = fsf_group_meta_blocks (&im->sb, g);

      if (got != want)
        fprintf (stderr, "\n%s group %" PRIu32 ": %" PRIu64
                 " meta blocks, dumpe2fs %" PRIu64 "\n",
                 im->name, g, got, want);
      CU_ASSERT_EQUAL (got, want);
    }
    for (g = 0; g < n; g++) {
      uint8_t primary[FSF_MAX_DESC_SIZE], block[65536];
      uint64_t pblock;
      uint32_t poff, copies = 0;

      CU_ASSERT_EQUAL_FATAL (read_desc (im, g, primary), 0);
      CU_ASSERT_EQUAL_FATAL (fsf_gd_location (&im->sb, g, &pblock, &poff),
                             0);
      for (b = 0; b < n; b++) {
        uint64_t blk;
        uint32_t off;

        if (fsf_gd_backup_location (&im->sb, b, g, &blk, &off) != 0)
          continue;
        if (!d[b].has_desc || blk < d[b].desc_first || blk > d[b].desc_last)
          fprintf (stderr, "\n%s: group %" PRIu32 "'s copy in group %" PRIu32
                   " at %" PRIu64 ", dumpe2fs %" PRIu64 "-%" PRIu64 "\n",
                   im->name, g, b, blk, d[b].desc_first, d[b].desc_last);
        CU_ASSERT_TRUE (d[b].has_desc);
        CU_ASSERT (blk >= d[b].desc_first && blk <= d[b].desc_last);
        CU_ASSERT_EQUAL (off, poff);
        CU_ASSERT_EQUAL_FATAL (read_block (im, block, blk), 0);
        CU_ASSERT_EQUAL (memcmp (block + off, primary, im->sb.desc_size), 0);
        if (b == 0 || blk == pblock)
          continue;
        copies++;
      }
      CU_ASSERT (copies >= 1);
    }
  }
}

/* The root directory and lost+found are where fsf_inode_location says;
 * every group's first and last inode fall inside its table.
 */
static void
test_fsformat_gd__real_images_inode_location (void)
{
  size_t i;

  for (i = 0; i < N_IMAGES; i++) {
    struct image *im = image (i);
    const struct fsf_sb *sb;
    uint32_t g;

    CU_ASSERT_PTR_NOT_NULL_FATAL (im);
    sb = &im->sb;
    for (g = 0; g < sb->groups_count; g++) {
      uint8_t desc[FSF_MAX_DESC_SIZE], block[65536];
      uint32_t first = g * sb->inodes_per_group + 1;
      uint32_t last = first + sb->inodes_per_group - 1;
      uint32_t og, off;
      struct fsf_gd gd;
      uint64_t blk;

      CU_ASSERT_EQUAL_FATAL (read_desc (im, g, desc), 0);
      CU_ASSERT_EQUAL (fsf_gd_decode (desc, sb->desc_size, sb, &gd), 0);
      CU_ASSERT_EQUAL (fsf_group_of_inode (sb, first, &og), 0);
      CU_ASSERT_EQUAL (og, g);
      CU_ASSERT_EQUAL (fsf_group_of_inode (sb, last, &og), 0);
      CU_ASSERT_EQUAL (og, g);
      CU_ASSERT_EQUAL (fsf_inode_location (sb, &gd, first, &blk, &off), 0);
      CU_ASSERT_EQUAL (blk, gd.inode_table);
      CU_ASSERT_EQUAL (off, 0);
      CU_ASSERT_EQUAL (fsf_inode_location (sb, &gd, last, &blk, &off), 0);
      CU_ASSERT_EQUAL (blk, gd.inode_table + sb->itable_blocks - 1);
      CU_ASSERT_EQUAL (off, sb->block_size - sb->inode_size);

      CU_ASSERT_EQUAL (fsf_group_of_block (sb,
                                           fsf_sb_group_first_block (sb, g),
                                           &og), 0);
      CU_ASSERT_EQUAL (og, g);
      CU_ASSERT_EQUAL (fsf_group_of_block (sb,
                                           fsf_sb_group_first_block (sb, g)
                                           + fsf_sb_group_blocks (sb, g) - 1,
                                           &og), 0);
      CU_ASSERT_EQUAL (og, g);

      if (g == 0) {
        static const uint32_t dirs[] = { 2, 11 };   /* root, lost+found */
        size_t k;

        for (k = 0; k < 2; k++) {
          CU_ASSERT_EQUAL_FATAL (fsf_inode_location (sb, &gd, dirs[k],
                                                     &blk, &off), 0);
          CU_ASSERT_EQUAL_FATAL (read_block (im, block, blk), 0);
          CU_ASSERT_EQUAL (fsf_le16 (block + off) & 0xf000, 0x4000);
        }
        /* Inode 1 (bad blocks) is a regular, empty inode: not a dir. */
        CU_ASSERT_EQUAL_FATAL (fsf_inode_location (sb, &gd, 1, &blk, &off),
                               0);
        CU_ASSERT_EQUAL_FATAL (read_block (im, block, blk), 0);
        CU_ASSERT_NOT_EQUAL (fsf_le16 (block + off) & 0xf000, 0x4000);
      }
    }
    CU_ASSERT_EQUAL (fsf_group_of_block (sb, sb->blocks_count, &g),
                     FSF_BAD_RANGE);
    CU_ASSERT_EQUAL (fsf_group_of_inode (sb, sb->inodes_count + 1, &g),
                     FSF_BAD_RANGE);
  }
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_fsformat_gd__decode_table),
  UNIT_TEST (test_fsformat_gd__csum_known_answers),
  UNIT_TEST (test_fsformat_gd__csum_set_verify_and_flip),
  UNIT_TEST (test_fsformat_gd__no_csum_feature_always_verifies),
  UNIT_TEST (test_fsformat_gd__bitmap_csum_hi_half_only_with_room),
  UNIT_TEST (test_fsformat_gd__ranges_are_bounded),
  UNIT_TEST (test_fsformat_gd__meta_bg_layout),
  UNIT_TEST (test_fsformat_gd__real_images_descriptors),
  UNIT_TEST (test_fsformat_gd__real_images_bitmap_csums),
  UNIT_TEST (test_fsformat_gd__real_images_backups_and_meta_blocks),
  UNIT_TEST (test_fsformat_gd__real_images_inode_location),
};

UNIT_MAIN ("fsformat/group", tests)
