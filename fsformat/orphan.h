/* nbdscrub fsformat: orphans, inodes unlinked while still open.
 *
 * Two places record them.  The classic list: s_last_orphan names the
 * first orphan inode and each orphan's i_dtime the next (0 ends it).  The
 * orphan file (compat orphan_file, inode s_orphan_file_inum): each of its
 * blocks holds (block_size - 8) / 4 little-endian inode numbers (0 for a
 * free slot) and ends in an 8-byte tail:
 *
 *   block_size - 8  ob_magic     0x0b10ca04
 *   block_size - 4  ob_checksum  metadata_csum: crc32c(csum_seed, le32 ino
 *                                of the orphan file, le32 its generation,
 *                                le64 this block's physical number, the
 *                                entries)
 */
#ifndef NBDSCRUB_FSF_ORPHAN_H
#define NBDSCRUB_FSF_ORPHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs.h"

#define FSF_ORPHAN_BLOCK_MAGIC 0x0b10ca04U
#define FSF_ORPHAN_TAIL_SIZE 8

/* Inode slots in one orphan-file block. */
static inline uint32_t
fsf_orphan_slots (uint32_t block_size)
{
  return (block_size - FSF_ORPHAN_TAIL_SIZE) / 4;
}

/* Check an orphan-file block: its length is the block size and it ends
 * in the magic.  Returns 0, FSF_BAD_TRUNCATED or FSF_BAD_MAGIC.
 */
extern int fsf_orphan_block_check (const uint8_t *buf, size_t len,
                                   const struct fsf_sb *sb);

/* The checksum triplet; ino and generation are the orphan file's,
 * block the physical block number.
 */
extern uint32_t fsf_orphan_block_csum (const struct fsf_sb *sb, uint32_t ino,
                                       uint32_t generation, uint64_t block,
                                       const uint8_t *buf);
extern bool fsf_orphan_block_csum_verify (const struct fsf_sb *sb,
                                          uint32_t ino, uint32_t generation,
                                          uint64_t block,
                                          const uint8_t *buf);
extern void fsf_orphan_block_csum_set (const struct fsf_sb *sb, uint32_t ino,
                                       uint32_t generation, uint64_t block,
                                       uint8_t *buf);

/* Called with each orphan inode number; non-zero ends the walk and is
 * returned.
 */
typedef int (*fsf_orphan_fn) (void *opaque, uint32_t ino);

/* The non-zero slots of one orphan-file block. */
extern int fsf_orphan_block_iterate (const uint8_t *buf,
                                     const struct fsf_sb *sb,
                                     fsf_orphan_fn fn, void *opaque);

/* Walk the s_last_orphan list through fs->src.  An inode number outside
 * [first_ino, inodes_count] (or a reserved one) ends it with
 * FSF_BAD_RANGE; a list longer than inodes_count can only be a cycle and
 * ends with FSF_BAD_LOOP.  Returns 0, a negative errno, an enum fsf_bad
 * or fn's non-zero value.
 */
extern int fsf_orphan_list_walk (const struct fsf_fs *fs, fsf_orphan_fn fn,
                                 void *opaque);

/* Walk the orphan file's blocks through fs->src: each block's magic and
 * (with metadata_csum) checksum, then its slots.  bad(), if not NULL, is
 * told of each bad block (its logical number and the enum fsf_bad) and
 * the walk goes on.  Returns 0, a negative errno, FSF_BAD_FIELD for an
 * orphan file that is not an extent-mapped regular file of whole blocks,
 * or fn's non-zero value.
 */
extern int fsf_orphan_file_walk (const struct fsf_fs *fs, fsf_orphan_fn fn,
                                 int (*bad) (void *opaque, uint32_t logical,
                                             int why),
                                 void *opaque);

#endif /* NBDSCRUB_FSF_ORPHAN_H */
