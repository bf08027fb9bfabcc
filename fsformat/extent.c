/* nbdscrub fsformat: extent trees (see extent.h for the layout). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "extent.h"
#include "fsf.h"

int
fsf_extent_header_decode (const uint8_t *buf, size_t len,
                          struct fsf_extent_header *h)
{
  size_t room;

  memset (h, 0, sizeof *h);
  if (len < FSF_EXTENT_HEADER_SIZE)
    return FSF_BAD_TRUNCATED;
  h->magic = fsf_le16 (buf + 0x00);
  h->entries = fsf_le16 (buf + 0x02);
  h->max = fsf_le16 (buf + 0x04);
  h->depth = fsf_le16 (buf + 0x06);
  h->generation = fsf_le32 (buf + 0x08);
  if (h->magic != FSF_EXTENT_MAGIC)
    return FSF_BAD_MAGIC;
  /* As ext2fs_extent_header_verify: the node's room, or up to two
   * entries less.
   */
  room = (len - FSF_EXTENT_HEADER_SIZE) / FSF_EXTENT_ENTRY_SIZE;
  if (h->max > room || (size_t) h->max + 2 < room)
    return FSF_BAD_FIELD;
  if (h->entries > h->max)
    return FSF_BAD_FIELD;
  return 0;
}

int
fsf_extent_index_decode (const uint8_t *buf, size_t len,
                         struct fsf_extent_index *ix)
{
  memset (ix, 0, sizeof *ix);
  if (len < FSF_EXTENT_ENTRY_SIZE)
    return FSF_BAD_TRUNCATED;
  ix->block = fsf_le32 (buf + 0x00);
  ix->leaf = fsf_lohi (fsf_le32 (buf + 0x04), fsf_le16 (buf + 0x08));
  ix->unused = fsf_le16 (buf + 0x0a);
  return 0;
}

int
fsf_extent_decode (const uint8_t *buf, size_t len, struct fsf_extent *ex)
{
  memset (ex, 0, sizeof *ex);
  if (len < FSF_EXTENT_ENTRY_SIZE)
    return FSF_BAD_TRUNCATED;
  ex->block = fsf_le32 (buf + 0x00);
  ex->raw_len = fsf_le16 (buf + 0x04);
  ex->start = fsf_lohi (fsf_le32 (buf + 0x08), fsf_le16 (buf + 0x06));
  ex->unwritten = ex->raw_len > FSF_EXTENT_INIT_MAX_LEN;
  ex->len = ex->unwritten ? ex->raw_len - FSF_EXTENT_INIT_MAX_LEN
                          : ex->raw_len;
  return 0;
}

/* --- the tail checksum ------------------------------------------------ */

static bool
tail_fits (const struct fsf_sb *sb, const uint8_t *buf)
{
  return fsf_extent_tail_offset (fsf_le16 (buf + 0x04))
    + FSF_EXTENT_TAIL_SIZE <= sb->block_size;
}

uint32_t
fsf_extent_block_csum (const struct fsf_sb *sb, uint32_t ino,
                       uint32_t generation, const uint8_t *buf)
{
  if (!tail_fits (sb, buf))
    return 0;
  return fsf_crc32c (fsf_crc32c_owner (sb->csum_seed, ino, generation), buf,
                     fsf_extent_tail_offset (fsf_le16 (buf + 4)));
}

bool
fsf_extent_block_csum_verify (const struct fsf_sb *sb, uint32_t ino,
                              uint32_t generation, const uint8_t *buf)
{
  if (!tail_fits (sb, buf))
    return false;
  return fsf_le32 (buf + fsf_extent_tail_offset (fsf_le16 (buf + 4)))
    == fsf_extent_block_csum (sb, ino, generation, buf);
}

void
fsf_extent_block_csum_set (const struct fsf_sb *sb, uint32_t ino,
                           uint32_t generation, uint8_t *buf)
{
  if (!tail_fits (sb, buf))
    return;
  fsf_put_le32 (buf + fsf_extent_tail_offset (fsf_le16 (buf + 4)),
                fsf_extent_block_csum (sb, ino, generation, buf));
}

/* --- the walker ------------------------------------------------------- */

struct walk {
  const struct fsf_source *src;
  const struct fsf_sb *sb;
  uint32_t ino, generation;
  const struct fsf_extent_visitor *v;
  unsigned flags;
  uint8_t *bufs;              /* one block per level below the root */
  uint64_t visited, max_visited;
  uint64_t next_logical;      /* first logical block not yet mapped */
  int first_bad;
};

/* A node as the walker sees it. */
struct node {
  const uint8_t *buf;
  size_t size;
  struct fsf_extent_where at;
  int want_depth;             /* -1 for the root */
  uint64_t lo, hi;            /* the logical range it may cover */
};

/* Record corruption.  Returns 0 when the walk goes on past it (skipping
 * the bad part), else what ends the walk.
 */
static int
report (struct walk *w, const struct fsf_extent_where *at, int entry,
        int bad)
{
  struct fsf_extent_where where = *at;
  int r;

  where.entry = entry;
  if (w->first_bad == 0)
    w->first_bad = bad;
  if (w->v->bad) {
    r = w->v->bad (w->v->opaque, &where, bad);
    if (r)
      return r;
  }
  return (w->flags & FSF_EXTENT_WALK_KEEP_GOING) ? 0 : bad;
}

/* Physical blocks [start, start + len) inside the filesystem? */
static bool
in_fs (const struct fsf_sb *sb, uint64_t start, uint64_t len)
{
  return start >= sb->first_data_block && start < sb->blocks_count
    && len <= sb->blocks_count - start;
}

static int walk_node (struct walk *w, const struct node *n);

/* Entry i of a node. */
static const uint8_t *
entry_at (const uint8_t *buf, int i)
{
  return buf + FSF_EXTENT_HEADER_SIZE + (size_t) i * FSF_EXTENT_ENTRY_SIZE;
}

/* Check the header of node n; 0, or the fsf_bad value.  A child whose
 * eh_depth is not its parent's less one is FSF_BAD_FIELD with
 * *depth_off set and h->depth set to where it sits in the tree, which
 * is how libext2fs reads it: the walk may go on below it.
 */
static int
check_header (const struct node *n,
              struct fsf_extent_header *h, bool *depth_off)
{
  int bad = fsf_extent_header_decode (n->buf, n->size, h);

  *depth_off = false;
  if (bad)
    return bad;
  if (n->want_depth >= 0 && h->depth != n->want_depth) {
    *depth_off = true;
    h->depth = (uint16_t) n->want_depth;
  }
  if (h->depth > FSF_EXTENT_MAX_DEPTH)
    return FSF_BAD_LOOP;
  /* The kernel refuses an empty index node, the root included. */
  if (h->depth > 0 && h->entries == 0)
    return FSF_BAD_FIELD;
  return *depth_off ? FSF_BAD_FIELD : 0;
}

static int
walk_extent (struct walk *w, const struct node *n, int i)
{
  struct fsf_extent ex;
  int r;

  fsf_extent_decode (entry_at (n->buf, i), FSF_EXTENT_ENTRY_SIZE, &ex);
  if (ex.len == 0)
    return report (w, &n->at, i, FSF_BAD_FIELD);
  if (ex.block < w->next_logical || ex.block < n->lo
      || (n->want_depth >= 0 && i == 0 && ex.block != n->lo)
      || (uint64_t) ex.block + ex.len > n->hi)
    return report (w, &n->at, i, FSF_BAD_FIELD);
  if (!in_fs (w->sb, ex.start, ex.len))
    return report (w, &n->at, i, FSF_BAD_RANGE);
  w->next_logical = (uint64_t) ex.block + ex.len;
  if (w->v->extent) {
    r = w->v->extent (w->v->opaque, &ex);
    if (r)
      return r;
  }
  return 0;
}

/* Read the child of index entry i (block ix->leaf) and walk it. */
static int
walk_child (struct walk *w, const struct node *n, int depth,
            const struct fsf_extent_index *ix, uint64_t hi)
{
  const struct fsf_sb *sb = w->sb;
  struct node child;
  uint8_t *buf;
  int r;

  memset (&child, 0, sizeof child);
  child.at.block = ix->leaf;
  child.at.level = n->at.level + 1;
  child.at.entry = -1;
  if (child.at.level > FSF_EXTENT_MAX_DEPTH)   /* checked by the header */
    return FSF_BAD_LOOP;
  if (++w->visited > w->max_visited) {
    report (w, &child.at, -1, FSF_BAD_LOOP);
    return FSF_BAD_LOOP;        /* a bound: never walk on past it */
  }
  if (w->v->node) {
    r = w->v->node (w->v->opaque, &child.at, ix->block);
    if (r)
      return r;
  }
  buf = w->bufs + (size_t) (child.at.level - 1) * sb->block_size;
  r = fsf_read (w->src, buf, sb->block_size, ix->leaf * sb->block_size);
  if (r)
    return r < 0 ? r : -EIO;
  child.buf = buf;
  child.size = sb->block_size;
  child.want_depth = depth - 1;
  child.lo = ix->block;
  child.hi = hi;
  return walk_node (w, &child);
}

static int
walk_index (struct walk *w, const struct node *n,
            const struct fsf_extent_header *h, int i, uint32_t *prev)
{
  struct fsf_extent_index ix, next;
  uint64_t hi = n->hi;

  fsf_extent_index_decode (entry_at (n->buf, i), FSF_EXTENT_ENTRY_SIZE, &ix);
  if (ix.block < n->lo || ix.block >= n->hi || ix.block < w->next_logical
      || (i > 0 && ix.block <= *prev)
      || (n->want_depth >= 0 && i == 0 && ix.block != n->lo))
    return report (w, &n->at, i, FSF_BAD_FIELD);
  *prev = ix.block;
  if (!in_fs (w->sb, ix.leaf, 1))
    return report (w, &n->at, i, FSF_BAD_RANGE);
  /* The child ends where the next entry starts (if that is sane). */
  if (i + 1 < h->entries) {
    fsf_extent_index_decode (entry_at (n->buf, i + 1), FSF_EXTENT_ENTRY_SIZE,
                             &next);
    if (next.block > ix.block && next.block < hi)
      hi = next.block;
  }
  return walk_child (w, n, h->depth, &ix, hi);
}

static int
walk_node (struct walk *w, const struct node *n)
{
  struct fsf_extent_header h;
  uint32_t prev = 0;
  bool depth_off;
  int bad, r, i;

  bad = check_header (n, &h, &depth_off);
  if (bad) {
    r = report (w, &n->at, -1, bad);
    if (r || !depth_off || h.entries == 0)
      return r;
  }
  if (n->want_depth >= 0 && (w->flags & FSF_EXTENT_WALK_CSUM)
      && fsf_has_metadata_csum (w->sb)
      && !fsf_extent_block_csum_verify (w->sb, w->ino, w->generation,
                                        n->buf)) {
    r = report (w, &n->at, -1, FSF_BAD_CSUM);
    if (r)
      return r;
  }
  for (i = 0; i < h.entries; i++) {
    r = h.depth == 0 ? walk_extent (w, n, i) : walk_index (w, n, &h, i, &prev);
    if (r)
      return r;
  }
  return 0;
}

int
fsf_extent_walk (const struct fsf_source *src, const struct fsf_sb *sb,
                 uint32_t ino, uint32_t generation, const uint8_t *root,
                 const struct fsf_extent_visitor *v, unsigned flags)
{
  static const struct fsf_extent_visitor none;
  struct walk w;
  struct node n;
  int r;

  memset (&w, 0, sizeof w);
  w.src = src;
  w.sb = sb;
  w.ino = ino;
  w.generation = generation;
  w.v = v ? v : &none;
  w.flags = flags;
  /* Whatever the superblock claims, no more blocks than the device
   * holds can be distinct: bound the work by the smaller.
   */
  w.max_visited = (sb->blocks_count < src->size / sb->block_size
                   ? sb->blocks_count : src->size / sb->block_size);
  w.max_visited = w.max_visited > sb->first_data_block
                   ? w.max_visited - sb->first_data_block : 0;
  w.bufs = malloc ((size_t) FSF_EXTENT_MAX_DEPTH * sb->block_size);
  if (w.bufs == NULL)
    return -ENOMEM;

  memset (&n, 0, sizeof n);
  n.buf = root;
  n.size = FSF_EXTENT_ROOT_SIZE;
  n.at.entry = -1;
  n.want_depth = -1;
  n.lo = 0;
  n.hi = FSF_LOGICAL_END;
  r = walk_node (&w, &n);
  free (w.bufs);
  if (r)
    return r;
  return w.first_bad;
}
