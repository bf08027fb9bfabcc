/* nbdscrub: a directory's blocks by logical number, for the directory
 * scrubber and for nbdscrub dump.
 *
 * A directory is read block by block through its map, as e2fsck pass 2
 * reads its directory-block list: every mapped logical block from 0 to
 * the last one mapped, whatever i_size says (size against blocks is the
 * inode scrubber's business), with a hole wherever nothing is mapped.
 */
#ifndef NBDSCRUB_DIRMAP_H
#define NBDSCRUB_DIRMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "fs.h"

struct scrub_dirmap {
  uint64_t *map;            /* map[l]: physical block of logical l, 0: a
                             * hole */
  uint32_t n;               /* one past the last logical block mapped */
  uint64_t mapped;          /* blocks mapped below n */
  bool capped;              /* blocks past scrub_dirmap_cap were left out */
  bool map_bad;             /* the walk met a corrupt map (the inode
                             * scrubber's finding); what it could map is
                             * here */
};

/* The most logical blocks a directory is read to: what the device holds,
 * and no more than e2fsck lets a directory have without large_dir
 * (2^21 KiB-units of blocks, PR_1_TOOBIG_DIR).
 */
extern uint32_t scrub_dirmap_cap (const struct fsf_fs *fs);

/* Map directory inode ino (in, its decoded inode) through its extent
 * tree or block map, read through fs->src.  Returns 0 or a negative
 * errno (-ENOMEM, or -EIO reading a map block); dm is then empty.  A
 * directory with no blocks gives n == 0 and map NULL.
 */
extern int scrub_dirmap_read (const struct fsf_fs *fs, uint32_t ino,
                              const struct fsf_inode *in,
                              struct scrub_dirmap *dm);
extern void scrub_dirmap_free (struct scrub_dirmap *dm);

#endif /* NBDSCRUB_DIRMAP_H */
