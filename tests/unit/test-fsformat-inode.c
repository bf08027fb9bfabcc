/* Unit tests: the inode (fsformat/inode.c). */

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "fsf-image.h"
#include "inode.h"
#include "unit.h"

/* A superblock as fsf_sb_decode would leave it, for synthetic inodes. */
static struct fsf_sb
synthetic_sb (uint16_t inode_size)
{
  struct fsf_sb sb;

  memset (&sb, 0, sizeof sb);
  sb.inode_size = inode_size;
  sb.block_size = 4096;
  sb.log_block_size = 2;
  sb.log_cluster_size = 2;
  sb.blocks_count = 1 << 20;
  sb.feature_ro_compat = FSF_RO_COMPAT_METADATA_CSUM
    | FSF_RO_COMPAT_HUGE_FILE | FSF_RO_COMPAT_EXTRA_ISIZE;
  sb.csum_seed = 0x12345678;
  return sb;
}

/* A 256-byte inode with a distinct value in every field. */
static void
synthetic_inode (uint8_t *p)
{
  unsigned i;

  memset (p, 0, 256);
  fsf_put_le16 (p + 0x00, FSF_S_IFREG | 0640);
  fsf_put_le16 (p + 0x02, 0x1001);
  fsf_put_le32 (p + 0x04, 0x00345678);
  fsf_put_le32 (p + 0x08, 1000);
  fsf_put_le32 (p + 0x0c, 2000);
  fsf_put_le32 (p + 0x10, 3000);
  fsf_put_le32 (p + 0x14, 0);
  fsf_put_le16 (p + 0x18, 0x2002);
  fsf_put_le16 (p + 0x1a, 3);
  fsf_put_le32 (p + 0x1c, 88);
  fsf_put_le32 (p + 0x20, FSF_EXTENTS_FL);
  fsf_put_le32 (p + 0x24, 7);
  for (i = 0; i < FSF_I_BLOCK_SIZE; i++)
    p[0x28 + i] = (uint8_t) (i + 1);
  fsf_put_le32 (p + 0x64, 0xdeadbeef);
  fsf_put_le32 (p + 0x68, 4444);
  fsf_put_le32 (p + 0x6c, 1);
  fsf_put_le16 (p + 0x74, 0);
  fsf_put_le16 (p + 0x76, 2);
  fsf_put_le16 (p + 0x78, 0x0003);
  fsf_put_le16 (p + 0x7a, 0x0004);
  fsf_put_le16 (p + 0x80, 32);
  fsf_put_le32 (p + 0x84, 5 << 2 | 1);    /* ctime: 5 ns, epoch 1 */
  fsf_put_le32 (p + 0x88, 6 << 2);
  fsf_put_le32 (p + 0x8c, 7 << 2);
  fsf_put_le32 (p + 0x90, 4000);
  fsf_put_le32 (p + 0x94, 8 << 2 | 2);
  fsf_put_le32 (p + 0x98, 9);
  fsf_put_le32 (p + 0x9c, 42);
  for (i = 0xa0; i < 256; i++)
    p[i] = (uint8_t) i;                   /* in-inode xattr space */
}

static void
test_fsformat_inode__decodes_every_field (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  uint8_t p[256];
  struct fsf_inode ino;

  synthetic_inode (p);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, sizeof p, &sb, &ino), 0);
  CU_ASSERT_EQUAL (ino.mode, FSF_S_IFREG | 0640);
  CU_ASSERT_EQUAL (ino.uid, 0x00031001);
  CU_ASSERT_EQUAL (ino.gid, 0x00042002);
  CU_ASSERT_EQUAL (ino.size, 0x100345678ULL);
  CU_ASSERT_EQUAL (ino.atime.sec, 1000);
  CU_ASSERT_EQUAL (ino.atime.nsec, 7);
  CU_ASSERT_EQUAL (ino.ctime.sec, 2000 + (1LL << 32));
  CU_ASSERT_EQUAL (ino.ctime.nsec, 5);
  CU_ASSERT_EQUAL (ino.mtime.sec, 3000);
  CU_ASSERT_EQUAL (ino.mtime.nsec, 6);
  CU_ASSERT_EQUAL (ino.crtime.sec, 4000 + (2LL << 32));
  CU_ASSERT_EQUAL (ino.crtime.nsec, 8);
  CU_ASSERT_EQUAL (ino.dtime, 0);
  CU_ASSERT_EQUAL (ino.links_count, 3);
  CU_ASSERT_EQUAL (ino.blocks, 88);
  CU_ASSERT_EQUAL (ino.flags, FSF_EXTENTS_FL);
  CU_ASSERT_EQUAL (ino.version, 7 | 9ULL << 32);
  CU_ASSERT_EQUAL (ino.i_block[0], 1);
  CU_ASSERT_EQUAL (ino.i_block[59], 60);
  CU_ASSERT_EQUAL (fsf_inode_i_block (&ino, 0), 0x04030201);
  CU_ASSERT_EQUAL (fsf_inode_i_block (&ino, 15), 0);
  CU_ASSERT_EQUAL (ino.generation, 0xdeadbeef);
  CU_ASSERT_EQUAL (ino.file_acl, 4444 | 2ULL << 32);
  CU_ASSERT_EQUAL (ino.extra_isize, 32);
  CU_ASSERT_EQUAL (ino.projid, 42);
  CU_ASSERT_TRUE (ino.has_csum_hi && ino.has_crtime && ino.has_projid
                  && ino.has_version_hi && ino.has_atime_extra);
}

/* An extra_isize of 4 holds the checksum's high half and nothing more. */
static void
test_fsformat_inode__short_extra_has_only_the_fields_it_covers (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  uint8_t p[256];
  struct fsf_inode ino;

  synthetic_inode (p);
  fsf_put_le16 (p + 0x80, 4);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, sizeof p, &sb, &ino), 0);
  CU_ASSERT_TRUE (ino.has_csum_hi);
  CU_ASSERT_FALSE (ino.has_ctime_extra || ino.has_crtime || ino.has_projid);
  CU_ASSERT_EQUAL (ino.ctime.sec, 2000);
  CU_ASSERT_EQUAL (ino.ctime.nsec, 0);
  CU_ASSERT_EQUAL (ino.crtime.sec, 0);
  CU_ASSERT_EQUAL (ino.version, 7);
  CU_ASSERT_EQUAL (ino.projid, 0);
}

static void
test_fsformat_inode__truncated_by_one_byte_fails (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  struct fsf_sb small = synthetic_sb (128);
  uint8_t p[256];
  struct fsf_inode ino;

  synthetic_inode (p);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, 255, &sb, &ino), FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, 127, &small, &ino),
                   FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, 128, &small, &ino), 0);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, 0, &small, &ino), FSF_BAD_TRUNCATED);
}

/* Inodes have no magic: what stands for it is an i_extra_isize that does
 * not fit.  The base inode is still decoded, no extra field is.
 */
static void
test_fsformat_inode__bad_extra_isize_fails_but_decodes_the_base (void)
{
  static const uint16_t bad[] = { 129, 130, 0xffff, 2, 30 };
  struct fsf_sb sb = synthetic_sb (256);
  uint8_t p[256];
  struct fsf_inode ino;
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    synthetic_inode (p);
    fsf_put_le16 (p + 0x80, bad[i]);
    CU_ASSERT_EQUAL (fsf_inode_decode (p, sizeof p, &sb, &ino),
                     FSF_BAD_FIELD);
    CU_ASSERT_EQUAL (ino.mode, FSF_S_IFREG | 0640);
    CU_ASSERT_EQUAL (ino.size, 0x100345678ULL);
    CU_ASSERT_EQUAL (ino.extra_isize, bad[i]);
    CU_ASSERT_FALSE (ino.has_csum_hi || ino.has_projid);
    CU_ASSERT_EQUAL (ino.ctime.sec, 2000);
  }
  /* 128 is the most a 256-byte inode holds. */
  fsf_put_le16 (p + 0x80, 128);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, sizeof p, &sb, &ino), 0);
}

/* The checksum, recomputed here from its definition. */
static uint32_t
reference_csum (const struct fsf_sb *sb, uint32_t ino, const uint8_t *p,
                bool hi)
{
  uint8_t copy[1024], le[4];
  uint32_t crc;

  memcpy (copy, p, sb->inode_size);
  fsf_put_le16 (copy + 0x7c, 0);
  if (hi)
    fsf_put_le16 (copy + 0x82, 0);
  fsf_put_le32 (le, ino);
  crc = fsf_crc32c_sw (sb->csum_seed, le, 4);
  crc = fsf_crc32c_sw (crc, copy + 0x64, 4);
  return fsf_crc32c_sw (crc, copy, sb->inode_size);
}

static void
test_fsformat_inode__csum_set_verify_and_flip (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  uint8_t p[256];
  struct fsf_inode ino;
  unsigned i;

  synthetic_inode (p);
  CU_ASSERT_EQUAL (fsf_inode_csum (&sb, 12, p),
                   reference_csum (&sb, 12, p, true));
  CU_ASSERT_FALSE (fsf_inode_csum_verify (&sb, 12, p));
  fsf_inode_csum_set (&sb, 12, p);
  CU_ASSERT_TRUE (fsf_inode_csum_verify (&sb, 12, p));
  CU_ASSERT_EQUAL (fsf_inode_decode (p, sizeof p, &sb, &ino), 0);
  CU_ASSERT_EQUAL (ino.checksum, reference_csum (&sb, 12, p, true));
  /* The checksum covers the number, the seed and every byte. */
  CU_ASSERT_FALSE (fsf_inode_csum_verify (&sb, 13, p));
  sb.csum_seed++;
  CU_ASSERT_FALSE (fsf_inode_csum_verify (&sb, 12, p));
  sb.csum_seed--;
  for (i = 0; i < sizeof p; i++) {
    p[i] ^= 0x10;
    if (fsf_inode_csum_verify (&sb, 12, p))
      CU_FAIL ("a flipped byte went unnoticed");
    p[i] ^= 0x10;
  }
  CU_ASSERT_TRUE (fsf_inode_csum_verify (&sb, 12, p));
}

/* extra_isize < 4: only the low 16 bits are stored and compared. */
static void
test_fsformat_inode__csum_without_hi_compares_low_half (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  struct fsf_sb small = synthetic_sb (128);
  uint8_t p[256];

  synthetic_inode (p);
  fsf_put_le16 (p + 0x80, 0);
  fsf_put_le16 (p + 0x82, 0xabcd);
  fsf_inode_csum_set (&sb, 5, p);
  CU_ASSERT_EQUAL (fsf_le16 (p + 0x82), 0xabcd);
  CU_ASSERT_EQUAL (fsf_le16 (p + 0x7c),
                   reference_csum (&sb, 5, p, false) & 0xffff);
  CU_ASSERT_TRUE (fsf_inode_csum_verify (&sb, 5, p));
  p[0x82] ^= 1;                 /* not zeroed, so covered */
  CU_ASSERT_FALSE (fsf_inode_csum_verify (&sb, 5, p));

  synthetic_inode (p);
  fsf_inode_csum_set (&small, 5, p);
  CU_ASSERT_EQUAL (fsf_le16 (p + 0x7c),
                   reference_csum (&small, 5, p, false) & 0xffff);
  CU_ASSERT_TRUE (fsf_inode_csum_verify (&small, 5, p));
  p[0x80] ^= 1;                 /* past 128: not covered */
  CU_ASSERT_TRUE (fsf_inode_csum_verify (&small, 5, p));
  p[0x7f] ^= 1;
  CU_ASSERT_FALSE (fsf_inode_csum_verify (&small, 5, p));
}

/* As e2fsck: a never-written (all-zero base) inode passes. */
static void
test_fsformat_inode__zero_inode_verifies (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  uint8_t p[256];

  memset (p, 0, sizeof p);
  CU_ASSERT_TRUE (fsf_inode_csum_verify (&sb, 99, p));
  p[0] = 1;
  CU_ASSERT_FALSE (fsf_inode_csum_verify (&sb, 99, p));
}

static void
test_fsformat_inode__maximum_values (void)
{
  struct fsf_sb sb = synthetic_sb (1024);
  uint8_t p[1024];
  struct fsf_inode ino;

  memset (p, 0xff, sizeof p);
  fsf_put_le16 (p + 0x80, 1024 - 128);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, sizeof p, &sb, &ino), 0);
  CU_ASSERT_EQUAL (ino.uid, UINT32_MAX);
  CU_ASSERT_EQUAL (ino.gid, UINT32_MAX);
  CU_ASSERT_EQUAL (ino.size, UINT64_MAX);
  CU_ASSERT_EQUAL (ino.links_count, UINT16_MAX);
  CU_ASSERT_EQUAL (ino.blocks, 0xffffffffffffULL);
  CU_ASSERT_EQUAL (ino.file_acl, 0xffffffffffffULL);
  CU_ASSERT_EQUAL (ino.version, UINT64_MAX);
  CU_ASSERT_EQUAL (ino.checksum, UINT32_MAX);
  CU_ASSERT_EQUAL (ino.projid, UINT32_MAX);
  /* Seconds -1 with epoch 3: -1 + 3 << 32; nanoseconds 2^30 - 1. */
  CU_ASSERT_EQUAL (ino.mtime.sec, -1 + (3LL << 32));
  CU_ASSERT_EQUAL (ino.mtime.nsec, (1U << 30) - 1);
  /* huge_file with the flag: 48 bits of fs blocks, which fits. */
  CU_ASSERT_EQUAL (fsf_inode_blocks_bytes (&sb, &ino),
                   0xffffffffffffULL * 4096);
  fsf_inode_csum_set (&sb, UINT32_MAX, p);
  CU_ASSERT_TRUE (fsf_inode_csum_verify (&sb, UINT32_MAX, p));
}

/* Bytes after inode_size change neither the decode nor the checksum. */
static void
test_fsformat_inode__trailing_garbage_is_ignored (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  uint8_t p[512];
  struct fsf_inode a, b;

  synthetic_inode (p);
  memset (p + 256, 0, 256);
  fsf_inode_csum_set (&sb, 12, p);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, 256, &sb, &a), 0);
  memset (p + 256, 0xa5, 256);
  CU_ASSERT_EQUAL (fsf_inode_decode (p, sizeof p, &sb, &b), 0);
  CU_ASSERT_EQUAL (memcmp (&a, &b, sizeof a), 0);
  CU_ASSERT_TRUE (fsf_inode_csum_verify (&sb, 12, p));
}

static void
test_fsformat_inode__blocks_units (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  struct fsf_inode ino;

  memset (&ino, 0, sizeof ino);
  ino.blocks = 8 | 1ULL << 32;
  CU_ASSERT_EQUAL (fsf_inode_blocks_bytes (&sb, &ino),
                   (8 + (1ULL << 32)) * 512);
  ino.flags = FSF_HUGE_FILE_FL;
  CU_ASSERT_EQUAL (fsf_inode_blocks_bytes (&sb, &ino),
                   (8 + (1ULL << 32)) * 4096);
  /* Without huge_file, neither blocks_hi nor the flag count. */
  sb.feature_ro_compat &= ~FSF_RO_COMPAT_HUGE_FILE;
  CU_ASSERT_EQUAL (fsf_inode_blocks_bytes (&sb, &ino), 8 * 512);
  CU_ASSERT_EQUAL (fsf_inode_data_sectors (&sb, &ino), 8);
  ino.file_acl = 100;
  CU_ASSERT_EQUAL (fsf_inode_data_sectors (&sb, &ino), 0);
  ino.blocks = 4;
  CU_ASSERT_EQUAL (fsf_inode_data_sectors (&sb, &ino), 0);
}

static void
test_fsformat_inode__file_types (void)
{
  static const struct {
    uint16_t mode;
    enum fsf_ftype t;
    const char *name;
  } rows[] = {
    { 0100644, FSF_FT_REG, "regular" },
    { 0040755, FSF_FT_DIR, "directory" },
    { 0120777, FSF_FT_SYMLINK, "symlink" },
    { 0020600, FSF_FT_CHR, "character special" },
    { 0060600, FSF_FT_BLK, "block special" },
    { 0010600, FSF_FT_FIFO, "FIFO" },
    { 0140600, FSF_FT_SOCK, "socket" },
    { 0000644, FSF_FT_UNKNOWN, "unknown" },
    { 0170644, FSF_FT_UNKNOWN, "unknown" },
    { 0030644, FSF_FT_UNKNOWN, "unknown" },
  };
  size_t i;

  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    CU_ASSERT_EQUAL (fsf_inode_ftype (rows[i].mode), rows[i].t);
    CU_ASSERT_STRING_EQUAL (fsf_ftype_name (fsf_inode_ftype (rows[i].mode)),
                            rows[i].name);
  }
}

static void
test_fsformat_inode__fast_symlink (void)
{
  struct fsf_sb sb = synthetic_sb (256);
  struct fsf_inode ino;

  memset (&ino, 0, sizeof ino);
  ino.mode = FSF_S_IFLNK | 0777;
  ino.size = 59;
  CU_ASSERT_TRUE (fsf_inode_is_fast_symlink (&sb, &ino));
  ino.size = 60;
  CU_ASSERT_FALSE (fsf_inode_is_fast_symlink (&sb, &ino));
  ino.size = 10;
  ino.blocks = 8;
  CU_ASSERT_FALSE (fsf_inode_is_fast_symlink (&sb, &ino));
  ino.file_acl = 1234;          /* 8 sectors: the EA block, no data */
  CU_ASSERT_TRUE (fsf_inode_is_fast_symlink (&sb, &ino));
  ino.flags = FSF_INLINE_DATA_FL;
  CU_ASSERT_FALSE (fsf_inode_is_fast_symlink (&sb, &ino));
  ino.flags = 0;
  ino.mode = FSF_S_IFREG | 0644;
  CU_ASSERT_FALSE (fsf_inode_is_fast_symlink (&sb, &ino));
}

/* --- real images ------------------------------------------------------ */

static const char tree[] =
  "mkdir -p d/e; printf hello > small; "
  "dd if=/dev/urandom of=big bs=1k count=300 status=none; "
  "ln -s small fast; "
  "ln -s $(printf 'x%.0s' $(seq 1 80)) slow; "
  "ln small hard; mkfifo fifo; chmod 4751 big; "
  "truncate -s 5G sparse; ";

/* Our decode against debugfs stat, for one path. */
static void
compare_with_stat (const struct fsf_image *img, const char *path,
                   enum fsf_ftype t)
{
  uint8_t buf[1024];
  struct fsf_inode ino;
  uint32_t n;
  char req[256], *st;
  unsigned long long v;

  if (!fsf_image_inode (img, path, &n, buf, &ino)) {
    CU_FAIL ("cannot read the inode");
    return;
  }
  snprintf (req, sizeof req, "stat %s", path);
  st = fsf_image_debugfs (img, req);
  CU_ASSERT_PTR_NOT_NULL_FATAL (st);
  CU_ASSERT_EQUAL (fsf_inode_ftype (ino.mode), t);
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "Inode: ", &v) && v == n);
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "Mode:  ", &v)
                  && v == (ino.mode & 07777u));
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "Size: ", &v) && v == ino.size);
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "Links: ", &v)
                  && v == ino.links_count);
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "Blockcount: ", &v)
                  && v * 512 == fsf_inode_blocks_bytes (&img->sb, &ino));
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "Flags: ", &v)
                  && v == ino.flags);
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "Generation: ", &v)
                  && v == ino.generation);
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "User: ", &v) && v == ino.uid);
  CU_ASSERT_TRUE (fsf_image_stat_field (st, "mtime: ", &v)
                  && v == (uint32_t) ino.mtime.sec);
  if (fsf_has_metadata_csum (&img->sb)) {
    CU_ASSERT_TRUE (fsf_image_stat_field (st, "Inode checksum: ", &v)
                    && v == ino.checksum);
    CU_ASSERT_TRUE (fsf_inode_csum_verify (&img->sb, n, buf));
    buf[0x1a] ^= 0x40;      /* links_count */
    CU_ASSERT_FALSE (fsf_inode_csum_verify (&img->sb, n, buf));
  }
  if (t == FSF_FT_SYMLINK)
    CU_ASSERT_EQUAL (fsf_inode_is_fast_symlink (&img->sb, &ino),
                     strstr (st, "Fast link dest:") != NULL);
  free (st);
}

/* Every inode of every group checksums right, and fails once flipped. */
static void
check_every_inode (const struct fsf_image *img)
{
  const struct fsf_sb *sb = &img->sb;
  size_t isz = sb->inode_size;
  uint8_t *table = malloc ((size_t) sb->inodes_per_group * isz);
  uint32_t g, i, used = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (table);
  for (g = 0; g < sb->groups_count; g++) {
    char path[32];
    uint32_t first = g * sb->inodes_per_group + 1, n;
    uint64_t off;

    snprintf (path, sizeof path, "<%" PRIu32 ">", first);
    CU_ASSERT_TRUE_FATAL (fsf_image_imap (img, path, &n, &off));
    CU_ASSERT_EQUAL_FATAL (fsf_read (&img->src, table,
                                     sb->inodes_per_group * isz, off), 0);
    for (i = 0; i < sb->inodes_per_group; i++) {
      uint8_t *p = table + i * isz;

      if (!fsf_inode_csum_verify (sb, first + i, p)) {
        fprintf (stderr, "inode %" PRIu32 " fails\n", first + i);
        CU_FAIL ("inode checksum");
      }
      if (fsf_le16 (p) == 0)
        continue;
      used++;
      p[0x20] ^= 0x01;
      CU_ASSERT_FALSE (fsf_inode_csum_verify (sb, first + i, p));
    }
  }
  CU_ASSERT (used >= 12);
  free (table);
}

static void
compare_tree (const struct fsf_image *img)
{
  compare_with_stat (img, "/", FSF_FT_DIR);
  compare_with_stat (img, "/d/e", FSF_FT_DIR);
  compare_with_stat (img, "/small", FSF_FT_REG);
  compare_with_stat (img, "/big", FSF_FT_REG);
  compare_with_stat (img, "/sparse", FSF_FT_REG);
  compare_with_stat (img, "/fast", FSF_FT_SYMLINK);
  compare_with_stat (img, "/slow", FSF_FT_SYMLINK);
  compare_with_stat (img, "/fifo", FSF_FT_FIFO);
}

static void
test_fsformat_inode__ext4_image_matches_debugfs (void)
{
  struct fsf_image img;

  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree,
                                        "-t ext4 -b 4096 -I 256 -N 512",
                                        "16M"));
  CU_ASSERT_TRUE (fsf_has_metadata_csum (&img.sb));
  compare_tree (&img);
  check_every_inode (&img);
  fsf_image_close (&img);
}

static void
test_fsformat_inode__ext4_without_csum_matches_debugfs (void)
{
  struct fsf_image img;

  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree,
                                        "-t ext4 -O ^metadata_csum -I 512",
                                        "16M"));
  CU_ASSERT_FALSE (fsf_has_metadata_csum (&img.sb));
  compare_tree (&img);
  fsf_image_close (&img);
}

static void
test_fsformat_inode__ext3_1k_128_byte_inodes_match_debugfs (void)
{
  struct fsf_image img;

  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree,
                                        "-t ext3 -b 1024 -I 128", "8M"));
  CU_ASSERT_EQUAL (img.sb.inode_size, 128);
  compare_tree (&img);
  fsf_image_close (&img);
}

/* 1k blocks, metadata_csum, several groups. */
static void
test_fsformat_inode__ext4_1k_every_group_verifies (void)
{
  struct fsf_image img;

  CU_ASSERT_TRUE_FATAL (fsf_image_make (&img, tree,
                                        "-t ext4 -b 1024 -N 2048", "24M"));
  CU_ASSERT (img.sb.groups_count > 1);
  compare_tree (&img);
  check_every_inode (&img);
  fsf_image_close (&img);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_fsformat_inode__decodes_every_field),
  UNIT_TEST (test_fsformat_inode__short_extra_has_only_the_fields_it_covers),
  UNIT_TEST (test_fsformat_inode__truncated_by_one_byte_fails),
  UNIT_TEST (test_fsformat_inode__bad_extra_isize_fails_but_decodes_the_base),
  UNIT_TEST (test_fsformat_inode__csum_set_verify_and_flip),
  UNIT_TEST (test_fsformat_inode__csum_without_hi_compares_low_half),
  UNIT_TEST (test_fsformat_inode__zero_inode_verifies),
  UNIT_TEST (test_fsformat_inode__maximum_values),
  UNIT_TEST (test_fsformat_inode__trailing_garbage_is_ignored),
  UNIT_TEST (test_fsformat_inode__blocks_units),
  UNIT_TEST (test_fsformat_inode__file_types),
  UNIT_TEST (test_fsformat_inode__fast_symlink),
  UNIT_TEST (test_fsformat_inode__ext4_image_matches_debugfs),
  UNIT_TEST (test_fsformat_inode__ext4_without_csum_matches_debugfs),
  UNIT_TEST (test_fsformat_inode__ext3_1k_128_byte_inodes_match_debugfs),
  UNIT_TEST (test_fsformat_inode__ext4_1k_every_group_verifies),
};

UNIT_MAIN ("fsformat/inode", tests)
