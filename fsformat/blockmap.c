/* nbdscrub fsformat: indirect block maps (see blockmap.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blockmap.h"
#include "bytes.h"
#include "fsf.h"

#define MAX_LEVEL 3                   /* TIND -> DIND -> IND */
struct walk {
  const struct fsf_source *src;
  const struct fsf_sb *sb;
  const struct fsf_blockmap_visitor *v;
  unsigned flags;
  uint64_t per_block;           /* A: entries in a map block */
  uint64_t max_logical;
  uint64_t claimed, max_claimed;
  uint64_t path[MAX_LEVEL + 1]; /* the map blocks above, by level */
  uint8_t *bufs;                /* one block per level */
  int first_bad;
};

/* Logical blocks under one entry of kind k (0 data, 1 IND, ...): A^k. */
static uint64_t
span (const struct walk *w, unsigned kind)
{
  uint64_t s = 1;

  while (kind-- > 0)
    s *= w->per_block;
  return s;
}

uint64_t
fsf_blockmap_max_blocks (const struct fsf_sb *sb)
{
  uint64_t a = sb->block_size / 4;
  uint64_t n = FSF_BLOCKMAP_IND + a + a * a + a * a * a;

  return n < FSF_LOGICAL_END ? n : FSF_LOGICAL_END;
}

/* Record corruption: 0 when the walk goes on, else what ends it. */
static int
report (struct walk *w, const struct fsf_blockmap_where *at, int bad)
{
  int r;

  if (w->first_bad == 0)
    w->first_bad = bad;
  if (w->v->bad) {
    r = w->v->bad (w->v->opaque, at, bad);
    if (r)
      return r;
  }
  return (w->flags & FSF_BLOCKMAP_WALK_KEEP_GOING) ? 0 : bad;
}

static int walk_entry (struct walk *w, const struct fsf_blockmap_where *at,
                       uint32_t value, unsigned kind, uint64_t logical);

/* Read map block b (of kind 1..3, at level) and walk its entries. */
static int
walk_map (struct walk *w, uint64_t b, unsigned level, unsigned kind,
          uint64_t logical)
{
  const struct fsf_sb *sb = w->sb;
  struct fsf_blockmap_where at = { b, level, -1 };
  uint8_t *buf = w->bufs + (size_t) (level - 1) * sb->block_size;
  uint64_t each = span (w, kind - 1);
  uint64_t i;
  int r;

  if (w->v->map) {
    r = w->v->map (w->v->opaque, &at, kind, (uint32_t) logical);
    if (r)
      return r;
  }
  r = fsf_read (w->src, buf, sb->block_size, b * sb->block_size);
  if (r)
    return r < 0 ? r : -EIO;
  w->path[level] = b;
  for (i = 0; i < w->per_block; i++) {
    at.entry = (int) i;
    r = walk_entry (w, &at, fsf_le32 (buf + 4 * i), kind - 1,
                    logical + i * each);
    if (r)
      return r;
  }
  return 0;
}

/* One entry (in i_block or a map block at at->level) naming a block of
 * kind 0 (data) to 3 (TIND) whose first logical block is logical.
 */
static int
walk_entry (struct walk *w, const struct fsf_blockmap_where *at,
            uint32_t value, unsigned kind, uint64_t logical)
{
  const struct fsf_sb *sb = w->sb;
  unsigned l;
  int r;

  if (value == 0)
    return 0;                   /* a hole */
  if (logical >= w->max_logical || value < sb->first_data_block
      || value >= sb->blocks_count)
    return report (w, at, FSF_BAD_RANGE);
  for (l = 1; l <= at->level; l++)
    if (w->path[l] == value)
      return report (w, at, FSF_BAD_LOOP);
  if (++w->claimed > w->max_claimed) {
    report (w, at, FSF_BAD_LOOP);
    return FSF_BAD_LOOP;        /* a bound: never walk on past it */
  }
  if (kind == 0) {
    if (w->v->data) {
      r = w->v->data (w->v->opaque, (uint32_t) logical, value);
      if (r)
        return r;
    }
    return 0;
  }
  if (at->level + 1 > MAX_LEVEL)   /* kind decreases with level */
    return FSF_BAD_LOOP;
  return walk_map (w, value, at->level + 1, kind, logical);
}

int
fsf_blockmap_walk (const struct fsf_source *src, const struct fsf_sb *sb,
                   const uint8_t *i_block,
                   const struct fsf_blockmap_visitor *v, unsigned flags)
{
  static const struct fsf_blockmap_visitor none;
  struct fsf_blockmap_where at = { 0, 0, 0 };
  struct walk w;
  uint64_t logical = FSF_BLOCKMAP_IND;
  unsigned i;
  int r = 0;

  memset (&w, 0, sizeof w);
  w.src = src;
  w.sb = sb;
  w.v = v ? v : &none;
  w.flags = flags;
  w.per_block = sb->block_size / 4;
  w.max_logical = fsf_blockmap_max_blocks (sb);
  /* Whatever the superblock claims, no more blocks than the device
   * holds can be distinct: bound the work by the smaller.
   */
  w.max_claimed = (sb->blocks_count < src->size / sb->block_size
                   ? sb->blocks_count : src->size / sb->block_size);
  w.max_claimed = w.max_claimed > sb->first_data_block
                   ? w.max_claimed - sb->first_data_block : 0;
  w.bufs = malloc ((size_t) MAX_LEVEL * sb->block_size);
  if (w.bufs == NULL)
    return -ENOMEM;

  for (i = 0; i < FSF_BLOCKMAP_IND && r == 0; i++) {
    at.entry = (int) i;
    r = walk_entry (&w, &at, fsf_le32 (i_block + 4 * i), 0, i);
  }
  for (i = FSF_BLOCKMAP_IND; i <= FSF_BLOCKMAP_TIND && r == 0; i++) {
    unsigned kind = i - FSF_BLOCKMAP_IND + 1;

    at.entry = (int) i;
    r = walk_entry (&w, &at, fsf_le32 (i_block + 4 * i), kind, logical);
    logical += span (&w, kind);
  }
  free (w.bufs);
  if (r)
    return r;
  return w.first_bad;
}
