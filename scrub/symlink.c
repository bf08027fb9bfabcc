/* nbdscrub: a symlink's target (SCRUB_TYPE_SYMLINK), as e2fsck's
 * e2fsck_pass1_check_symlink decides it.
 *
 * A symlink's size is its target's length: never 0, never above 32
 * bits.  A fast symlink (size below 60, as libext2fs tells them apart)
 * keeps the target in i_block, NUL-terminated inside its 60 bytes and
 * without EXTENTS_FL; a slow one maps exactly one block at logical 0
 * (one extent of length 1 in a depth-0 root, or i_block[0] alone) inside
 * the filesystem, and its target ends with a NUL inside that block.
 * INDEX_FL makes any symlink invalid.  e2fsck calls all of these
 * PR_2_INVALID_SYMLINK; the codes here say which rule failed.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "extent.h"
#include "inode-priv.h"
#include "pass.h"

/* The one block of a slow symlink, or 0 when the map is not that. */
static uint64_t
slow_block (const struct fsf_inode *inode)
{
  struct fsf_extent_header h;
  struct fsf_extent ex;
  unsigned i;

  if (inode->flags & FSF_EXTENTS_FL) {
    if (fsf_extent_header_decode (inode->i_block, FSF_EXTENT_ROOT_SIZE, &h)
        != 0 || h.entries != 1 || h.depth != 0)
      return 0;
    fsf_extent_decode (inode->i_block + FSF_EXTENT_HEADER_SIZE,
                       FSF_EXTENT_ENTRY_SIZE, &ex);
    if (ex.block != 0 || ex.len != 1)
      return 0;
    return ex.start;
  }
  for (i = 1; i < FSF_N_BLOCKS; i++)
    if (fsf_inode_i_block (inode, i))
      return 0;
  return fsf_inode_i_block (inode, 0);
}

int
scrub_inode_symlink (struct scrub_ctx *sc, uint32_t ino,
                     const struct fsf_inode *inode,
                     const struct scrub_imap *map)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  const uint8_t *target;
  uint8_t small[4096], *buf = NULL;
  uint32_t g = 0;
  size_t room, len;
  uint64_t blk;
  int r;

  (void) map;
  fsf_group_of_inode (sb, ino, &g);
  if (inode->size == 0 || (inode->size >> 32) != 0) {
    chk_set_corrupt (sc, PR_SYMLINK_SIZE, g, ino, 0, 0, inode->size);
    return 0;
  }
  if (inode->flags & FSF_INDEX_FL) {
    chk_set_corrupt (sc, PR_SYMLINK_FLAGS, g, ino, 0, 0, inode->flags);
    return 0;
  }
  if (scrub_is_fast_symlink (inode)) {
    if (inode->flags & FSF_EXTENTS_FL) {
      chk_set_corrupt (sc, PR_SYMLINK_FLAGS, g, ino, 0, 0, inode->flags);
      return 0;
    }
    target = inode->i_block;
    room = FSF_I_BLOCK_SIZE;
  }
  else {
    blk = slow_block (inode);
    if (blk < sb->first_data_block || blk >= sb->blocks_count || blk == 0) {
      chk_set_corrupt (sc, PR_SYMLINK_MAP, g, ino, blk, 0, 0);
      return 0;
    }
    /* Most blocks fit the stack; no allocation per symlink for them. */
    buf = sb->block_size <= sizeof small ? small : malloc (sb->block_size);
    if (buf == NULL)
      return -ENOMEM;
    r = fsf_read (&sc->fs->src, buf, sb->block_size, blk * sb->block_size);
    if (r < 0) {
      if (buf != small)
        free (buf);
      return r;
    }
    target = buf;
    room = sb->block_size;
  }
  len = strnlen ((const char *) target, room);
  if (len >= room)
    chk_set_corrupt (sc, PR_SYMLINK_TARGET, g, ino, 0, room, len);
  else if (len != inode->size)
    chk_set_corrupt (sc, PR_SYMLINK_SIZE, g, ino, 0, len, inode->size);
  if (buf != small)
    free (buf);
  return 0;
}

/* --- the standalone scrubber --------------------------------------------- */

static int
scrub_symlink (struct scrub_ctx *sc)
{
  struct fsf_inode inode;
  struct scrub_imap map;
  int r;

  r = fsf_fs_read_inode (sc->fs, sc->req.ino, &inode, NULL);
  if (r < 0)
    return r;
  if (r != 0 || inode.links_count == 0
      || fsf_inode_ftype (inode.mode) != FSF_FT_SYMLINK)
    return 0;
  memset (&map, 0, sizeof map);
  return scrub_inode_symlink (sc, sc->req.ino, &inode, &map);
}

const struct scrub_ops scrub_symlink_ops = {
  .scope = SCRUB_SCOPE_INODE,
  .scrub = scrub_symlink,
};
