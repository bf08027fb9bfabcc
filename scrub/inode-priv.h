/* nbdscrub: what the inode, extents, xattr and symlink scrubbers share
 * and nobody else needs.
 */
#ifndef NBDSCRUB_INODE_PRIV_H
#define NBDSCRUB_INODE_PRIV_H

#include <stdbool.h>

#include "inode.h"
#include "super.h"

/* Does the inode's i_block hold a block map or extent tree to walk?  As
 * libext2fs's ext2fs_inode_has_valid_blocks2: directories, regular
 * files and slow symlinks do; devices, fifos, sockets and fast
 * symlinks do not (extents.c).
 */
extern bool scrub_inode_has_map (const struct fsf_sb *sb,
                                 const struct fsf_inode *inode);

/* A fast symlink as libext2fs sees one: its size alone decides. */
static inline bool
scrub_is_fast_symlink (const struct fsf_inode *inode)
{
  return fsf_inode_ftype (inode->mode) == FSF_FT_SYMLINK && inode->size
    && inode->size < FSF_I_BLOCK_SIZE;
}

#endif /* NBDSCRUB_INODE_PRIV_H */
