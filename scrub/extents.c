/* nbdscrub: an inode's block map, extent tree or indirect blocks
 * (SCRUB_TYPE_EXTENTS), as e2fsck pass 1's check_blocks walks it.
 *
 * fsformat's walkers check the structure (fsf_extent_walk,
 * fsf_blockmap_walk); this file turns what they report into problem
 * codes, claims every block the map owns with the pass (tree and map
 * blocks, then each extent's run in one call, so two owners of a block
 * are found the moment the second claims it), and adds what e2fsck
 * checks on top: unwritten extents in a directory, logical blocks past
 * what the file type may hold.  What it learns (blocks owned, the mapped
 * end, the written end) goes back to the inode scrubber for the size
 * and i_blocks checks.
 *
 * Two inodes are special, as in e2fsck: the resize inode (7) claims
 * only its double-indirect block, the reserved GDT blocks it names
 * being group metadata already; the bad blocks inode (1) claims its
 * listed blocks only where nothing owns them yet (a bad block inside
 * metadata is e2fsck's relocation business, not a second owner).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blockmap.h"
#include "bytes.h"
#include "extent.h"
#include "inode-priv.h"
#include "pass.h"

/* Findings one map may make before its walk stops (e2fsck gives up on
 * an inode's blocks likewise): a map that shares a huge tree with other
 * inodes must not cost the pass a walk of it per sharer.
 */
#define MAP_FINDINGS_MAX 256
#define MAP_STOP 0x100            /* a callback's "stop", above fsf_bad */

struct map_walk {
  struct scrub_ctx *sc;
  unsigned findings0;         /* sc->findings when the walk began */
  bool stopped;
  uint32_t ino;
  const struct fsf_inode *inode;
  struct scrub_imap *out;
  bool is_dir, is_reg;
  uint64_t eof_lblk;          /* last logical block i_size covers */
  uint64_t max_blocks;        /* e2fsck's pb.max_blocks */
  uint64_t dir_max_lblk;      /* directories: 0 when unlimited */
  uint64_t run_start, run_len;/* blocks to claim, not yet claimed */
  uint64_t next_logical;      /* past the last extent accepted */
  uint32_t node_lo[FSF_EXTENT_MAX_DEPTH + 2];
  uint8_t *scratch;           /* one block, for re-reading a bad node */
  int err;                    /* first operational error */
};

/* A finding that leaves the map readable (the directory phase may
 * still walk it, size and i_blocks still be judged by it).
 */
static void
map_note (struct map_walk *w, int code, uint64_t block, uint64_t entry,
          uint64_t found)
{
  uint32_t g = 0;

  fsf_group_of_inode (&w->sc->fs->sb, w->ino, &g);
  chk_set_corrupt (w->sc, code, g, w->ino, block, entry, found);
}

/* A finding that makes the map untrustworthy. */
static void
map_bad (struct map_walk *w, int code, uint64_t block, uint64_t entry,
         uint64_t found)
{
  map_note (w, code, block, entry, found);
  w->out->corrupt = true;
}

/* Claim what is pending: one call per physically contiguous run. */
static int
flush_run (struct map_walk *w)
{
  int r = 0;

  if (w->run_len)
    r = scrub_claim_blocks (w->sc, w->ino, w->run_start, w->run_len);
  w->run_len = 0;
  if (r < 0 && w->err == 0)
    w->err = r;
  return r;
}

/* MAP_STOP once the map has made too many findings (said once), else
 * w->err (0 or -errno): what a callback returns.
 */
static int
go_on (struct map_walk *w)
{
  if (w->err)
    return w->err;
  if (w->sc->findings - w->findings0 <= MAP_FINDINGS_MAX)
    return 0;
  if (!w->stopped) {
    w->stopped = true;
    map_bad (w, PR_MAP_TOO_MANY, 0, MAP_FINDINGS_MAX, 0);
  }
  return MAP_STOP;
}

static int
claim (struct map_walk *w, uint64_t blk, uint64_t len)
{
  if (w->sc->pass == NULL || len == 0)
    return 0;
  if (w->run_len && w->run_start + w->run_len == blk) {
    w->run_len += len;
    return 0;
  }
  flush_run (w);
  w->run_start = blk;
  w->run_len = len;
  return go_on (w);
}

/* --- extent trees ------------------------------------------------------ */

static int
on_node (void *opaque, const struct fsf_extent_where *at, uint32_t logical)
{
  struct map_walk *w = opaque;

  if (at->level < sizeof w->node_lo / sizeof w->node_lo[0])
    w->node_lo[at->level] = logical;
  w->out->blocks++;
  if (w->ino == FSF_RESIZE_INO)
    return 0;
  return claim (w, at->block, 1);
}

static int
accept_extent (struct map_walk *w, const struct fsf_extent *ex)
{
  uint64_t end = (uint64_t) ex->block + ex->len;

  if (w->is_dir && ex->unwritten)
    map_note (w, PR_EXTENT_UNINIT_DIR, ex->block, 0, 0);
  if (w->dir_max_lblk && end > w->dir_max_lblk) {
    /* e2fsck drops the extent: nothing of it is owned. */
    map_bad (w, PR_MAP_TOO_BIG, ex->block, 0, end);
    return 0;
  }
  /* e2fsck collapses (extents) or fills (pass 2) a directory's hole. */
  if (w->is_dir && ex->block > w->out->end)
    map_note (w, PR_MAP_DIR_HOLE, ex->block, 0, 0);
  if (end > w->next_logical)
    w->next_logical = end;
  w->out->blocks += ex->len;
  w->out->end = end;
  if (!w->is_dir && !ex->unwritten)
    w->out->init_end = end;
  if (w->ino == FSF_RESIZE_INO)
    return 0;
  if (w->is_reg)
    scrub_note_file_data (w->sc, w->ino, ex->start, ex->len);
  return claim (w, ex->start, ex->len);
}

static int
on_extent (void *opaque, const struct fsf_extent *ex)
{
  return accept_extent (opaque, ex);
}

/* The node a bad report names, re-read into w->scratch (the root is the
 * inode's i_block).  NULL if it cannot be read.
 */
static const uint8_t *
bad_node (struct map_walk *w, const struct fsf_extent_where *at, size_t *len)
{
  const struct fsf_sb *sb = &w->sc->fs->sb;

  if (at->block == 0) {
    *len = FSF_EXTENT_ROOT_SIZE;
    return w->inode->i_block;
  }
  if (w->scratch == NULL && (w->scratch = malloc (sb->block_size)) == NULL) {
    w->err = -ENOMEM;
    return NULL;
  }
  if (fsf_read (&w->sc->fs->src, w->scratch, sb->block_size,
                at->block * sb->block_size) != 0)
    return NULL;
  *len = sb->block_size;
  return w->scratch;
}

/* A header the walker refused though it decodes: an index node with
 * no entries, or a child whose eh_depth is not its parent's less one.
 * The kernel would refuse both; e2fsck accepts both (libext2fs reads a
 * child's depth from its place in the tree), and so do we.
 */
static bool
header_decodes (const uint8_t *buf, size_t len)
{
  struct fsf_extent_header h;

  return fsf_extent_header_decode (buf, len, &h) == 0;
}

/* An entry the walker called FSF_BAD_FIELD: say which rule it broke. */
static void
bad_entry (struct map_walk *w, const struct fsf_extent_where *at)
{
  struct fsf_extent_header h;
  struct fsf_extent ex;
  const uint8_t *buf;
  size_t len, off;
  uint32_t lo = 0;

  buf = bad_node (w, at, &len);
  off = FSF_EXTENT_HEADER_SIZE + (size_t) at->entry * FSF_EXTENT_ENTRY_SIZE;
  if (buf == NULL || fsf_extent_header_decode (buf, len, &h) != 0
      || off + FSF_EXTENT_ENTRY_SIZE > len) {
    map_bad (w, PR_EXTENT_ORDER, at->block, (uint64_t) at->entry, 0);
    return;
  }
  fsf_extent_decode (buf + off, FSF_EXTENT_ENTRY_SIZE, &ex);
  if (at->level < sizeof w->node_lo / sizeof w->node_lo[0])
    lo = w->node_lo[at->level];
  if (h.depth == 0 && ex.len == 0)
    map_bad (w, PR_EXTENT_ZERO_LEN, at->block, (uint64_t) at->entry, 0);
  else if (at->block != 0 && at->entry == 0 && ex.block != lo)
    map_bad (w, PR_EXTENT_INDEX_START, at->block, lo, ex.block);
  else if (ex.block < w->next_logical || ex.block < lo || h.depth > 0)
    map_bad (w, PR_EXTENT_ORDER, at->block, (uint64_t) at->entry,
             ex.block);
  else if (ex.unwritten
           && (uint64_t) ex.block + ex.len - 1 > w->eof_lblk)
    /* Past the parent's range, but unwritten and past EOF: e2fsck
     * accepts that (fallocate with KEEP_SIZE), so own it.
     */
    accept_extent (w, &ex);
  else
    map_bad (w, PR_EXTENT_END_BOUNDS, at->block, (uint64_t) at->entry,
             ex.block);
}

/* An entry pointing outside the filesystem: its start, or its end. */
static void
bad_range (struct map_walk *w, const struct fsf_extent_where *at)
{
  const struct fsf_sb *sb = &w->sc->fs->sb;
  struct fsf_extent_header h;
  struct fsf_extent ex;
  const uint8_t *buf;
  size_t len, off;

  buf = bad_node (w, at, &len);
  off = FSF_EXTENT_HEADER_SIZE + (size_t) at->entry * FSF_EXTENT_ENTRY_SIZE;
  if (buf && fsf_extent_header_decode (buf, len, &h) == 0 && h.depth == 0
      && off + FSF_EXTENT_ENTRY_SIZE <= len) {
    fsf_extent_decode (buf + off, FSF_EXTENT_ENTRY_SIZE, &ex);
    if (ex.start >= sb->first_data_block && ex.start < sb->blocks_count) {
      map_bad (w, PR_EXTENT_ENDS_BEYOND, at->block, (uint64_t) at->entry,
               ex.start);
      return;
    }
  }
  map_bad (w, PR_EXTENT_BAD_START, at->block, (uint64_t) at->entry, 0);
}

static int
on_extent_bad (void *opaque, const struct fsf_extent_where *at, int bad)
{
  struct map_walk *w = opaque;
  const uint8_t *buf;
  size_t len;

  if (at->entry < 0) {
    switch (bad) {
    case FSF_BAD_CSUM:
      map_bad (w, PR_EXTENT_CSUM, at->block, 0, 0);
      break;
    case FSF_BAD_LOOP:
      map_bad (w, PR_EXTENT_DEPTH, at->block, 0, 0);
      break;
    default:
      buf = bad_node (w, at, &len);
      if (buf && header_decodes (buf, len))
        break;
      map_bad (w, PR_EXTENT_HEADER, at->block, 0, (uint64_t) bad);
      break;
    }
  }
  else if (bad == FSF_BAD_RANGE)
    bad_range (w, at);
  else if (bad == FSF_BAD_LOOP)
    map_bad (w, PR_EXTENT_DEPTH, at->block, (uint64_t) at->entry, 0);
  else
    bad_entry (w, at);
  return go_on (w);
}

static int
walk_extents (struct map_walk *w)
{
  const struct fsf_fs *fs = w->sc->fs;
  struct fsf_extent_visitor v = { on_extent, on_node, on_extent_bad, w };
  int r;

  r = fsf_extent_walk (&fs->src, &fs->sb, w->ino, w->inode->generation,
                       w->inode->i_block, &v,
                       FSF_EXTENT_WALK_CSUM | FSF_EXTENT_WALK_KEEP_GOING);
  return r < 0 ? r : 0;
}

/* --- indirect block maps ---------------------------------------------- */

/* e2fsck's process_block limits, before a block is taken: true when the
 * block must be dropped (and is reported).
 */
static bool
too_big (struct map_walk *w, int64_t blockcnt)
{
  bool big = false;

  if (w->dir_max_lblk && blockcnt > (int64_t) w->dir_max_lblk)
    big = true;
  if ((w->is_dir || w->is_reg) && w->out->blocks + 1 >= w->max_blocks)
    big = true;
  if (!w->is_dir && !w->is_reg && blockcnt > 0)
    big = true;
  if (big)
    map_bad (w, PR_MAP_TOO_BIG, blockcnt < 0 ? 0 : (uint64_t) blockcnt, 0,
             0);
  return big;
}

/* A bad block in group g's inode table: the inode scan gives up the
 * inodes it holds and counts them in use.  Free ones are then a bitmap
 * difference, and an entry naming one in use "points to an inode in a
 * bad block" (pass 2): e2fsck exits 4 either way, unless the block is
 * one the scan never reads (an INODE_UNINIT group, or the never-used
 * tail of a checksummed one).
 */
static bool
bad_itable_block (const struct fsf_sb *sb, const struct fsf_gd *gd,
                  uint64_t blk)
{
  bool csum = fsf_has_metadata_csum (sb)
    || fsf_has_ro_compat (sb, FSF_RO_COMPAT_GDT_CSUM);
  uint64_t first = (blk - gd->inode_table) * sb->inodes_per_block;
  uint32_t scanned = sb->inodes_per_group;

  if (csum && (gd->flags & FSF_BG_INODE_UNINIT))
    return false;
  if (csum && gd->itable_unused <= scanned)
    scanned -= gd->itable_unused;
  return first < scanned;
}

/* A bad block on group metadata: e2fsck's process_bad_block calls the
 * primary superblock and descriptors and any group's bitmaps beyond
 * repair (exit 4); one in an inode table costs the inodes in it (see
 * above); backups and reserved GDT blocks only draw a warning.
 */
static bool
bad_block_unfixable (struct map_walk *w, uint64_t blk)
{
  const struct fsf_sb *sb = &w->sc->fs->sb;
  struct fsf_gd gd;
  uint32_t g;

  if (blk >= sb->first_data_block
      && blk <= (uint64_t) sb->first_data_block + fsf_gd_table_blocks (sb))
    return true;
  for (g = 0; g < sb->groups_count; g++) {
    if (fsf_fs_read_gd (w->sc->fs, g, &gd, NULL) != 0)
      continue;
    if (gd.block_bitmap == blk || gd.inode_bitmap == blk)
      return true;
    if (blk >= gd.inode_table && blk - gd.inode_table < sb->itable_blocks)
      return bad_itable_block (sb, &gd, blk);
  }
  return false;
}

static int
on_data (void *opaque, uint32_t logical, uint64_t physical)
{
  struct map_walk *w = opaque;

  if (w->ino == FSF_BAD_INO) {
    /* A listed bad block: owned by the list unless metadata has it. */
    if (w->sc->pass && !scrub_pass_owned (w->sc->pass, physical))
      return claim (w, physical, 1);
    if (w->sc->pass && bad_block_unfixable (w, physical))
      map_bad (w, PR_INODE_BAD_BLOCKS_INODE, physical, 0, 0);
    return 0;
  }
  if (too_big (w, logical))
    return 0;
  if (w->is_dir && logical > w->out->end)
    map_note (w, PR_MAP_DIR_HOLE, logical, 0, 0);
  w->out->blocks++;
  w->out->end = (uint64_t) logical + 1;
  w->out->init_end = w->out->end;
  if (w->ino == FSF_RESIZE_INO)
    return 0;
  if (w->is_reg)
    scrub_note_file_data (w->sc, w->ino, physical, 1);
  return claim (w, physical, 1);
}

static int
on_map (void *opaque, const struct fsf_blockmap_where *at, unsigned kind,
        uint32_t logical)
{
  struct map_walk *w = opaque;
  uint64_t blk;

  (void) logical;
  /* The map block itself: where the walker is, one level down. */
  blk = at->block;
  if (w->ino != FSF_BAD_INO && too_big (w, -(int64_t) kind))
    return 0;
  w->out->blocks++;
  if (w->ino == FSF_RESIZE_INO && kind != 2)
    return 0;
  return claim (w, blk, 1);
}

static int
on_map_bad (void *opaque, const struct fsf_blockmap_where *at, int bad)
{
  struct map_walk *w = opaque;

  if (bad == FSF_BAD_LOOP)
    map_bad (w, PR_BLOCKMAP_LOOP, at->block, (uint64_t) at->entry, 0);
  else
    map_bad (w, PR_BLOCKMAP_BAD_BLOCK, at->block, (uint64_t) at->entry,
             (uint64_t) bad);
  return go_on (w);
}

static int
walk_blockmap (struct map_walk *w)
{
  const struct fsf_fs *fs = w->sc->fs;
  struct fsf_blockmap_visitor v = { on_data, on_map, on_map_bad, w };
  int r;

  r = fsf_blockmap_walk (&fs->src, &fs->sb, w->inode->i_block, &v,
                         FSF_BLOCKMAP_WALK_KEEP_GOING);
  return r < 0 ? r : 0;
}

int
scrub_inode_map (struct scrub_ctx *sc, uint32_t ino,
                 const struct fsf_inode *inode, struct scrub_imap *out)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct map_walk w;
  int r;

  memset (out, 0, sizeof *out);
  memset (&w, 0, sizeof w);
  w.sc = sc;
  w.findings0 = sc->findings;
  w.ino = ino;
  w.inode = inode;
  w.out = out;
  w.is_dir = fsf_inode_ftype (inode->mode) == FSF_FT_DIR;
  w.is_reg = fsf_inode_ftype (inode->mode) == FSF_FT_REG;
  w.eof_lblk = ((inode->size + sb->block_size - 1) / sb->block_size) - 1;
  w.max_blocks = (uint64_t) 1 << (31 - sb->log_block_size);
  if (w.is_dir && !fsf_has_incompat (sb, FSF_INCOMPAT_LARGEDIR)
      && (inode->size >> 32) == 0)
    w.dir_max_lblk = (uint64_t) 1 << (21 - sb->log_block_size);

  if (fsf_has_incompat (sb, FSF_INCOMPAT_EXTENTS)
      && (inode->flags & FSF_EXTENTS_FL))
    r = walk_extents (&w);
  else
    r = walk_blockmap (&w);
  if (r == 0)
    r = flush_run (&w);
  else
    flush_run (&w);
  free (w.scratch);
  if (r == 0 && w.err)
    r = w.err;
  return r;
}

/* --- the standalone scrubber --------------------------------------------- */

/* Does the inode's i_block hold a map at all?  As libext2fs's
 * ext2fs_inode_has_valid_blocks2: directories, regular files and slow
 * symlinks do (inline data would not, were it supported).
 */
static bool
has_map (const struct fsf_sb *sb, const struct fsf_inode *inode)
{
  enum fsf_ftype t = fsf_inode_ftype (inode->mode);
  uint64_t acl = fsf_has_incompat (sb, FSF_INCOMPAT_64BIT)
    ? inode->file_acl : inode->file_acl & UINT32_MAX;

  if (t == FSF_FT_SYMLINK) {
    if (acl == 0)
      return (inode->blocks & UINT32_MAX) != 0
        && !(inode->size && inode->size < FSF_I_BLOCK_SIZE);
    if (inode->size >= FSF_I_BLOCK_SIZE)
      return true;
    return inode->size > 4 && fsf_inode_i_block (inode, 1) == 0;
  }
  if (t != FSF_FT_DIR && t != FSF_FT_REG)
    return false;
  return !(inode->flags & FSF_INLINE_DATA_FL);
}

bool
scrub_inode_has_map (const struct fsf_sb *sb, const struct fsf_inode *inode)
{
  return has_map (sb, inode);
}

static int
scrub_extents (struct scrub_ctx *sc)
{
  struct fsf_inode inode;
  struct scrub_imap map;
  int r;

  r = fsf_fs_read_inode (sc->fs, sc->req.ino, &inode, NULL);
  if (r < 0)
    return r;
  if (inode.links_count == 0 && sc->req.ino >= sc->fs->sb.first_ino)
    return 0;
  if (!has_map (&sc->fs->sb, &inode))
    return 0;
  return scrub_inode_map (sc, sc->req.ino, &inode, &map);
}

const struct scrub_ops scrub_extents_ops = {
  .scope = SCRUB_SCOPE_INODE,
  .scrub = scrub_extents,
};
