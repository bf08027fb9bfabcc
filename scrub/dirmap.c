/* nbdscrub: a directory's blocks by logical number (see dirmap.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blockmap.h"
#include "dirmap.h"
#include "extent.h"

struct dirmap_walk {
  struct scrub_dirmap *dm;
  uint32_t cap;
  uint32_t alloc;
};

uint32_t
scrub_dirmap_cap (const struct fsf_fs *fs)
{
  uint64_t dev = fsf_fs_device_blocks (fs);
  uint32_t log = 0;
  uint64_t cap;

  while ((1024U << log) < fs->sb.block_size && log < 6)
    log++;
  cap = ((uint64_t) 1 << (21 - log)) + 1;
  return (uint32_t) (dev < cap ? dev : cap);
}

/* Make room for logical blocks below end (at most the cap). */
static int
dirmap_grow (struct dirmap_walk *w, uint32_t end)
{
  struct scrub_dirmap *dm = w->dm;
  uint32_t n = w->alloc ? w->alloc : 16;
  uint64_t *m;

  if (end <= w->alloc)
    return 0;
  while (n < end)
    n = n > w->cap / 2 ? w->cap : n * 2;
  m = realloc (dm->map, (size_t) n * sizeof *m);
  if (m == NULL)
    return -ENOMEM;
  memset (m + w->alloc, 0, (size_t) (n - w->alloc) * sizeof *m);
  dm->map = m;
  w->alloc = n;
  return 0;
}

/* Logical blocks [logical, logical + len) are at physical. */
static int
dirmap_add (struct dirmap_walk *w, uint64_t logical, uint64_t physical,
            uint64_t len)
{
  struct scrub_dirmap *dm = w->dm;
  uint64_t end = logical + len, k;
  int r;

  if (end > w->cap) {
    dm->capped = true;
    end = w->cap;
  }
  if (logical >= end)
    return 0;
  r = dirmap_grow (w, (uint32_t) end);
  if (r < 0)
    return r;
  for (k = logical; k < end; k++) {
    if (dm->map[k] == 0)
      dm->mapped++;
    dm->map[k] = physical + (k - logical);
  }
  if (end > dm->n)
    dm->n = (uint32_t) end;
  return 0;
}

static int
dirmap_extent (void *opaque, const struct fsf_extent *ex)
{
  return dirmap_add (opaque, ex->block, ex->start, ex->len);
}

static int
dirmap_block (void *opaque, uint32_t logical, uint64_t physical)
{
  return dirmap_add (opaque, logical, physical, 1);
}

int
scrub_dirmap_read (const struct fsf_fs *fs, uint32_t ino,
                   const struct fsf_inode *in, struct scrub_dirmap *dm)
{
  struct dirmap_walk w = { dm, scrub_dirmap_cap (fs), 0 };
  int r;

  memset (dm, 0, sizeof *dm);
  if (in->flags & FSF_EXTENTS_FL) {
    struct fsf_extent_visitor v = { .extent = dirmap_extent, .opaque = &w };

    r = fsf_extent_walk (&fs->src, &fs->sb, ino, in->generation, in->i_block,
                         &v, FSF_EXTENT_WALK_KEEP_GOING);
  }
  else {
    struct fsf_blockmap_visitor v = { .data = dirmap_block, .opaque = &w };

    r = fsf_blockmap_walk (&fs->src, &fs->sb, in->i_block, &v,
                           FSF_BLOCKMAP_WALK_KEEP_GOING);
  }
  if (r < 0) {
    scrub_dirmap_free (dm);
    return r;
  }
  dm->map_bad = r != 0;
  return 0;
}

void
scrub_dirmap_free (struct scrub_dirmap *dm)
{
  free (dm->map);
  memset (dm, 0, sizeof *dm);
}
