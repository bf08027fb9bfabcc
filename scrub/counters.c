/* nbdscrub: the summary counter scrubber (SCRUB_TYPE_COUNTERS).
 *
 * The superblock's free block and inode counts against the sums of the
 * group descriptors.  The kernel keeps the superblock's counts in memory
 * while mounted and writes them back lazily, and e2fsck -n lets a stale
 * one pass: a difference is PREEN, never CORRUPT.  (The group counts
 * against the bitmaps are the bitmap cross-reference's business.)
 */

#include "scrub.h"

static int
scrub_counters (struct scrub_ctx *sc)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  uint64_t free_blocks = 0, free_inodes = 0;
  uint32_t g;

  for (g = 0; g < sb->groups_count; g++) {
    struct fsf_gd gd;
    int r = fsf_fs_read_gd (sc->fs, g, &gd, NULL);

    if (r < 0)
      return r;
    if (r != 0) {
      /* Cannot sum what cannot be read: say so, judge nothing. */
      sc->oflags |= SCRUB_OFLAG_XFAIL;
      return 0;
    }
    free_blocks += gd.free_blocks_count;
    free_inodes += gd.free_inodes_count;
  }
  if (free_blocks != sb->free_blocks_count)
    chk_set_corrupt (sc, PR_CNT_SB_FREE_BLOCKS, 0, 0, 0, free_blocks,
                     sb->free_blocks_count);
  if (free_inodes != sb->free_inodes_count)
    chk_set_corrupt (sc, PR_CNT_SB_FREE_INODES, 0, 0, 0, free_inodes,
                     sb->free_inodes_count);
  return 0;
}

const struct scrub_ops scrub_counters_ops = {
  .scope = SCRUB_SCOPE_FS,
  .scrub = scrub_counters,
};
