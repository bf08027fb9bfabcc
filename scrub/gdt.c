/* nbdscrub: the group descriptor scrubber (SCRUB_TYPE_GDT), one group.
 *
 * The descriptor's checksum; where its bitmaps and inode table are (in
 * the filesystem, in the group unless flex_bg lets them move, not on top
 * of each other); counts that must fit the group; flags that need group
 * checksums; the first backup copy against it.  Free counts against the
 * bitmaps are cross-references made by the full pass (pass.c).
 */

#include "scrub.h"

static bool
has_group_csum (const struct fsf_sb *sb)
{
  return fsf_has_metadata_csum (sb)
    || fsf_has_ro_compat (sb, FSF_RO_COMPAT_GDT_CSUM);
}

/* [first, first + n) inside where this group's metadata may live. */
static bool
in_bounds (const struct fsf_sb *sb, uint32_t g, uint64_t first, uint64_t n)
{
  uint64_t lo, hi;

  if (fsf_has_incompat (sb, FSF_INCOMPAT_FLEX_BG)) {
    lo = sb->first_data_block;
    hi = sb->blocks_count;
  }
  else {
    lo = fsf_sb_group_first_block (sb, g);
    hi = lo + fsf_sb_group_blocks (sb, g);
  }
  return first >= lo && n <= hi - lo && first - lo <= hi - lo - n;
}

/* Two of the group's own bitmaps and inode table on one block. */
static void
check_overlap (struct scrub_ctx *sc, const struct fsf_gd *gd)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  uint32_t g = sc->req.group;

  if (gd->block_bitmap == gd->inode_bitmap)
    chk_set_corrupt (sc, PR_GD_OVERLAP, g, 0, gd->block_bitmap, 0, 0);
  else if (gd->block_bitmap >= gd->inode_table
           && gd->block_bitmap - gd->inode_table < sb->itable_blocks)
    chk_set_corrupt (sc, PR_GD_OVERLAP, g, 0, gd->block_bitmap, 0, 0);
  else if (gd->inode_bitmap >= gd->inode_table
           && gd->inode_bitmap - gd->inode_table < sb->itable_blocks)
    chk_set_corrupt (sc, PR_GD_OVERLAP, g, 0, gd->inode_bitmap, 0, 0);
}

/* The first backup copy of the group's descriptor (group 1's table, or
 * with meta_bg the second group of its meta group) places the bitmaps
 * and the inode table where the primary does.  Counts, flags and
 * checksums in backups go stale by design: only the locations are
 * compared, as the copy e2fsck falls back on must find the metadata.
 */
static int
check_backup (struct scrub_ctx *sc, const struct fsf_gd *gd)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  uint32_t g = sc->req.group, bg;
  uint8_t raw[FSF_MAX_DESC_SIZE];
  struct fsf_gd b;
  uint64_t block;
  uint32_t off;
  int r;

  bg = 1;
  if (fsf_gd_backup_location (sb, bg, g, &block, &off) != 0) {
    bg = g - g % sb->descs_per_block + 1;
    if (fsf_gd_backup_location (sb, bg, g, &block, &off) != 0)
      return 0;
  }
  r = fsf_read (&sc->fs->src, raw, sb->desc_size,
                block * sb->block_size + off);
  if (r < 0)
    return r;
  if (fsf_gd_decode (raw, sb->desc_size, sb, &b) != 0
      || b.block_bitmap != gd->block_bitmap
      || b.inode_bitmap != gd->inode_bitmap
      || b.inode_table != gd->inode_table)
    chk_set_corrupt (sc, PR_GD_BACKUP_DIFFERS, g, 0, bg, 0, 0);
  return 0;
}

static int
scrub_gdt (struct scrub_ctx *sc)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  uint32_t g = sc->req.group;
  uint8_t raw[FSF_MAX_DESC_SIZE];
  uint32_t blocks = fsf_sb_group_blocks (sb, g);
  struct fsf_gd gd;
  int r;

  r = fsf_fs_read_gd (sc->fs, g, &gd, raw);
  if (r < 0)
    return r;
  if (r != 0) {
    /* desc_size was validated with the superblock: not reached. */
    chk_set_corrupt (sc, PR_GD_CSUM_MISMATCH, g, 0, 0, 0, 0);
    return 0;
  }
  if (has_group_csum (sb) && !fsf_gd_csum_verify (raw, sb, g))
    chk_set_corrupt (sc, PR_GD_CSUM_MISMATCH, g, 0, 0,
                     fsf_gd_csum (raw, sb, g), gd.checksum);

  if (!in_bounds (sb, g, gd.block_bitmap, 1))
    chk_set_corrupt (sc, PR_GD_BBITMAP_RANGE, g, 0, gd.block_bitmap, 0, 0);
  if (!in_bounds (sb, g, gd.inode_bitmap, 1))
    chk_set_corrupt (sc, PR_GD_IBITMAP_RANGE, g, 0, gd.inode_bitmap, 0, 0);
  if (!in_bounds (sb, g, gd.inode_table, sb->itable_blocks))
    chk_set_corrupt (sc, PR_GD_ITABLE_RANGE, g, 0, gd.inode_table, 0, 0);
  /* Inside a full pass, overlaps are found by ownership (pass.c), with
   * every group's metadata; alone, inside this group.
   */
  if (sc->pass == NULL)
    check_overlap (sc, &gd);

  if (gd.free_blocks_count > blocks)
    chk_set_corrupt (sc, PR_GD_FREE_BLOCKS_RANGE, g, 0, 0, blocks,
                     gd.free_blocks_count);
  if (gd.free_inodes_count > sb->inodes_per_group)
    chk_set_corrupt (sc, PR_GD_FREE_INODES_RANGE, g, 0, 0,
                     sb->inodes_per_group, gd.free_inodes_count);
  if (gd.used_dirs_count > sb->inodes_per_group)
    chk_set_corrupt (sc, PR_GD_DIRS_RANGE, g, 0, 0, sb->inodes_per_group,
                     gd.used_dirs_count);
  if (has_group_csum (sb) && gd.itable_unused > gd.free_inodes_count
      && gd.free_inodes_count <= sb->inodes_per_group)
    chk_set_corrupt (sc, PR_GD_ITABLE_UNUSED_RANGE, g, 0, 0,
                     gd.free_inodes_count, gd.itable_unused);
  if (!has_group_csum (sb)
      && (gd.flags & (FSF_BG_INODE_UNINIT | FSF_BG_BLOCK_UNINIT)))
    chk_set_corrupt (sc, PR_GD_FLAGS_WITHOUT_CSUM, g, 0, 0, 0, gd.flags);
  return check_backup (sc, &gd);
}

const struct scrub_ops scrub_gdt_ops = {
  .scope = SCRUB_SCOPE_GROUP,
  .scrub = scrub_gdt,
};
