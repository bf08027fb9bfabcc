/* nbdscrub fsformat: orphans (see orphan.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "extent.h"
#include "orphan.h"

int
fsf_orphan_block_check (const uint8_t *buf, size_t len,
                        const struct fsf_sb *sb)
{
  if (len < sb->block_size || sb->block_size < 2 * FSF_ORPHAN_TAIL_SIZE)
    return FSF_BAD_TRUNCATED;
  if (fsf_le32 (buf + sb->block_size - FSF_ORPHAN_TAIL_SIZE)
      != FSF_ORPHAN_BLOCK_MAGIC)
    return FSF_BAD_MAGIC;
  return 0;
}

uint32_t
fsf_orphan_block_csum (const struct fsf_sb *sb, uint32_t ino,
                       uint32_t generation, uint64_t block,
                       const uint8_t *buf)
{
  uint8_t le[8];
  uint32_t crc;

  crc = fsf_crc32c_owner (sb->csum_seed, ino, generation);
  fsf_put_le64 (le, block);
  crc = fsf_crc32c (crc, le, 8);
  return fsf_crc32c (crc, buf, fsf_orphan_slots (sb->block_size) * 4);
}

bool
fsf_orphan_block_csum_verify (const struct fsf_sb *sb, uint32_t ino,
                              uint32_t generation, uint64_t block,
                              const uint8_t *buf)
{
  if (!fsf_has_metadata_csum (sb))
    return true;
  return fsf_le32 (buf + sb->block_size - 4)
    == fsf_orphan_block_csum (sb, ino, generation, block, buf);
}

void
fsf_orphan_block_csum_set (const struct fsf_sb *sb, uint32_t ino,
                           uint32_t generation, uint64_t block, uint8_t *buf)
{
  fsf_put_le32 (buf + sb->block_size - 4,
                fsf_orphan_block_csum (sb, ino, generation, block, buf));
}

int
fsf_orphan_block_iterate (const uint8_t *buf, const struct fsf_sb *sb,
                          fsf_orphan_fn fn, void *opaque)
{
  uint32_t i, n = fsf_orphan_slots (sb->block_size);
  int r;

  for (i = 0; i < n; i++) {
    uint32_t ino = fsf_le32 (buf + 4 * i);

    if (ino && (r = fn (opaque, ino)) != 0)
      return r;
  }
  return 0;
}

/* The orphan after ino (its i_dtime), range-checked. */
static int
next_orphan (const struct fsf_fs *fs, uint32_t ino, uint32_t *next)
{
  const struct fsf_sb *sb = &fs->sb;
  struct fsf_inode in = { 0 };
  int r;

  if (ino < sb->first_ino || ino > sb->inodes_count)
    return FSF_BAD_RANGE;
  r = fsf_fs_read_inode (fs, ino, &in, NULL);
  if (r != 0 && r != FSF_BAD_CSUM && r != FSF_BAD_FIELD)
    return r;
  *next = in.dtime;
  return 0;
}

/* Floyd's cycle finding: slow emits each orphan in order, fast runs two
 * links a step; if they meet, the list loops.  Either way the walk ends
 * within the number of distinct inodes on the list (plus the loop once
 * more), however large inodes_count is; steps past inodes_count are a
 * backstop that cannot be reached without a loop.
 */
int
fsf_orphan_list_walk (const struct fsf_fs *fs, fsf_orphan_fn fn,
                      void *opaque)
{
  uint32_t slow = fs->sb.last_orphan, fast = slow;
  uint64_t steps = 0;
  int r;

  while (slow != 0) {
    if (++steps > fs->sb.inodes_count)
      return FSF_BAD_LOOP;
    if (slow < fs->sb.first_ino || slow > fs->sb.inodes_count)
      return FSF_BAD_RANGE;
    r = fn (opaque, slow);
    if (r != 0)
      return r;
    r = next_orphan (fs, slow, &slow);
    if (r != 0)
      return r;
    /* fast: two links, unless it already fell off the end. */
    if (fast != 0 && next_orphan (fs, fast, &fast) == 0 && fast != 0
        && next_orphan (fs, fast, &fast) == 0 && fast != 0
        && fast == slow)
      return FSF_BAD_LOOP;
  }
  return 0;
}

/* The orphan file's blocks, one extent at a time. */
struct ofile {
  const struct fsf_fs *fs;
  uint32_t ino, generation;
  uint8_t *blk;
  fsf_orphan_fn fn;
  int (*bad) (void *opaque, uint32_t logical, int why);
  void *opaque;
};

static int
ofile_extent (void *opaque, const struct fsf_extent *ex)
{
  struct ofile *o = opaque;
  const struct fsf_sb *sb = &o->fs->sb;
  uint32_t k;
  int r;

  for (k = 0; k < ex->len; k++) {
    uint64_t b = ex->start + k;
    int why;

    r = fsf_read (&o->fs->src, o->blk, sb->block_size, b * sb->block_size);
    if (r < 0)
      return r;
    why = fsf_orphan_block_check (o->blk, sb->block_size, sb);
    if (why == 0
        && !fsf_orphan_block_csum_verify (sb, o->ino, o->generation, b,
                                          o->blk))
      why = FSF_BAD_CSUM;
    if (why != 0) {
      if (o->bad && (r = o->bad (o->opaque, ex->block + k, why)) != 0)
        return r;
      continue;
    }
    r = fsf_orphan_block_iterate (o->blk, sb, o->fn, o->opaque);
    if (r != 0)
      return r;
  }
  return 0;
}

int
fsf_orphan_file_walk (const struct fsf_fs *fs, fsf_orphan_fn fn,
                      int (*bad) (void *opaque, uint32_t logical, int why),
                      void *opaque)
{
  const struct fsf_sb *sb = &fs->sb;
  struct ofile o = { fs, sb->orphan_file_inum, 0, NULL, fn, bad, opaque };
  struct fsf_extent_visitor v = { .extent = ofile_extent, .opaque = &o };
  struct fsf_inode in;
  int r;

  r = fsf_fs_read_inode (fs, o.ino, &in, NULL);
  if (r != 0)
    return r;
  if (fsf_inode_ftype (in.mode) != FSF_FT_REG
      || !(in.flags & FSF_EXTENTS_FL) || in.size % sb->block_size != 0)
    return FSF_BAD_FIELD;
  o.generation = in.generation;
  o.blk = malloc (sb->block_size);
  if (o.blk == NULL)
    return -ENOMEM;
  r = fsf_extent_walk (&fs->src, sb, o.ino, in.generation, in.i_block, &v,
                       FSF_EXTENT_WALK_CSUM);
  free (o.blk);
  return r;
}
