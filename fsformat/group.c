/* nbdscrub fsformat: group descriptors (see group.h for the layout). */

#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "fsf.h"
#include "group.h"
#include "super.h"

/* The descriptor size the checksums run over: sb->desc_size, held to the
 * range fsf_sb_decode allows so that a caller's bad struct cannot send us
 * far past its buffer.
 */
static uint32_t
desc_len (const struct fsf_sb *sb)
{
  if (sb->desc_size < FSF_MIN_DESC_SIZE)
    return FSF_MIN_DESC_SIZE;
  if (sb->desc_size > FSF_MAX_DESC_SIZE)
    return FSF_MAX_DESC_SIZE;
  return sb->desc_size;
}

int
fsf_gd_decode (const uint8_t *buf, size_t len, const struct fsf_sb *sb,
               struct fsf_gd *out)
{
  bool is64;

  memset (out, 0, sizeof *out);
  if (sb->desc_size < FSF_MIN_DESC_SIZE || sb->desc_size > FSF_MAX_DESC_SIZE)
    return FSF_BAD_FIELD;
  if (len < sb->desc_size)
    return FSF_BAD_TRUNCATED;
  is64 = sb->desc_size >= FSF_MIN_DESC_SIZE_64BIT;

  out->block_bitmap = fsf_lohi (fsf_le32 (buf + 0x00),
                                is64 ? fsf_le32 (buf + 0x20) : 0);
  out->inode_bitmap = fsf_lohi (fsf_le32 (buf + 0x04),
                                is64 ? fsf_le32 (buf + 0x24) : 0);
  out->inode_table = fsf_lohi (fsf_le32 (buf + 0x08),
                               is64 ? fsf_le32 (buf + 0x28) : 0);
  out->free_blocks_count = fsf_le16 (buf + 0x0c)
    | (is64 ? (uint32_t) fsf_le16 (buf + 0x2c) << 16 : 0);
  out->free_inodes_count = fsf_le16 (buf + 0x0e)
    | (is64 ? (uint32_t) fsf_le16 (buf + 0x2e) << 16 : 0);
  out->used_dirs_count = fsf_le16 (buf + 0x10)
    | (is64 ? (uint32_t) fsf_le16 (buf + 0x30) << 16 : 0);
  out->flags = fsf_le16 (buf + 0x12);
  out->exclude_bitmap = fsf_lohi (fsf_le32 (buf + 0x14),
                                  is64 ? fsf_le32 (buf + 0x34) : 0);
  out->block_bitmap_csum = fsf_le16 (buf + FSF_GD_BLOCK_BITMAP_CSUM_LO);
  if (sb->desc_size >= FSF_GD_BLOCK_BITMAP_CSUM_HI_END)
    out->block_bitmap_csum |=
      (uint32_t) fsf_le16 (buf + FSF_GD_BLOCK_BITMAP_CSUM_HI) << 16;
  out->inode_bitmap_csum = fsf_le16 (buf + FSF_GD_INODE_BITMAP_CSUM_LO);
  if (sb->desc_size >= FSF_GD_INODE_BITMAP_CSUM_HI_END)
    out->inode_bitmap_csum |=
      (uint32_t) fsf_le16 (buf + FSF_GD_INODE_BITMAP_CSUM_HI) << 16;
  out->itable_unused = fsf_le16 (buf + 0x1c)
    | (is64 ? (uint32_t) fsf_le16 (buf + 0x32) << 16 : 0);
  out->checksum = fsf_le16 (buf + FSF_GD_CSUM_OFFSET);
  return 0;
}

/* metadata_csum wins over gdt_csum when both are set, as in e2fsprogs. */
uint16_t
fsf_gd_csum (const uint8_t *desc, const struct fsf_sb *sb, uint32_t group)
{
  static const uint8_t zero[2];
  uint32_t size = desc_len (sb);
  uint32_t after = FSF_GD_CSUM_OFFSET + 2;
  uint8_t grp[4];

  fsf_put_le32 (grp, group);
  if (fsf_has_metadata_csum (sb)) {
    uint32_t crc = fsf_crc32c (sb->csum_seed, grp, sizeof grp);

    crc = fsf_crc32c (crc, desc, FSF_GD_CSUM_OFFSET);
    crc = fsf_crc32c (crc, zero, sizeof zero);
    crc = fsf_crc32c (crc, desc + after, size - after);
    return (uint16_t) (crc & 0xffff);
  }
  if (fsf_has_ro_compat (sb, FSF_RO_COMPAT_GDT_CSUM)) {
    uint16_t crc = fsf_crc16 (0xffff, sb->uuid, sizeof sb->uuid);

    crc = fsf_crc16 (crc, grp, sizeof grp);
    crc = fsf_crc16 (crc, desc, FSF_GD_CSUM_OFFSET);
    if (size > after)
      crc = fsf_crc16 (crc, desc + after, size - after);
    return crc;
  }
  return 0;
}

static bool
has_gd_csum (const struct fsf_sb *sb)
{
  return fsf_has_metadata_csum (sb)
    || fsf_has_ro_compat (sb, FSF_RO_COMPAT_GDT_CSUM);
}

bool
fsf_gd_csum_verify (const uint8_t *desc, const struct fsf_sb *sb,
                    uint32_t group)
{
  if (!has_gd_csum (sb))
    return true;
  return fsf_le16 (desc + FSF_GD_CSUM_OFFSET) == fsf_gd_csum (desc, sb, group);
}

void
fsf_gd_csum_set (uint8_t *desc, const struct fsf_sb *sb, uint32_t group)
{
  if (has_gd_csum (sb))
    fsf_put_le16 (desc + FSF_GD_CSUM_OFFSET, fsf_gd_csum (desc, sb, group));
}

/* The block holding the primary superblock: 1 with 1 KiB blocks (block 0
 * is the boot block, also under bigalloc where the first group starts at
 * 0), else 0.
 */
static uint64_t
primary_super_block (const struct fsf_sb *sb)
{
  return sb->block_size == 1024 ? 1 : 0;
}

/* The first block of group g past its superblock backup, if any. */
static uint64_t
after_super (const struct fsf_sb *sb, uint32_t g)
{
  if (g == 0)
    return primary_super_block (sb) + 1;
  return fsf_sb_group_first_block (sb, g) + fsf_sb_group_has_super (sb, g);
}

/* Does group's descriptor live in the old, contiguous table? */
static bool
in_old_table (const struct fsf_sb *sb, uint32_t group)
{
  return !fsf_has_incompat (sb, FSF_INCOMPAT_META_BG)
    || group / sb->descs_per_block < sb->first_meta_bg;
}

/* Is group one of the three of its meta group holding the descriptor
 * block: the first, the second and the last?
 */
static bool
holds_meta_bg_desc (const struct fsf_sb *sb, uint32_t group)
{
  uint32_t pos = group % sb->descs_per_block;

  return pos == 0 || pos == 1 || pos == sb->descs_per_block - 1;
}

static int
check_geometry (const struct fsf_sb *sb)
{
  if (sb->descs_per_block == 0 || sb->blocks_per_group == 0)
    return FSF_BAD_FIELD;
  return 0;
}

int
fsf_gd_backup_location (const struct fsf_sb *sb, uint32_t backup_group,
                        uint32_t group, uint64_t *block, uint32_t *offset)
{
  uint32_t meta;
  uint64_t b;
  int r;

  r = check_geometry (sb);
  if (r)
    return r;
  if (group >= sb->groups_count || backup_group >= sb->groups_count)
    return FSF_BAD_RANGE;
  meta = group / sb->descs_per_block;
  if (in_old_table (sb, group)) {
    /* With meta_bg only the backups in the old table's own meta groups
     * carry a copy of it (ext2fs_super_and_bgd_loc2).
     */
    if (!fsf_sb_group_has_super (sb, backup_group)
        || !in_old_table (sb, backup_group))
      return FSF_BAD_RANGE;
    b = after_super (sb, backup_group) + meta;
  }
  else {
    if (backup_group / sb->descs_per_block != meta
        || !holds_meta_bg_desc (sb, backup_group))
      return FSF_BAD_RANGE;
    b = after_super (sb, backup_group);
  }
  if (b >= sb->blocks_count)
    return FSF_BAD_RANGE;
  *block = b;
  *offset = group % sb->descs_per_block * sb->desc_size;
  return 0;
}

int
fsf_gd_location (const struct fsf_sb *sb, uint32_t group, uint64_t *block,
                 uint32_t *offset)
{
  uint32_t first;
  int r;

  r = check_geometry (sb);
  if (r)
    return r;
  if (group >= sb->groups_count)
    return FSF_BAD_RANGE;
  /* The primary: group 0's table, or the first group of the meta group. */
  first = in_old_table (sb, group) ? 0
    : group - group % sb->descs_per_block;
  return fsf_gd_backup_location (sb, first, group, block, offset);
}

uint32_t
fsf_gd_table_blocks (const struct fsf_sb *sb)
{
  if (sb->descs_per_block == 0)
    return 0;
  return (uint32_t) (((uint64_t) sb->groups_count + sb->descs_per_block - 1)
                     / sb->descs_per_block);
}

uint64_t
fsf_group_meta_blocks (const struct fsf_sb *sb, uint32_t group)
{
  bool has_super;
  uint64_t n;

  if (check_geometry (sb) || group >= sb->groups_count)
    return 0;
  has_super = fsf_sb_group_has_super (sb, group);
  n = has_super;
  if (in_old_table (sb, group)) {
    /* With meta_bg the old table is s_first_meta_bg blocks, and no
     * reserved GDT blocks follow it (ext2fs_super_and_bgd_loc2).
     */
    if (has_super)
      n += fsf_has_incompat (sb, FSF_INCOMPAT_META_BG) ? sb->first_meta_bg
        : (uint64_t) fsf_gd_table_blocks (sb) + sb->reserved_gdt_blocks;
  }
  else if (holds_meta_bg_desc (sb, group))
    n++;
  return n;
}

/* The bitmap checksums. */

static uint32_t
block_bitmap_bytes (const struct fsf_sb *sb)
{
  uint32_t n = sb->clusters_per_group / 8;

  return n > sb->block_size ? sb->block_size : n;
}

static uint32_t
inode_bitmap_bytes (const struct fsf_sb *sb)
{
  uint32_t n = sb->inodes_per_group / 8;

  return n > sb->block_size ? sb->block_size : n;
}

/* Compare a computed bitmap checksum with the stored one, over the bits
 * the descriptor has room for.
 */
static bool
bitmap_csum_match (const struct fsf_sb *sb, uint32_t calc, uint32_t stored,
                   uint32_t hi_end)
{
  if (!fsf_has_metadata_csum (sb))
    return true;
  if (sb->desc_size < hi_end)
    calc &= 0xffff;
  return calc == stored;
}

static void
bitmap_csum_store (const struct fsf_sb *sb, uint8_t *desc, uint32_t crc,
                   uint32_t lo, uint32_t hi, uint32_t hi_end)
{
  if (!fsf_has_metadata_csum (sb))
    return;
  fsf_put_le16 (desc + lo, (uint16_t) (crc & 0xffff));
  if (sb->desc_size >= hi_end)
    fsf_put_le16 (desc + hi, (uint16_t) (crc >> 16));
}

uint32_t
fsf_block_bitmap_csum (const uint8_t *bitmap, const struct fsf_sb *sb)
{
  return fsf_crc32c (sb->csum_seed, bitmap, block_bitmap_bytes (sb));
}

bool
fsf_block_bitmap_csum_verify (const uint8_t *bitmap, const struct fsf_sb *sb,
                              const struct fsf_gd *gd)
{
  return bitmap_csum_match (sb, fsf_block_bitmap_csum (bitmap, sb),
                            gd->block_bitmap_csum,
                            FSF_GD_BLOCK_BITMAP_CSUM_HI_END);
}

void
fsf_block_bitmap_csum_set (const uint8_t *bitmap, const struct fsf_sb *sb,
                           uint8_t *desc)
{
  bitmap_csum_store (sb, desc, fsf_block_bitmap_csum (bitmap, sb),
                     FSF_GD_BLOCK_BITMAP_CSUM_LO, FSF_GD_BLOCK_BITMAP_CSUM_HI,
                     FSF_GD_BLOCK_BITMAP_CSUM_HI_END);
}

uint32_t
fsf_inode_bitmap_csum (const uint8_t *bitmap, const struct fsf_sb *sb)
{
  return fsf_crc32c (sb->csum_seed, bitmap, inode_bitmap_bytes (sb));
}

bool
fsf_inode_bitmap_csum_verify (const uint8_t *bitmap, const struct fsf_sb *sb,
                              const struct fsf_gd *gd)
{
  return bitmap_csum_match (sb, fsf_inode_bitmap_csum (bitmap, sb),
                            gd->inode_bitmap_csum,
                            FSF_GD_INODE_BITMAP_CSUM_HI_END);
}

void
fsf_inode_bitmap_csum_set (const uint8_t *bitmap, const struct fsf_sb *sb,
                           uint8_t *desc)
{
  bitmap_csum_store (sb, desc, fsf_inode_bitmap_csum (bitmap, sb),
                     FSF_GD_INODE_BITMAP_CSUM_LO, FSF_GD_INODE_BITMAP_CSUM_HI,
                     FSF_GD_INODE_BITMAP_CSUM_HI_END);
}

/* Blocks and inodes to groups. */

int
fsf_group_of_block (const struct fsf_sb *sb, uint64_t block, uint32_t *group)
{
  uint64_t g;

  if (sb->blocks_per_group == 0)
    return FSF_BAD_FIELD;
  if (block < sb->first_data_block || block >= sb->blocks_count)
    return FSF_BAD_RANGE;
  g = (block - sb->first_data_block) / sb->blocks_per_group;
  if (g >= sb->groups_count)
    return FSF_BAD_RANGE;
  *group = (uint32_t) g;
  return 0;
}

int
fsf_group_of_inode (const struct fsf_sb *sb, uint32_t ino, uint32_t *group)
{
  uint32_t g;

  if (sb->inodes_per_group == 0)
    return FSF_BAD_FIELD;
  if (ino == 0 || ino > sb->inodes_count)
    return FSF_BAD_RANGE;
  g = (ino - 1) / sb->inodes_per_group;
  if (g >= sb->groups_count)
    return FSF_BAD_RANGE;
  *group = g;
  return 0;
}

int
fsf_inode_location (const struct fsf_sb *sb, const struct fsf_gd *gd,
                    uint32_t ino, uint64_t *block, uint32_t *offset)
{
  uint32_t group, index;
  uint64_t byte, b;
  int r;

  r = fsf_group_of_inode (sb, ino, &group);
  if (r)
    return r;
  if (sb->block_size == 0)
    return FSF_BAD_FIELD;
  index = (ino - 1) % sb->inodes_per_group;
  byte = (uint64_t) index * sb->inode_size;
  /* The table lies past the superblock and inside the filesystem; both
   * bounds checked before adding, so the sum cannot wrap.
   */
  if (gd->inode_table <= sb->first_data_block
      || gd->inode_table >= sb->blocks_count)
    return FSF_BAD_RANGE;
  b = gd->inode_table + byte / sb->block_size;
  if (b >= sb->blocks_count)
    return FSF_BAD_RANGE;
  *block = b;
  *offset = (uint32_t) (byte % sb->block_size);
  return 0;
}
