/* Unit tests: the superblock (fsformat/super.c). */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "fsf.h"
#include "super.h"
#include "unit.h"

/* A valid superblock: 4 KiB blocks, 32768 blocks, one group, 64bit and
 * metadata_csum, checksum set.
 */
static void
make_sb (uint8_t *p)
{
  memset (p, 0, FSF_SB_SIZE);
  fsf_put_le32 (p + 0x00, 8192);          /* inodes_count */
  fsf_put_le32 (p + 0x04, 32768);         /* blocks_count_lo */
  fsf_put_le32 (p + 0x0c, 30000);         /* free_blocks_count_lo */
  fsf_put_le32 (p + 0x10, 8181);          /* free_inodes_count */
  fsf_put_le32 (p + 0x18, 2);             /* log_block_size: 4 KiB */
  fsf_put_le32 (p + 0x1c, 2);             /* log_cluster_size */
  fsf_put_le32 (p + 0x20, 32768);         /* blocks_per_group */
  fsf_put_le32 (p + 0x24, 32768);         /* clusters_per_group */
  fsf_put_le32 (p + 0x28, 8192);          /* inodes_per_group */
  fsf_put_le16 (p + 0x38, FSF_SB_MAGIC);
  fsf_put_le16 (p + 0x3a, FSF_STATE_VALID);
  fsf_put_le32 (p + 0x4c, FSF_DYNAMIC_REV);
  fsf_put_le32 (p + 0x54, 11);            /* first_ino */
  fsf_put_le16 (p + 0x58, 256);           /* inode_size */
  fsf_put_le32 (p + 0x5c, FSF_COMPAT_HAS_JOURNAL | FSF_COMPAT_DIR_INDEX);
  fsf_put_le32 (p + 0x60, FSF_INCOMPAT_FILETYPE | FSF_INCOMPAT_EXTENTS
                | FSF_INCOMPAT_64BIT);
  fsf_put_le32 (p + 0x64, FSF_RO_COMPAT_SPARSE_SUPER
                | FSF_RO_COMPAT_METADATA_CSUM);
  memcpy (p + 0x68, "0123456789abcdef", 16);
  memcpy (p + 0x78, "volume-name-16ch", 16);
  fsf_put_le16 (p + 0xfe, 64);            /* desc_size */
  p[0x175] = FSF_CRC32C_CHKSUM;
  fsf_sb_csum_set (p);
}

static void
test_super__good_superblock_decodes (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb;

  make_sb (p);
  CU_ASSERT_EQUAL_FATAL (fsf_sb_decode (p, sizeof p, &sb), 0);
  CU_ASSERT_EQUAL (sb.block_size, 4096);
  CU_ASSERT_EQUAL (sb.blocks_count, 32768);
  CU_ASSERT_EQUAL (sb.free_blocks_count, 30000);
  CU_ASSERT_EQUAL (sb.groups_count, 1);
  CU_ASSERT_EQUAL (sb.desc_size, 64);
  CU_ASSERT_EQUAL (sb.descs_per_block, 64);
  CU_ASSERT_EQUAL (sb.inodes_per_block, 16);
  CU_ASSERT_EQUAL (sb.itable_blocks, 512);
  CU_ASSERT_STRING_EQUAL (sb.volume_name, "volume-name-16ch");
  CU_ASSERT_TRUE (fsf_sb_csum_verify (p));
}

static void
test_super__truncated_by_one_byte_fails (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb;

  make_sb (p);
  CU_ASSERT_EQUAL (fsf_sb_decode (p, sizeof p - 1, &sb), FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_sb_decode (p, 0, &sb), FSF_BAD_TRUNCATED);
}

static void
test_super__trailing_bytes_are_ignored (void)
{
  uint8_t p[FSF_SB_SIZE + 512];
  struct fsf_sb sb;

  make_sb (p);
  memset (p + FSF_SB_SIZE, 0xa5, 512);
  CU_ASSERT_EQUAL (fsf_sb_decode (p, sizeof p, &sb), 0);
}

static void
test_super__bad_magic_fails (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb;

  make_sb (p);
  fsf_put_le16 (p + 0x38, 0x53ef);
  CU_ASSERT_EQUAL (fsf_sb_decode (p, sizeof p, &sb), FSF_BAD_MAGIC);
}

static void
test_super__any_flipped_byte_breaks_the_checksum (void)
{
  uint8_t p[FSF_SB_SIZE];
  size_t i;

  make_sb (p);
  for (i = 0; i < FSF_SB_SIZE; i += 7) {
    p[i] ^= 0x40;
    CU_ASSERT_FALSE (fsf_sb_csum_verify (p));
    p[i] ^= 0x40;
  }
  CU_ASSERT_TRUE (fsf_sb_csum_verify (p));
}

/* One corruption per row: each breaks a rule the geometry rests on. */
static void
test_super__impossible_geometry_is_refused (void)
{
  static const struct {
    const char *what;
    size_t off;
    int width;
    uint32_t value;
  } rows[] = {
    { "block size 128 KiB", 0x18, 4, 7 },
    { "block size 2^34", 0x18, 4, 24 },
    { "cluster size differs without bigalloc", 0x1c, 4, 3 },
    { "zero blocks per group", 0x20, 4, 0 },
    { "more blocks per group than bitmap bits", 0x20, 4, 32769 },
    { "clusters per group differ", 0x24, 4, 16384 },
    { "zero inodes per group", 0x28, 4, 0 },
    { "more inodes per group than bitmap bits", 0x28, 4, 32769 },
    { "inode size below 128", 0x58, 2, 64 },
    { "inode size not a power of two", 0x58, 2, 384 },
    { "inode size above the block size", 0x58, 2, 8192 },
    { "first inode below 11", 0x54, 4, 5 },
    { "revision 2", 0x4c, 4, 2 },
    { "first data block 1 with 4 KiB blocks", 0x14, 4, 1 },
    { "no blocks", 0x04, 4, 0 },
    { "desc size 32 with 64bit", 0xfe, 2, 32 },
    { "desc size not a power of two", 0xfe, 2, 96 },
    { "desc size 2048", 0xfe, 2, 2048 },
    { "unknown checksum type", 0x175, 1, 2 },
  };
  size_t i;

  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    uint8_t p[FSF_SB_SIZE];
    struct fsf_sb sb;
    int r;

    make_sb (p);
    if (rows[i].width == 4)
      fsf_put_le32 (p + rows[i].off, rows[i].value);
    else if (rows[i].width == 2)
      fsf_put_le16 (p + rows[i].off, rows[i].value);
    else
      p[rows[i].off] = rows[i].value;
    r = fsf_sb_decode (p, sizeof p, &sb);
    if (r != FSF_BAD_FIELD)
      fprintf (stderr, "\n  %s: got %d\n", rows[i].what, r);
    CU_ASSERT_EQUAL (r, FSF_BAD_FIELD);
  }
}

/* The largest values the format allows still decode, with no overflow
 * in the derived geometry.
 */
static void
test_super__maximum_values_decode (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb;

  make_sb (p);
  fsf_put_le32 (p + 0x18, 6);             /* 64 KiB blocks */
  fsf_put_le32 (p + 0x1c, 6);
  fsf_put_le32 (p + 0x20, 524288);        /* 8 * 64 KiB */
  fsf_put_le32 (p + 0x24, 524288);
  fsf_put_le32 (p + 0x28, 1024);
  fsf_put_le32 (p + 0x04, 0xffffffff);    /* 2^40 - 1 blocks: 64 PiB */
  fsf_put_le32 (p + 0x150, 0xff);
  fsf_put_le16 (p + 0xfe, 1024);
  CU_ASSERT_EQUAL_FATAL (fsf_sb_decode (p, sizeof p, &sb), 0);
  CU_ASSERT_EQUAL (sb.blocks_count, (1ULL << 40) - 1);
  CU_ASSERT_EQUAL (sb.groups_count, 1U << 21);
  CU_ASSERT_EQUAL (sb.desc_size, 1024);
  /* 2^31 inodes fit in 32-bit inode numbers; 2^32 do not. */
  fsf_put_le32 (p + 0x28, 2048);
  CU_ASSERT_EQUAL (fsf_sb_decode (p, sizeof p, &sb), FSF_BAD_FIELD);
}

/* Without 64bit the high halves are not part of the counts. */
static void
test_super__high_halves_need_64bit (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb;

  make_sb (p);
  fsf_put_le32 (p + 0x60, FSF_INCOMPAT_FILETYPE | FSF_INCOMPAT_EXTENTS);
  fsf_put_le32 (p + 0x150, 7);
  CU_ASSERT_EQUAL_FATAL (fsf_sb_decode (p, sizeof p, &sb), 0);
  CU_ASSERT_EQUAL (sb.blocks_count, 32768);
  CU_ASSERT_EQUAL (sb.desc_size, 32);
}

static void
test_super__revision_0_has_fixed_inode_size_and_first_inode (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb;

  make_sb (p);
  fsf_put_le32 (p + 0x4c, FSF_GOOD_OLD_REV);
  fsf_put_le16 (p + 0x58, 999);           /* ignored in revision 0 */
  fsf_put_le32 (p + 0x54, 0);
  CU_ASSERT_EQUAL_FATAL (fsf_sb_decode (p, sizeof p, &sb), 0);
  CU_ASSERT_EQUAL (sb.inode_size, 128);
  CU_ASSERT_EQUAL (sb.first_ino, 11);
}

static void
test_super__csum_seed_follows_the_feature (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb, seeded;

  make_sb (p);
  fsf_sb_decode (p, sizeof p, &sb);
  fsf_put_le32 (p + 0x60, fsf_le32 (p + 0x60) | FSF_INCOMPAT_CSUM_SEED);
  fsf_put_le32 (p + 0x270, 0x12345678);
  fsf_sb_decode (p, sizeof p, &seeded);
  CU_ASSERT_EQUAL (seeded.csum_seed, 0x12345678);
  CU_ASSERT_NOT_EQUAL (sb.csum_seed, 0x12345678);
}

static void
test_super__features_print_in_dumpe2fs_order_with_unknown_bits (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb;
  char buf[256], small[8];

  make_sb (p);
  fsf_put_le32 (p + 0x5c, fsf_le32 (p + 0x5c) | (1U << 30));
  fsf_sb_decode (p, sizeof p, &sb);
  fsf_sb_features (&sb, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL (buf, "has_journal dir_index FEATURE_C30 filetype "
                          "extent 64bit sparse_super metadata_csum");
  /* Like snprintf: the length it wanted, a terminated prefix. */
  CU_ASSERT_EQUAL (fsf_sb_features (&sb, small, sizeof small),
                   strlen (buf));
  CU_ASSERT_EQUAL (strlen (small), sizeof small - 1);
}

static void
test_super__unsupported_features_are_named (void)
{
  uint8_t p[FSF_SB_SIZE];
  struct fsf_sb sb;
  char buf[256];

  make_sb (p);
  fsf_sb_decode (p, sizeof p, &sb);
  CU_ASSERT_EQUAL (fsf_sb_unsupported (&sb, buf, sizeof buf), 0);
  CU_ASSERT_STRING_EQUAL (buf, "");
  sb.feature_incompat |= FSF_INCOMPAT_INLINE_DATA | FSF_INCOMPAT_CASEFOLD;
  sb.feature_ro_compat |= FSF_RO_COMPAT_BIGALLOC;
  sb.feature_compat |= FSF_COMPAT_FAST_COMMIT | FSF_COMPAT_SPARSE_SUPER2;
  CU_ASSERT_EQUAL (fsf_sb_unsupported (&sb, buf, sizeof buf), 4);
  CU_ASSERT_STRING_EQUAL (buf, "fast_commit inline_data casefold bigalloc");
}

static void
test_super__backup_groups (void)
{
  static const uint32_t sparse[] = { 0, 1, 3, 5, 7, 9, 25, 27, 49, 81, 125,
                                     243, 343, 625, 729 };
  struct fsf_sb sb;
  uint32_t g, n = 0;
  size_t i;

  memset (&sb, 0, sizeof sb);
  sb.feature_ro_compat = FSF_RO_COMPAT_SPARSE_SUPER;
  for (g = 0; g < 730; g++) {
    bool want = false;

    for (i = 0; i < sizeof sparse / sizeof sparse[0]; i++)
      want |= sparse[i] == g;
    CU_ASSERT_EQUAL (fsf_sb_group_has_super (&sb, g), want);
    n += want;
  }
  CU_ASSERT_EQUAL (n, sizeof sparse / sizeof sparse[0]);

  sb.feature_ro_compat = 0;
  CU_ASSERT_TRUE (fsf_sb_group_has_super (&sb, 2));
  CU_ASSERT_TRUE (fsf_sb_group_has_super (&sb, 100));

  sb.feature_compat = FSF_COMPAT_SPARSE_SUPER2;
  sb.backup_bgs[0] = 1;
  sb.backup_bgs[1] = 41;
  CU_ASSERT_TRUE (fsf_sb_group_has_super (&sb, 0));
  CU_ASSERT_TRUE (fsf_sb_group_has_super (&sb, 1));
  CU_ASSERT_TRUE (fsf_sb_group_has_super (&sb, 41));
  CU_ASSERT_FALSE (fsf_sb_group_has_super (&sb, 3));
}

/* A value "dumpe2fs -h" prints for "Key:", as a number. */
static unsigned long long
dumpe2fs_value (const char *text, const char *key)
{
  const char *p = strstr (text, key);

  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  return strtoull (p + strlen (key), NULL, 10);
}

static const char *
dumpe2fs_string (const char *text, const char *key, char *out, size_t len)
{
  const char *p = strstr (text, key), *end;

  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  p += strlen (key);
  while (*p == ' ')
    p++;
  end = strchr (p, '\n');
  snprintf (out, len, "%.*s", (int) (end - p), p);
  return out;
}

/* Real images made by mke2fs across the feature matrix: what we decode
 * equals what dumpe2fs prints.
 */
static void
test_super__real_images_agree_with_dumpe2fs (void)
{
  static const char *const recipes[] = {
    "-t ext4 -b 4096",
    "-t ext4 -b 1024",
    "-t ext4 -O ^metadata_csum,uninit_bg",
    "-t ext4 -O ^64bit -I 128",
    "-t ext4 -O metadata_csum_seed -U 01234567-89ab-cdef-0123-456789abcdef",
    "-t ext4 -O sparse_super2",
    "-t ext4 -O meta_bg,^resize_inode",
    "-t ext3",
    "-t ext2",
    "-t ext4 -N 100000",
  };
  char dir[] = "/tmp/nbdscrub-unit-super.XXXXXX", img[64], cmd[512];
  static char out[65536];
  size_t i;

  CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (dir));
  snprintf (img, sizeof img, "%s/fs.img", dir);
  for (i = 0; i < sizeof recipes / sizeof recipes[0]; i++) {
    uint8_t p[FSF_SB_SIZE];
    char feat[512], want[512];
    struct fsf_sb sb;
    FILE *fp;
    size_t n;
    int fd;

    snprintf (cmd, sizeof cmd, "rm -f %s && truncate -s 600M %s && "
              "mke2fs -q -F %s %s 2>/dev/null", img, img, recipes[i], img);
    CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
    snprintf (cmd, sizeof cmd, "dumpe2fs -h %s 2>/dev/null", img);
    fp = popen (cmd, "r");
    n = fread (out, 1, sizeof out - 1, fp);
    out[n] = '\0';
    pclose (fp);

    fd = open (img, O_RDONLY);
    CU_ASSERT_FATAL (fd >= 0);
    CU_ASSERT_EQUAL_FATAL (pread (fd, p, sizeof p, FSF_SB_OFFSET),
                           (ssize_t) sizeof p);
    close (fd);
    CU_ASSERT_EQUAL_FATAL (fsf_sb_decode (p, sizeof p, &sb), 0);
    if (fsf_has_metadata_csum (&sb))
      CU_ASSERT_TRUE (fsf_sb_csum_verify (p));
    CU_ASSERT_EQUAL (sb.blocks_count, dumpe2fs_value (out, "Block count:"));
    CU_ASSERT_EQUAL (sb.inodes_count, dumpe2fs_value (out, "Inode count:"));
    CU_ASSERT_EQUAL (sb.free_blocks_count,
                     dumpe2fs_value (out, "Free blocks:"));
    CU_ASSERT_EQUAL (sb.free_inodes_count,
                     dumpe2fs_value (out, "Free inodes:"));
    CU_ASSERT_EQUAL (sb.block_size, dumpe2fs_value (out, "Block size:"));
    CU_ASSERT_EQUAL (sb.inode_size, dumpe2fs_value (out, "Inode size:"));
    CU_ASSERT_EQUAL (sb.inodes_per_group,
                     dumpe2fs_value (out, "Inodes per group:"));
    CU_ASSERT_EQUAL (sb.blocks_per_group,
                     dumpe2fs_value (out, "Blocks per group:"));
    CU_ASSERT_EQUAL (sb.first_data_block,
                     dumpe2fs_value (out, "First block:"));
    fsf_sb_features (&sb, feat, sizeof feat);
    CU_ASSERT_STRING_EQUAL (feat, dumpe2fs_string (out,
                                                   "Filesystem features:",
                                                   want, sizeof want));
    if (strcmp (feat, want) != 0)
      fprintf (stderr, "\n  %s: '%s' vs '%s'\n", recipes[i], feat, want);
  }
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  CU_ASSERT_EQUAL (system (cmd), 0);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_super__good_superblock_decodes),
  UNIT_TEST (test_super__truncated_by_one_byte_fails),
  UNIT_TEST (test_super__trailing_bytes_are_ignored),
  UNIT_TEST (test_super__bad_magic_fails),
  UNIT_TEST (test_super__any_flipped_byte_breaks_the_checksum),
  UNIT_TEST (test_super__impossible_geometry_is_refused),
  UNIT_TEST (test_super__maximum_values_decode),
  UNIT_TEST (test_super__high_halves_need_64bit),
  UNIT_TEST (test_super__revision_0_has_fixed_inode_size_and_first_inode),
  UNIT_TEST (test_super__csum_seed_follows_the_feature),
  UNIT_TEST (test_super__features_print_in_dumpe2fs_order_with_unknown_bits),
  UNIT_TEST (test_super__unsupported_features_are_named),
  UNIT_TEST (test_super__backup_groups),
  UNIT_TEST (test_super__real_images_agree_with_dumpe2fs),
};

UNIT_MAIN ("fsformat/super", tests)
