/* nbdscrub fsformat: ext4 extent trees.
 *
 * An inode with FSF_EXTENTS_FL holds the root node of its extent tree in
 * the 60 bytes of i_block; every other node fills one fs block.  A node
 * is a 12-byte header followed by eh_max 12-byte entries: index entries
 * in the nodes of depth > 0, extents (leaf entries) at depth 0.  All
 * fields little-endian; offsets as in e2fsprogs' ext3_extents.h.
 *
 * Header (struct ext3_extent_header):
 *   00 eh_magic (16) = 0xf30a     02 eh_entries (16) entries in use
 *   04 eh_max (16) room for       06 eh_depth (16) 0 for a leaf
 *   08 eh_generation (unused)
 *
 * Index entry (struct ext3_extent_idx), depth > 0:
 *   00 ei_block   first logical block the child covers
 *   04 ei_leaf_lo physical block of the child node
 *   08 ei_leaf_hi (16)            0a ei_unused (16)
 *
 * Extent (struct ext3_extent), depth 0:
 *   00 ee_block   first logical block
 *   04 ee_len (16) blocks; above 32768 the extent is unwritten
 *                 (preallocated) and holds ee_len - 32768 blocks
 *   06 ee_start_hi (16)           08 ee_start_lo   first physical block
 *
 * Tail (struct ext3_extent_tail), non-root nodes with metadata_csum:
 *   12 + 12 * eh_max: et_checksum, crc32c (csum_seed, le32 inode number)
 *   continued over le32 i_generation, then over the node's bytes up to
 *   the tail.
 *
 * A node's eh_max matches its size: (size - 12) / 12, or up to two less
 * (e2fsprogs leaves room for the tail that way).  Trees are at most 5
 * levels below the root (EXT4_MAX_EXTENT_DEPTH); each child's depth is
 * its parent's less one; its entries cover logical blocks from its index
 * entry's ei_block up to the next index entry's.
 */
#ifndef NBDSCRUB_FSF_EXTENT_H
#define NBDSCRUB_FSF_EXTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsf.h"
#include "super.h"

#define FSF_EXTENT_MAGIC 0xf30a
#define FSF_EXTENT_HEADER_SIZE 12
#define FSF_EXTENT_ENTRY_SIZE 12
#define FSF_EXTENT_TAIL_SIZE 4
#define FSF_EXTENT_MAX_DEPTH 5
#define FSF_EXTENT_INIT_MAX_LEN 32768   /* longest written extent */
#define FSF_EXTENT_ROOT_SIZE 60         /* i_block */

struct fsf_extent_header {
  uint16_t magic;
  uint16_t entries;
  uint16_t max;
  uint16_t depth;
  uint32_t generation;
};

struct fsf_extent_index {
  uint32_t block;             /* ei_block */
  uint64_t leaf;              /* ei_leaf_lo | ei_leaf_hi << 32 */
  uint16_t unused;
};

struct fsf_extent {
  uint32_t block;             /* ee_block: first logical block */
  uint64_t start;             /* ee_start_lo | ee_start_hi << 32 */
  uint32_t len;               /* blocks, the unwritten bias removed */
  bool unwritten;             /* ee_len > 32768 */
  uint16_t raw_len;           /* ee_len as stored */
};

/* Decode a node header from the start of a node of len bytes.  Returns
 * 0, FSF_BAD_TRUNCATED, FSF_BAD_MAGIC, or FSF_BAD_FIELD when eh_max
 * does not match len (see above) or eh_entries > eh_max.  Depth and the
 * entries themselves are the walker's business.
 */
extern int fsf_extent_header_decode (const uint8_t *buf, size_t len,
                                     struct fsf_extent_header *h);

/* Decode one 12-byte entry; FSF_BAD_TRUNCATED when len < 12.  An extent
 * with ee_len 0 decodes, len 0: the walker calls it FSF_BAD_FIELD.
 */
extern int fsf_extent_index_decode (const uint8_t *buf, size_t len,
                                    struct fsf_extent_index *ix);
extern int fsf_extent_decode (const uint8_t *buf, size_t len,
                              struct fsf_extent *ex);

/* Where the tail of a node whose header says eh_max = max sits. */
static inline size_t
fsf_extent_tail_offset (uint16_t max)
{
  return FSF_EXTENT_HEADER_SIZE + (size_t) max * FSF_EXTENT_ENTRY_SIZE;
}

/* metadata_csum: the checksum of a non-root node, as
 * ext2fs_extent_block_csum.  buf holds sb->block_size bytes; the tail
 * is found through its header's eh_max.  When the tail would not fit in
 * the block, csum returns 0, verify false and set does nothing.
 */
extern uint32_t fsf_extent_block_csum (const struct fsf_sb *sb, uint32_t ino,
                                       uint32_t generation,
                                       const uint8_t *buf);
extern bool fsf_extent_block_csum_verify (const struct fsf_sb *sb,
                                          uint32_t ino, uint32_t generation,
                                          const uint8_t *buf);
extern void fsf_extent_block_csum_set (const struct fsf_sb *sb, uint32_t ino,
                                       uint32_t generation, uint8_t *buf);

/* Where in the tree the walker is. */
struct fsf_extent_where {
  uint64_t block;             /* the node's block; 0 for the root */
  unsigned level;             /* 0 for the root, 1 for its children... */
  int entry;                  /* entry index in the node, -1: its header */
};

/* What fsf_extent_walk calls.  Any callback may be NULL.  A callback
 * returns 0 to go on; anything else ends the walk and is returned (use a
 * negative errno).
 */
struct fsf_extent_visitor {
  /* Each extent of the leaves, in logical order. */
  int (*extent) (void *opaque, const struct fsf_extent *ex);
  /* Each non-root node, once its block number has passed the range
   * check and before it is read: the block belongs to the inode.  at
   * is where the node will be (entry -1); logical is its ei_block.
   */
  int (*node) (void *opaque, const struct fsf_extent_where *at,
               uint32_t logical);
  /* Each corruption, with the enum fsf_bad value and where it is. */
  int (*bad) (void *opaque, const struct fsf_extent_where *at, int bad);
  void *opaque;
};

/* fsf_extent_walk flags. */
#define FSF_EXTENT_WALK_CSUM 0x1        /* check the tails (with
                                         * metadata_csum) */
#define FSF_EXTENT_WALK_KEEP_GOING 0x2  /* skip what is corrupt and walk
                                         * on; otherwise stop at it */

/* Walk the extent tree of inode ino (i_generation generation) whose root
 * is the 60 bytes of i_block, depth-first in logical order, reading
 * nodes through src.  Checks each node's header (magic, eh_max against
 * the node size, eh_entries <= eh_max, depth <= 5 and one less than the
 * parent's, no empty index node), with FSF_EXTENT_WALK_CSUM each tail,
 * and each entry: logical blocks increasing and inside the parent's
 * range, a child's first entry at its ei_block, no zero-length extent,
 * no extent past logical block 2^32, physical blocks inside
 * [first_data_block, blocks_count).  At most blocks_count nodes are
 * read, whatever the tree says.  With KEEP_GOING, a child whose depth
 * is not its parent's less one is reported (FSF_BAD_FIELD) and walked
 * as its place in the tree says, as libext2fs reads it.
 *
 * Returns 0, a negative errno (reading, or a callback's), a callback's
 * non-zero value, or the first enum fsf_bad found (with KEEP_GOING, once
 * the rest has been walked).
 */
extern int fsf_extent_walk (const struct fsf_source *src,
                            const struct fsf_sb *sb, uint32_t ino,
                            uint32_t generation, const uint8_t *root,
                            const struct fsf_extent_visitor *v,
                            unsigned flags);

#endif /* NBDSCRUB_FSF_EXTENT_H */
