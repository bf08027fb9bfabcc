/* nbdscrub fsformat: a filesystem opened for reading (see fs.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blockmap.h"
#include "extent.h"
#include "fs.h"
#include "journal.h"

/* Read and decode the superblock.  A filesystem larger than the device
 * holding it is refused (FSF_BAD_RANGE), as e2fsck refuses it: every
 * group, table and block count after this is then bounded by the
 * device, not only by what the superblock claims.
 */
static int
read_sb (const struct fsf_source *src, uint8_t *buf, struct fsf_sb *sb)
{
  int r = fsf_read (src, buf, FSF_SB_SIZE, FSF_SB_OFFSET);

  if (r < 0)
    return r;
  r = fsf_sb_decode (buf, FSF_SB_SIZE, sb);
  if (r == 0 && sb->blocks_count > src->size / sb->block_size)
    r = FSF_BAD_RANGE;
  return r;
}

/* Group g's descriptor through an explicit source (the raw one at open
 * time), from the table beside the superblock in use: the primary, or
 * the copy in group sb_group when a backup superblock was opened (the
 * primary for groups whose meta_bg copy lives elsewhere).
 */
static int
read_gd_from (const struct fsf_source *src, const struct fsf_sb *sb,
              uint32_t sb_group, uint32_t g, struct fsf_gd *gd, uint8_t *raw)
{
  uint8_t buf[FSF_MAX_DESC_SIZE];
  uint64_t block;
  uint32_t off;
  int r = FSF_BAD_RANGE;

  if (sb_group != 0)
    r = fsf_gd_backup_location (sb, sb_group, g, &block, &off);
  if (r == FSF_BAD_RANGE)
    r = fsf_gd_location (sb, g, &block, &off);
  if (r != 0)
    return r;
  r = fsf_read (src, buf, sb->desc_size, block * sb->block_size + off);
  if (r < 0)
    return r;
  if (raw)
    memcpy (raw, buf, sb->desc_size);
  return fsf_gd_decode (buf, sb->desc_size, sb, gd);
}

static int
read_inode_from (const struct fsf_source *src, const struct fsf_sb *sb,
                 uint32_t sb_group, uint32_t ino, struct fsf_inode *inode, uint8_t *raw)
{
  uint8_t buf[1 << FSF_MAX_BLOCK_LOG];
  struct fsf_gd gd;
  uint64_t block;
  uint32_t g, off;
  int r;

  r = fsf_group_of_inode (sb, ino, &g);
  if (r != 0)
    return r;
  r = read_gd_from (src, sb, sb_group, g, &gd, NULL);
  if (r != 0)
    return r;
  r = fsf_inode_location (sb, &gd, ino, &block, &off);
  if (r != 0)
    return r;
  r = fsf_read (src, buf, sb->inode_size, block * sb->block_size + off);
  if (r < 0)
    return r;
  if (raw)
    memcpy (raw, buf, sb->inode_size);
  return fsf_inode_decode (buf, sb->inode_size, sb, inode);
}

int
fsf_fs_read_gd (const struct fsf_fs *fs, uint32_t g, struct fsf_gd *gd,
                uint8_t *raw)
{
  return read_gd_from (&fs->src, &fs->sb, fs->sb_group, g, gd, raw);
}

int
fsf_fs_read_inode (const struct fsf_fs *fs, uint32_t ino,
                   struct fsf_inode *inode, uint8_t *raw)
{
  return read_inode_from (&fs->src, &fs->sb, fs->sb_group, ino, inode,
                          raw);
}

/* Extent callback: journal logical blocks -> filesystem blocks. */
static int
map_extent (void *opaque, const struct fsf_extent *ex)
{
  struct fsf_fs *fs = opaque;
  uint64_t i;

  for (i = 0; i < ex->len; i++) {
    uint64_t l = (uint64_t) ex->block + i;

    if (l >= fs->jmap_len)
      break;
    fs->jmap[l] = ex->start + i;
  }
  return 0;
}

/* Indirect-map callback (ext3 journals), the same mapping. */
static int
map_indirect (void *opaque, uint32_t logical, uint64_t physical)
{
  struct fsf_fs *fs = opaque;

  if (logical < fs->jmap_len)
    fs->jmap[logical] = physical;
  return 0;
}

static int
jbmap (void *opaque, uint64_t jblock, uint64_t *fsblock)
{
  const struct fsf_fs *fs = opaque;

  if (jblock >= fs->jmap_len || fs->jmap[jblock] == 0)
    return FSF_BAD_RANGE;
  *fsblock = fs->jmap[jblock];
  return 0;
}

/* Map the journal inode's blocks, from the raw image (the journal is
 * never itself journalled).
 */
static int
map_journal (struct fsf_fs *fs)
{
  const struct fsf_sb *sb = &fs->sb;
  struct fsf_extent_visitor v = { .extent = map_extent, .opaque = fs };
  struct fsf_blockmap_visitor bv = { .data = map_indirect, .opaque = fs };
  struct fsf_inode j;
  uint64_t nblocks;
  int r;

  r = read_inode_from (&fs->raw, sb, fs->sb_group, sb->journal_inum, &j,
                       NULL);
  if (r != 0)
    return r;
  nblocks = j.size / sb->block_size;
  /* A journal larger than the device, or than any mke2fs makes, is a
   * lie: refuse it before sizing anything by it.
   */
  if (nblocks == 0 || nblocks > FSF_FS_JOURNAL_MAX_BLOCKS
      || nblocks > fsf_fs_device_blocks (fs))
    return FSF_BAD_FIELD;
  fs->jmap = calloc (nblocks, sizeof *fs->jmap);
  if (fs->jmap == NULL)
    return -ENOMEM;
  fs->jmap_len = nblocks;
  if (!(j.flags & FSF_EXTENTS_FL))
    return fsf_blockmap_walk (&fs->raw, sb, j.i_block, &bv, 0);
  return fsf_extent_walk (&fs->raw, sb, sb->journal_inum, j.generation,
                          j.i_block, &v, 0);
}

int
fsf_fs_journal_sb (struct fsf_fs *fs, struct fsf_jsb *jsb)
{
  uint8_t buf[FSF_JSB_SIZE];
  int r;

  if (!fsf_has_compat (&fs->sb, FSF_COMPAT_HAS_JOURNAL)
      || fs->sb.journal_inum == 0)
    return FSF_BAD_UNSUPPORTED;
  if (fs->jmap == NULL) {
    r = map_journal (fs);
    if (r != 0)
      return r;
  }
  if (fs->jmap[0] == 0)
    return FSF_BAD_RANGE;
  r = fsf_read (&fs->raw, buf, sizeof buf, fs->jmap[0] * fs->sb.block_size);
  if (r < 0)
    return r;
  return fsf_jsb_decode (buf, sizeof buf, jsb);
}

int
fsf_fs_open (struct fsf_fs *fs, const struct fsf_source *raw,
             unsigned flags)
{
  int r;

  memset (fs, 0, sizeof *fs);
  fs->raw = *raw;
  fs->src = *raw;
  r = read_sb (&fs->raw, fs->sb_buf, &fs->sb);
  if (r != 0)
    return r;
  fs->needs_recovery = fsf_has_compat (&fs->sb, FSF_COMPAT_HAS_JOURNAL)
    && fsf_has_incompat (&fs->sb, FSF_INCOMPAT_RECOVER)
    && fs->sb.journal_inum != 0;
  if (!fs->needs_recovery || (flags & FSF_FS_NO_REPLAY))
    return 0;

  r = map_journal (fs);
  if (r == 0)
    r = fsf_jreplay_scan (jbmap, fs, &fs->raw, fs->sb.block_size, &fs->jr);
  if (r != 0) {
    fsf_fs_close (fs);
    return r;
  }
  fs->replayed = true;
  fs->view.base = &fs->raw;
  fs->view.jr = &fs->jr;
  fsf_source_replay (&fs->src, &fs->view);
  /* The superblock itself may be in the journal. */
  r = read_sb (&fs->src, fs->sb_buf, &fs->sb);
  if (r != 0)
    fsf_fs_close (fs);
  return r;
}

int
fsf_fs_open_backup (struct fsf_fs *fs, const struct fsf_source *raw)
{
  unsigned log;

  for (log = FSF_MIN_BLOCK_LOG; log <= FSF_MAX_BLOCK_LOG; log++) {
    uint64_t bs = (uint64_t) 1 << log;
    /* Group 1 starts blocks_per_group (8 x the block size, as mke2fs
     * makes it) after first_data_block (1 with 1 KiB blocks).
     */
    uint64_t blk = bs * 8 + (log == FSF_MIN_BLOCK_LOG);

    memset (fs, 0, sizeof *fs);
    if (blk * bs > raw->size || raw->size - blk * bs < FSF_SB_OFFSET)
      break;
    if (fsf_read (raw, fs->sb_buf, FSF_SB_SIZE, blk * bs) != 0
        || fsf_sb_decode (fs->sb_buf, FSF_SB_SIZE, &fs->sb) != 0
        || fs->sb.block_size != bs
        || fs->sb.groups_count < 2
        || fsf_sb_group_first_block (&fs->sb, 1) != blk
        || fs->sb.blocks_count > raw->size / bs)
      continue;
    fs->raw = *raw;
    fs->src = *raw;
    fs->sb_group = 1;
    /* A backup never says the journal needs recovery: nothing to replay
     * (e2fsck replays nothing from a backup either).
     */
    return 0;
  }
  memset (fs, 0, sizeof *fs);
  return FSF_BAD_MAGIC;
}

void
fsf_fs_close (struct fsf_fs *fs)
{
  if (fs->replayed)
    fsf_jreplay_free (&fs->jr);
  free (fs->jmap);
  fs->jmap = NULL;
  fs->replayed = false;
}
