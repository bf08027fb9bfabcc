/* nbdscrub: the block and inode bitmap scrubbers (SCRUB_TYPE_BBITMAP,
 * SCRUB_TYPE_IBITMAP), one group each.
 *
 * Here: the bitmap's own checksum and, for the last group's block bitmap,
 * the padding bits past the end of the filesystem, which must be set.
 * Whether each bit matches what owns the block or uses the inode is a
 * cross-reference the space scrubbers make once every inode is read.
 * A bitmap of a group flagged uninit is not on disk yet (the kernel
 * computes it): there is nothing to check.
 */

#include <errno.h>
#include <stdlib.h>

#include "scrub.h"

/* The group's descriptor and its block (or inode) bitmap in a new
 * buffer.  *bm stays NULL when there is nothing to check: a descriptor
 * that does not decode, a group flagged uninit (the kernel computes that
 * bitmap), or a location outside the filesystem (the gdt scrubber
 * reports it).  Returns 0 or a negative errno.
 */
static int
load_bitmap (struct scrub_ctx *sc, bool block, struct fsf_gd *gd,
             uint8_t **bm)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  uint64_t b;
  int r;

  *bm = NULL;
  r = fsf_fs_read_gd (sc->fs, sc->req.group, gd, NULL);
  if (r != 0)
    return r < 0 ? r : 0;
  if (gd->flags & (block ? FSF_BG_BLOCK_UNINIT : FSF_BG_INODE_UNINIT))
    return 0;
  b = block ? gd->block_bitmap : gd->inode_bitmap;
  if (b < sb->first_data_block || b >= sb->blocks_count)
    return 0;
  *bm = malloc (sb->block_size);
  if (*bm == NULL)
    return -ENOMEM;
  r = fsf_read (&sc->fs->src, *bm, sb->block_size, b * sb->block_size);
  if (r < 0) {
    free (*bm);
    *bm = NULL;
  }
  return r;
}

static int
scrub_bbitmap (struct scrub_ctx *sc)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  uint32_t g = sc->req.group, bit, blocks;
  struct fsf_gd gd;
  uint8_t *bm;
  int r = load_bitmap (sc, true, &gd, &bm);

  if (bm == NULL)
    return r;
  if (fsf_has_metadata_csum (sb) && !fsf_block_bitmap_csum_verify (bm, sb,
                                                                    &gd))
    chk_set_corrupt (sc, PR_BBITMAP_CSUM, g, 0, gd.block_bitmap,
                     fsf_block_bitmap_csum (bm, sb), gd.block_bitmap_csum);
  /* The last group is short: its bits past the end must be set. */
  blocks = fsf_sb_group_blocks (sb, g);
  for (bit = blocks; bit < sb->blocks_per_group; bit++)
    if (!(bm[bit / 8] & (1U << (bit % 8)))) {
      chk_set_corrupt (sc, PR_BBITMAP_PADDING, g, 0, gd.block_bitmap, 0,
                       bit);
      break;
    }
  free (bm);
  return 0;
}

static int
scrub_ibitmap (struct scrub_ctx *sc)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct fsf_gd gd;
  uint8_t *bm;
  int r = load_bitmap (sc, false, &gd, &bm);

  if (bm == NULL)
    return r;
  if (fsf_has_metadata_csum (sb) && !fsf_inode_bitmap_csum_verify (bm, sb,
                                                                    &gd))
    chk_set_corrupt (sc, PR_IBITMAP_CSUM, sc->req.group, 0, gd.inode_bitmap,
                     fsf_inode_bitmap_csum (bm, sb), gd.inode_bitmap_csum);
  free (bm);
  return 0;
}

const struct scrub_ops scrub_bbitmap_ops = {
  .scope = SCRUB_SCOPE_GROUP,
  .scrub = scrub_bbitmap,
};

const struct scrub_ops scrub_ibitmap_ops = {
  .scope = SCRUB_SCOPE_GROUP,
  .scrub = scrub_ibitmap,
};
