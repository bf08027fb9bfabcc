/* nbdscrub fsformat: ext2/ext3 indirect block maps.
 *
 * An inode without FSF_EXTENTS_FL (and without inline data) maps its
 * logical blocks through the 15 little-endian 32-bit entries of i_block:
 *
 *   i_block[0..11]  direct: the physical blocks of logical 0..11
 *   i_block[12]     IND:  a block of A = block_size / 4 entries, logical
 *                   blocks 12 .. 12 + A - 1
 *   i_block[13]     DIND: A entries, each an IND block; the next A^2
 *   i_block[14]     TIND: A entries, each a DIND block; the next A^3
 *
 * An entry of 0 is a hole: no block, and no blocks below it.  Logical
 * block numbers are 32-bit, so with 64 KiB blocks the end of the TIND
 * range cannot be addressed (fsf_blockmap_max_blocks).
 */
#ifndef NBDSCRUB_FSF_BLOCKMAP_H
#define NBDSCRUB_FSF_BLOCKMAP_H

#include <stdint.h>

#include "fsf.h"
#include "super.h"

#define FSF_BLOCKMAP_IND 12
#define FSF_BLOCKMAP_DIND 13
#define FSF_BLOCKMAP_TIND 14

/* How many logical blocks a block map can address with this block size:
 * 12 + A + A^2 + A^3, at most 2^32.
 */
extern uint64_t fsf_blockmap_max_blocks (const struct fsf_sb *sb);

/* Where in the map the walker is. */
struct fsf_blockmap_where {
  uint64_t block;             /* the map block; 0 for i_block itself */
  unsigned level;             /* 0 for i_block, 1 for the block it names
                               * at [12..14], 2, 3 below */
  int entry;                  /* the entry in it; -1 for the block */
};

/* What fsf_blockmap_walk calls.  Any callback may be NULL.  A callback
 * returns 0 to go on; anything else ends the walk and is returned (use a
 * negative errno).
 */
struct fsf_blockmap_visitor {
  /* Each mapped data block, in logical order. */
  int (*data) (void *opaque, uint32_t logical, uint64_t physical);
  /* Each map block, once its number passed the range check and before
   * it is read: it belongs to the inode.  kind is 1 for an IND block, 2
   * DIND, 3 TIND; logical the first logical block under it.
   */
  int (*map) (void *opaque, const struct fsf_blockmap_where *at,
              unsigned kind, uint32_t logical);
  /* Each corruption, with the enum fsf_bad value and where it is. */
  int (*bad) (void *opaque, const struct fsf_blockmap_where *at, int bad);
  void *opaque;
};

/* fsf_blockmap_walk flags. */
#define FSF_BLOCKMAP_WALK_KEEP_GOING 0x2  /* skip a bad entry and walk on;
                                           * otherwise stop at it */

/* Walk the block map whose root is the 60 bytes of i_block, reading map
 * blocks through src, parents before children, in logical order.  Each
 * non-zero entry must lie in [first_data_block, blocks_count) and map a
 * logical block below fsf_blockmap_max_blocks (else FSF_BAD_RANGE), and
 * must not name a map block above it (FSF_BAD_LOOP).  Whatever the map
 * says, at most blocks_count - first_data_block blocks (data and map)
 * are claimed before the walk stops with FSF_BAD_LOOP: a map block that
 * names itself again and again cannot make unbounded work.
 *
 * Returns 0, a negative errno (reading, or a callback's), a callback's
 * non-zero value, or the first enum fsf_bad found (with KEEP_GOING, once
 * the rest has been walked).
 */
extern int fsf_blockmap_walk (const struct fsf_source *src,
                              const struct fsf_sb *sb, const uint8_t *i_block,
                              const struct fsf_blockmap_visitor *v,
                              unsigned flags);

#endif /* NBDSCRUB_FSF_BLOCKMAP_H */
