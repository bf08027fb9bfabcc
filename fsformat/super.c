/* nbdscrub fsformat: the superblock (see super.h for the layout). */

#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "fsf.h"
#include "super.h"

/* Copy an on-disk string field (not always NUL-terminated). */
static void
copy_str (char *dst, const uint8_t *src, size_t n)
{
  memcpy (dst, src, n);
  dst[n] = '\0';
}

static void
decode_fields (const uint8_t *p, struct fsf_sb *sb)
{
  bool is64 = fsf_le32 (p + 0x60) & FSF_INCOMPAT_64BIT;
  unsigned i;

  sb->inodes_count = fsf_le32 (p + 0x00);
  sb->blocks_count = fsf_lohi (fsf_le32 (p + 0x04),
                               is64 ? fsf_le32 (p + 0x150) : 0);
  sb->r_blocks_count = fsf_lohi (fsf_le32 (p + 0x08),
                                 is64 ? fsf_le32 (p + 0x154) : 0);
  sb->free_blocks_count = fsf_lohi (fsf_le32 (p + 0x0c),
                                    is64 ? fsf_le32 (p + 0x158) : 0);
  sb->free_inodes_count = fsf_le32 (p + 0x10);
  sb->first_data_block = fsf_le32 (p + 0x14);
  sb->log_block_size = fsf_le32 (p + 0x18);
  sb->log_cluster_size = fsf_le32 (p + 0x1c);
  sb->blocks_per_group = fsf_le32 (p + 0x20);
  sb->clusters_per_group = fsf_le32 (p + 0x24);
  sb->inodes_per_group = fsf_le32 (p + 0x28);
  sb->mtime = fsf_lohi (fsf_le32 (p + 0x2c), p[0x275]);
  sb->wtime = fsf_lohi (fsf_le32 (p + 0x30), p[0x274]);
  sb->mnt_count = fsf_le16 (p + 0x34);
  sb->max_mnt_count = (int16_t) fsf_le16 (p + 0x36);
  sb->magic = fsf_le16 (p + 0x38);
  sb->state = fsf_le16 (p + 0x3a);
  sb->errors = fsf_le16 (p + 0x3c);
  sb->minor_rev_level = fsf_le16 (p + 0x3e);
  sb->lastcheck = fsf_lohi (fsf_le32 (p + 0x40), p[0x277]);
  sb->checkinterval = fsf_le32 (p + 0x44);
  sb->creator_os = fsf_le32 (p + 0x48);
  sb->rev_level = fsf_le32 (p + 0x4c);
  sb->def_resuid = fsf_le16 (p + 0x50);
  sb->def_resgid = fsf_le16 (p + 0x52);
  if (sb->rev_level == FSF_GOOD_OLD_REV) {
    sb->first_ino = FSF_GOOD_OLD_FIRST_INO;
    sb->inode_size = FSF_GOOD_OLD_INODE_SIZE;
  }
  else {
    sb->first_ino = fsf_le32 (p + 0x54);
    sb->inode_size = fsf_le16 (p + 0x58);
  }
  sb->block_group_nr = fsf_le16 (p + 0x5a);
  sb->feature_compat = fsf_le32 (p + 0x5c);
  sb->feature_incompat = fsf_le32 (p + 0x60);
  sb->feature_ro_compat = fsf_le32 (p + 0x64);
  memcpy (sb->uuid, p + 0x68, 16);
  copy_str (sb->volume_name, p + 0x78, 16);
  copy_str (sb->last_mounted, p + 0x88, 64);
  sb->algorithm_usage_bitmap = fsf_le32 (p + 0xc8);
  sb->prealloc_blocks = p[0xcc];
  sb->prealloc_dir_blocks = p[0xcd];
  sb->reserved_gdt_blocks = fsf_le16 (p + 0xce);
  memcpy (sb->journal_uuid, p + 0xd0, 16);
  sb->journal_inum = fsf_le32 (p + 0xe0);
  sb->journal_dev = fsf_le32 (p + 0xe4);
  sb->last_orphan = fsf_le32 (p + 0xe8);
  for (i = 0; i < 4; i++)
    sb->hash_seed[i] = fsf_le32 (p + 0xec + 4 * i);
  sb->def_hash_version = p[0xfc];
  sb->jnl_backup_type = p[0xfd];
  sb->desc_size_raw = fsf_le16 (p + 0xfe);
  sb->default_mount_opts = fsf_le32 (p + 0x100);
  sb->first_meta_bg = fsf_le32 (p + 0x104);
  sb->mkfs_time = fsf_lohi (fsf_le32 (p + 0x108), p[0x276]);
  for (i = 0; i < 17; i++)
    sb->jnl_blocks[i] = fsf_le32 (p + 0x10c + 4 * i);
  sb->min_extra_isize = fsf_le16 (p + 0x15c);
  sb->want_extra_isize = fsf_le16 (p + 0x15e);
  sb->flags = fsf_le32 (p + 0x160);
  sb->raid_stride = fsf_le16 (p + 0x164);
  sb->mmp_update_interval = fsf_le16 (p + 0x166);
  sb->mmp_block = fsf_le64 (p + 0x168);
  sb->raid_stripe_width = fsf_le32 (p + 0x170);
  sb->log_groups_per_flex = p[0x174];
  sb->checksum_type = p[0x175];
  sb->encryption_level = p[0x176];
  sb->kbytes_written = fsf_le64 (p + 0x178);
  sb->snapshot_inum = fsf_le32 (p + 0x180);
  sb->snapshot_id = fsf_le32 (p + 0x184);
  sb->snapshot_r_blocks_count = fsf_le64 (p + 0x188);
  sb->snapshot_list = fsf_le32 (p + 0x190);
  sb->error_count = fsf_le32 (p + 0x194);
  sb->first_error_time = fsf_lohi (fsf_le32 (p + 0x198), p[0x278]);
  sb->first_error_ino = fsf_le32 (p + 0x19c);
  sb->first_error_block = fsf_le64 (p + 0x1a0);
  sb->first_error_line = fsf_le32 (p + 0x1c8);
  sb->last_error_time = fsf_lohi (fsf_le32 (p + 0x1cc), p[0x279]);
  sb->last_error_ino = fsf_le32 (p + 0x1d0);
  sb->last_error_line = fsf_le32 (p + 0x1d4);
  sb->last_error_block = fsf_le64 (p + 0x1d8);
  sb->usr_quota_inum = fsf_le32 (p + 0x240);
  sb->grp_quota_inum = fsf_le32 (p + 0x244);
  sb->overhead_clusters = fsf_le32 (p + 0x248);
  sb->backup_bgs[0] = fsf_le32 (p + 0x24c);
  sb->backup_bgs[1] = fsf_le32 (p + 0x250);
  sb->lpf_ino = fsf_le32 (p + 0x268);
  sb->prj_quota_inum = fsf_le32 (p + 0x26c);
  sb->checksum_seed = fsf_le32 (p + 0x270);
  sb->encoding = fsf_le16 (p + 0x27c);
  sb->encoding_flags = fsf_le16 (p + 0x27e);
  sb->orphan_file_inum = fsf_le32 (p + 0x280);
  sb->checksum = fsf_le32 (p + FSF_SB_CSUM_OFFSET);
}

/* Everything the geometry rests on, one rule per if. */
static int
check_geometry (struct fsf_sb *sb)
{
  bool bigalloc = fsf_has_ro_compat (sb, FSF_RO_COMPAT_BIGALLOC);
  uint64_t groups;
  uint32_t bits_per_block;

  if (sb->magic != FSF_SB_MAGIC)
    return FSF_BAD_MAGIC;
  if (sb->rev_level > FSF_DYNAMIC_REV)
    return FSF_BAD_FIELD;
  if (sb->log_block_size > FSF_MAX_BLOCK_LOG - FSF_MIN_BLOCK_LOG)
    return FSF_BAD_FIELD;
  sb->block_size = 1024U << sb->log_block_size;
  bits_per_block = 8 * sb->block_size;

  /* Both logs count from 1 KiB; clusters reach 2^29 bytes at most, as
   * e2fsprogs allows.
   */
  if (bigalloc ? sb->log_cluster_size < sb->log_block_size
                 || sb->log_cluster_size > 29 - FSF_MIN_BLOCK_LOG
               : sb->log_cluster_size != sb->log_block_size)
    return FSF_BAD_FIELD;
  if (sb->blocks_per_group == 0 || sb->clusters_per_group == 0)
    return FSF_BAD_FIELD;
  if (sb->clusters_per_group > bits_per_block)
    return FSF_BAD_FIELD;
  /* A group is a whole number of clusters (one block each without
   * bigalloc); clusters_per_group <= 2^19, the shift <= 13: no overflow.
   */
  if ((uint64_t) sb->blocks_per_group
      != (uint64_t) sb->clusters_per_group
         << (sb->log_cluster_size - sb->log_block_size))
    return FSF_BAD_FIELD;
  if (sb->inodes_per_group == 0 || sb->inodes_per_group > bits_per_block)
    return FSF_BAD_FIELD;
  if (sb->inode_size < FSF_GOOD_OLD_INODE_SIZE || !fsf_is_pow2 (sb->inode_size)
      || sb->inode_size > sb->block_size)
    return FSF_BAD_FIELD;
  if (sb->first_ino < FSF_GOOD_OLD_FIRST_INO)
    return FSF_BAD_FIELD;
  /* 1 KiB blocks leave block 0 to the boot sector: the first group starts
   * at block 1.  Any larger block size holds the superblock in block 0.
   */
  if (sb->first_data_block != (sb->block_size == 1024 && !bigalloc))
    return FSF_BAD_FIELD;
  if (sb->blocks_count <= sb->first_data_block)
    return FSF_BAD_FIELD;
  /* Every block's byte offset must fit in 64 bits, so that block *
   * block_size never wraps anywhere in this layer.
   */
  if (sb->blocks_count > UINT64_MAX >> (FSF_MIN_BLOCK_LOG
                                        + sb->log_block_size))
    return FSF_BAD_FIELD;

  groups = (sb->blocks_count - sb->first_data_block
            + sb->blocks_per_group - 1) / sb->blocks_per_group;
  if (groups == 0 || groups > UINT32_MAX
      || groups * sb->inodes_per_group > UINT32_MAX)
    return FSF_BAD_FIELD;
  sb->groups_count = (uint32_t) groups;

  if (fsf_has_incompat (sb, FSF_INCOMPAT_64BIT)) {
    if (sb->desc_size_raw < FSF_MIN_DESC_SIZE_64BIT
        || sb->desc_size_raw > FSF_MAX_DESC_SIZE
        || !fsf_is_pow2 (sb->desc_size_raw))
      return FSF_BAD_FIELD;
    sb->desc_size = sb->desc_size_raw;
  }
  else
    sb->desc_size = FSF_MIN_DESC_SIZE;
  sb->descs_per_block = sb->block_size / sb->desc_size;
  sb->inodes_per_block = sb->block_size / sb->inode_size;
  sb->itable_blocks = (uint32_t) (((uint64_t) sb->inodes_per_group
                                   * sb->inode_size + sb->block_size - 1)
                                  / sb->block_size);

  if (fsf_has_incompat (sb, FSF_INCOMPAT_FLEX_BG)
      && sb->log_groups_per_flex > 31)
    return FSF_BAD_FIELD;
  /* meta_bg: the old-style table cannot be longer than a full one (the
   * kernel refuses the same).
   */
  if (fsf_has_incompat (sb, FSF_INCOMPAT_META_BG)
      && sb->first_meta_bg > (sb->groups_count + sb->descs_per_block - 1)
                             / sb->descs_per_block)
    return FSF_BAD_FIELD;
  if (fsf_has_metadata_csum (sb) && sb->checksum_type != FSF_CRC32C_CHKSUM)
    return FSF_BAD_FIELD;
  return 0;
}

int
fsf_sb_decode (const uint8_t *buf, size_t len, struct fsf_sb *sb)
{
  memset (sb, 0, sizeof *sb);
  if (len < FSF_SB_SIZE)
    return FSF_BAD_TRUNCATED;
  decode_fields (buf, sb);
  sb->csum_seed = fsf_has_incompat (sb, FSF_INCOMPAT_CSUM_SEED)
    ? sb->checksum_seed : fsf_crc32c (~0U, sb->uuid, 16);
  return check_geometry (sb);
}

uint32_t
fsf_sb_csum (const uint8_t *buf)
{
  return fsf_crc32c (~0U, buf, FSF_SB_CSUM_OFFSET);
}

bool
fsf_sb_csum_verify (const uint8_t *buf)
{
  return fsf_le32 (buf + FSF_SB_CSUM_OFFSET) == fsf_sb_csum (buf);
}

void
fsf_sb_csum_set (uint8_t *buf)
{
  fsf_put_le32 (buf + FSF_SB_CSUM_OFFSET, fsf_sb_csum (buf));
}

/* e2fsprogs' names (lib/e2p/feature.c); where it has two names for one
 * bit, the first, which is what dumpe2fs prints.
 */
static const struct {
  int type;
  uint32_t bit;
  const char *name;
} features[] = {
  { 0, FSF_COMPAT_DIR_PREALLOC, "dir_prealloc" },
  { 0, FSF_COMPAT_IMAGIC_INODES, "imagic_inodes" },
  { 0, FSF_COMPAT_HAS_JOURNAL, "has_journal" },
  { 0, FSF_COMPAT_EXT_ATTR, "ext_attr" },
  { 0, FSF_COMPAT_RESIZE_INODE, "resize_inode" },
  { 0, FSF_COMPAT_DIR_INDEX, "dir_index" },
  { 0, FSF_COMPAT_LAZY_BG, "lazy_bg" },
  { 0, FSF_COMPAT_EXCLUDE_BITMAP, "snapshot_bitmap" },
  { 0, FSF_COMPAT_SPARSE_SUPER2, "sparse_super2" },
  { 0, FSF_COMPAT_FAST_COMMIT, "fast_commit" },
  { 0, FSF_COMPAT_STABLE_INODES, "stable_inodes" },
  { 0, FSF_COMPAT_ORPHAN_FILE, "orphan_file" },
  { 1, FSF_INCOMPAT_COMPRESSION, "compression" },
  { 1, FSF_INCOMPAT_FILETYPE, "filetype" },
  { 1, FSF_INCOMPAT_RECOVER, "needs_recovery" },
  { 1, FSF_INCOMPAT_JOURNAL_DEV, "journal_dev" },
  { 1, FSF_INCOMPAT_META_BG, "meta_bg" },
  { 1, FSF_INCOMPAT_EXTENTS, "extent" },
  { 1, FSF_INCOMPAT_64BIT, "64bit" },
  { 1, FSF_INCOMPAT_MMP, "mmp" },
  { 1, FSF_INCOMPAT_FLEX_BG, "flex_bg" },
  { 1, FSF_INCOMPAT_EA_INODE, "ea_inode" },
  { 1, FSF_INCOMPAT_DIRDATA, "dirdata" },
  { 1, FSF_INCOMPAT_CSUM_SEED, "metadata_csum_seed" },
  { 1, FSF_INCOMPAT_LARGEDIR, "large_dir" },
  { 1, FSF_INCOMPAT_INLINE_DATA, "inline_data" },
  { 1, FSF_INCOMPAT_ENCRYPT, "encrypt" },
  { 1, FSF_INCOMPAT_CASEFOLD, "casefold" },
  { 2, FSF_RO_COMPAT_SPARSE_SUPER, "sparse_super" },
  { 2, FSF_RO_COMPAT_LARGE_FILE, "large_file" },
  { 2, FSF_RO_COMPAT_HUGE_FILE, "huge_file" },
  { 2, FSF_RO_COMPAT_GDT_CSUM, "uninit_bg" },
  { 2, FSF_RO_COMPAT_DIR_NLINK, "dir_nlink" },
  { 2, FSF_RO_COMPAT_EXTRA_ISIZE, "extra_isize" },
  { 2, FSF_RO_COMPAT_QUOTA, "quota" },
  { 2, FSF_RO_COMPAT_BIGALLOC, "bigalloc" },
  { 2, FSF_RO_COMPAT_METADATA_CSUM, "metadata_csum" },
  { 2, FSF_RO_COMPAT_REPLICA, "replica" },
  { 2, FSF_RO_COMPAT_READONLY, "read-only" },
  { 2, FSF_RO_COMPAT_PROJECT, "project" },
  { 2, FSF_RO_COMPAT_SHARED_BLOCKS, "shared_blocks" },
  { 2, FSF_RO_COMPAT_VERITY, "verity" },
  { 2, FSF_RO_COMPAT_ORPHAN_PRESENT, "orphan_present" },
};

const char *
fsf_feature_name (int type, uint32_t bit)
{
  size_t i;

  for (i = 0; i < sizeof features / sizeof features[0]; i++)
    if (features[i].type == type && features[i].bit == bit)
      return features[i].name;
  return NULL;
}

/* Append word to buf[*used..len), space-separated, snprintf-style. */
static void
append (char *buf, size_t len, size_t *used, const char *word)
{
  int n = snprintf (*used < len ? buf + *used : NULL,
                    *used < len ? len - *used : 0, "%s%s",
                    *used ? " " : "", word);

  if (n > 0)
    *used += (size_t) n;
}

static uint32_t
mask_of (const struct fsf_sb *sb, int type)
{
  return type == 0 ? sb->feature_compat
    : type == 1 ? sb->feature_incompat : sb->feature_ro_compat;
}

size_t
fsf_sb_features (const struct fsf_sb *sb, char *buf, size_t len)
{
  static const char letter[] = "CIR";
  size_t used = 0;
  int type, b;

  if (len)
    buf[0] = '\0';
  for (type = 0; type < 3; type++) {
    for (b = 0; b < 32; b++) {
      uint32_t bit = 1U << b;
      const char *name;
      char unknown[24];

      if (!(mask_of (sb, type) & bit))
        continue;
      name = fsf_feature_name (type, bit);
      if (name == NULL) {
        snprintf (unknown, sizeof unknown, "FEATURE_%c%d", letter[type], b);
        name = unknown;
      }
      append (buf, len, &used, name);
    }
  }
  return used;
}

int
fsf_sb_unsupported (const struct fsf_sb *sb, char *buf, size_t len)
{
  const uint32_t bad[3] = {
    sb->feature_compat & FSF_COMPAT_UNSUPPORTED,
    sb->feature_incompat & ~FSF_INCOMPAT_SUPPORTED,
    sb->feature_ro_compat & ~FSF_RO_COMPAT_SUPPORTED,
  };
  struct fsf_sb only = { 0 };

  only.feature_compat = bad[0];
  only.feature_incompat = bad[1];
  only.feature_ro_compat = bad[2];
  fsf_sb_features (&only, buf, len);
  return __builtin_popcount (bad[0]) + __builtin_popcount (bad[1])
    + __builtin_popcount (bad[2]);
}

/* Is n a power of base (1 counts)? */
static bool
is_power_of (uint32_t n, uint32_t base)
{
  while (n > 1 && n % base == 0)
    n /= base;
  return n == 1;
}

bool
fsf_sb_group_has_super (const struct fsf_sb *sb, uint32_t g)
{
  if (g == 0)
    return true;
  if (fsf_has_compat (sb, FSF_COMPAT_SPARSE_SUPER2))
    return g == sb->backup_bgs[0] || g == sb->backup_bgs[1];
  if (g <= 1 || !fsf_has_ro_compat (sb, FSF_RO_COMPAT_SPARSE_SUPER))
    return true;
  if (!(g & 1))
    return false;
  return is_power_of (g, 3) || is_power_of (g, 5) || is_power_of (g, 7);
}

uint64_t
fsf_sb_group_first_block (const struct fsf_sb *sb, uint32_t g)
{
  return sb->first_data_block + (uint64_t) g * sb->blocks_per_group;
}

uint32_t
fsf_sb_group_blocks (const struct fsf_sb *sb, uint32_t g)
{
  uint64_t first = fsf_sb_group_first_block (sb, g);

  if (g >= sb->groups_count)
    return 0;
  if (g + 1 < sb->groups_count)
    return sb->blocks_per_group;
  return (uint32_t) (sb->blocks_count - first);
}
