/* nbdscrub: the directory scrubber (SCRUB_TYPE_DIRECTORY), one directory.
 *
 * It reads the directory as e2fsck pass 2 does: every block from logical
 * 0 to the last one mapped, once each, in logical order.  A block is an
 * htree index block or a leaf by its shape, as e2fsck decides: with
 * INDEX_FL, block 0 is the dx root, and a block whose first entry is an
 * empty entry covering it, with the limit an index node has, is a dx
 * node; every other block is a leaf, walked entry by entry.
 *
 * Each entry is checked in e2fsck's order (check_dir_block): rec_len,
 * '.' and '..', the inode number's range, duplicate '.'/'..', links to
 * the root or the directory itself, the target in use, its file type,
 * the name's bytes, a second link to a directory, a name twice in one
 * block.  Entries are told to the pass (scrub_note_dirent,
 * scrub_note_dotdot) for the links scrubber.
 *
 * The htree is checked as e2fsck does it: the root's info, each index
 * block's limit, count, block numbers and hash order; then, once every
 * block is read, each block against the index range its parent gives it,
 * its depth, and that it is referenced once.  Per-block state is one
 * small record per logical block; nothing is allocated per entry, and
 * the hash of each name is computed once.
 *
 * Checksums are found as libext2fs finds them: a leaf's tail only where
 * the rec_len chain lands on it, else the block is read as an index
 * block.
 *
 * e2fsck -n stops at a corrupt entry (it aborts without salvaging); this
 * scrubber reports it and goes on with the next block.
 *
 * In a full pass, what is the directory inode's own fault (no blocks, a
 * hole in its map, INDEX_FL without dir_index) is the inode scrubber's
 * finding; a request for this one directory says it here.  An inode
 * with no links (an unlinked orphan) is not read at all.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "dir.h"
#include "dirhash.h"
#include "dirmap.h"
#include "pass.h"

/* An index entry's block holds the logical block in its low 28 bits. */
#define DX_BLOCK_MASK 0x0fffffffU
/* Last hash an index range can end at (bit 0 is the collision flag). */
#define DX_HASH_END 0xfffffffeU
/* rec_len of the smallest entry e2fsck accepts: a one-byte name. */
#define DIRENT_MIN_REC_LEN 12
/* '.' with more room than this hides space e2fsck would split off. */
#define DOT_MAX_REC_LEN 24
/* Deepest a leaf can be: below the root and two levels of nodes. */
#define DX_MAX_DEPTH 3
/* A callback's "stop this block" (above every enum fsf_bad). */
#define WALK_STOPPED 1000

enum dx_type { DX_NONE, DX_ROOT, DX_LEAF, DX_NODE };

#define DX_REFERENCED 0x1
#define DX_DUP_REF 0x2
#define DX_FIRST 0x4
#define DX_LAST 0x8

/* What the htree check knows of one logical block (e2fsck's
 * dx_dirblock_info).
 */
struct dx_block {
  uint32_t parent;              /* the index block that first names it */
  uint32_t previous;            /* the block its parent names before it */
  uint32_t min_hash, max_hash;  /* of its names, or of its entries */
  uint32_t node_min_hash;       /* the range its parent gives it */
  uint32_t node_max_hash;
  uint8_t type;                 /* enum dx_type */
  uint8_t flags;                /* DX_* */
};

struct dscan {
  struct scrub_ctx *sc;
  const struct fsf_sb *sb;
  uint32_t ino;
  uint32_t group;               /* the directory inode's group */
  struct fsf_inode in;
  struct fsf_dir_fmt fmt;       /* name_len 8 bits + file type, always:
                                 * e2fsck reads entries that way */
  bool filetype;                /* the filesystem's filetype feature */
  struct scrub_dirmap dm;
  uint8_t *buf;                 /* the block being checked, in chunk */

  /* Blocks read ahead: a run of the directory that is contiguous on
   * disk, read at once.
   */
  uint8_t *chunk;
  uint32_t chunk_max;           /* blocks it holds */
  uint64_t chunk_first;         /* physical block at its start */
  uint32_t chunk_len;           /* blocks in it now */

  /* The block being walked. */
  uint32_t lblk;
  uint64_t pblk;
  unsigned dot_state;           /* 0 '.', 1 '..', then 2 */
  struct dx_block *cur;         /* its htree record, or NULL */

  /* htree */
  bool htree;                   /* INDEX_FL: e2fsck -n treats it so */
  bool dx_ok;                   /* the root is sound: check the index */
  int hash_version;
  unsigned levels;              /* indirect_levels */
  uint32_t root_count_offset;   /* 0x18 + info_length, as e2fsck reads */
  struct dx_block *dx;          /* dm.n records */

  /* One group descriptor, cached for entries to unused inodes. */
  uint32_t gd_group;
  bool gd_valid;
  struct fsf_gd gd;

  /* Names seen in this block: (gen << 32 | name_len << 16 | offset). */
  uint64_t *names;
  uint32_t names_mask;
  uint32_t names_gen;
};

/* --- findings --------------------------------------------------------- */

/* How long the well-formed UTF-8 sequence at p (n bytes left) is, or 0. */
static unsigned
utf8_len (const uint8_t *p, unsigned n)
{
  unsigned len, i;

  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    len = 2;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    len = 3;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    len = 4;
  else
    return 0;
  if (len > n)
    return 0;
  for (i = 1; i < len; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return len;
}

/* A name fit for a message (and for JSON): control bytes and bytes that
 * are not UTF-8 shown as '?'.
 */
static void
printable_name (const struct fsf_dirent *de, char *out)
{
  unsigned i = 0, o = 0, n = de->name_len;

  while (i < n) {
    const uint8_t *p = de->name + i;
    unsigned k = *p >= 0x80 ? utf8_len (p, n - i) : 1;

    if (k == 0 || (k == 1 && (*p < 0x20 || *p == 0x7f))) {
      out[o++] = '?';
      i++;
      continue;
    }
    memcpy (out + o, p, k);
    o += k;
    i += k;
  }
  out[o] = '\0';
}

static void
finding (struct dscan *ds, int code, uint64_t block, uint64_t expected,
         uint64_t found, const char *name)
{
  struct scrub_finding f = { code, ds->group, ds->ino, block, expected,
                             found, name };

  chk_set (ds->sc, &f);
}

static void
entry_finding (struct dscan *ds, int code, const struct fsf_dirent *de,
               uint64_t expected, uint64_t found)
{
  char name[FSF_NAME_LEN + 1];

  printable_name (de, name);
  finding (ds, code, ds->pblk, expected, found, name);
}

/* --- one entry ---------------------------------------------------------- */

static bool
name_is (const struct fsf_dirent *de, const char *s)
{
  size_t n = strlen (s);

  return de->name_len == n && memcmp (de->name, s, n) == 0;
}

/* The first entry of block 0 (e2fsck check_dot). */
static void
check_dot (struct dscan *ds, const struct fsf_dirent *de)
{
  /* name[1] lies inside the entry: rec_len is at least 12. */
  if (de->inode == 0 || !name_is (de, ".") || de->name[1] != '\0')
    entry_finding (ds, PR_DIR_NO_DOT, de, 0, de->inode);
  if (de->inode != 0 && de->inode != ds->ino)
    entry_finding (ds, PR_DIR_DOT_INODE, de, ds->ino, de->inode);
  if (de->rec_len > DOT_MAX_REC_LEN)
    entry_finding (ds, PR_DIR_DOT_SPLIT, de, DIRENT_MIN_REC_LEN,
                   de->rec_len);
}

/* The second entry of block 0 (check_dotdot); pass 3 judges its inode. */
static void
check_dotdot (struct dscan *ds, const struct fsf_dirent *de)
{
  if (de->inode == 0 || !name_is (de, "..") || de->name[2] != '\0') {
    entry_finding (ds, PR_DIR_NO_DOTDOT, de, 0, de->inode);
    return;
  }
  scrub_note_dotdot (ds->sc, ds->ino, de->inode);
}

/* May a directory entry name this inode at all?  Reserved inodes other
 * than the root, and the inodes the superblock keeps for itself, not.
 */
static bool
inode_in_range (const struct fsf_sb *sb, uint32_t ino)
{
  if (ino != FSF_ROOT_INO && ino < sb->first_ino)
    return false;
  if (ino > sb->inodes_count)
    return false;
  return ino != sb->usr_quota_inum && ino != sb->grp_quota_inum
    && ino != sb->prj_quota_inum && ino != sb->orphan_file_inum;
}

/* The problem an entry's target has by what it is (e2fsck's chain of
 * else-ifs), or 0.
 */
static int
entry_target_problem (const struct dscan *ds, const struct fsf_dirent *de)
{
  if (ds->dot_state < 2)
    return 0;
  if (name_is (de, "."))
    return PR_DIR_DUP_DOT;
  if (name_is (de, ".."))
    return PR_DIR_DUP_DOTDOT;
  if (de->inode == FSF_ROOT_INO)
    return PR_DIR_LINK_ROOT;
  if (de->name_len == 0)
    return PR_DIR_NULL_NAME;
  return 0;
}

/* An entry names an inode that is not in use: is that because its group
 * says the inode was never initialised (PR_2_INOREF_BG_INO_UNINIT,
 * PR_2_INOREF_IN_UNUSED)?  Returns 0 or a negative errno.
 */
static int
check_unused_target (struct dscan *ds, const struct fsf_dirent *de)
{
  const struct fsf_sb *sb = ds->sb;
  uint32_t g = (de->inode - 1) / sb->inodes_per_group;
  uint64_t first_unused;
  int r;

  if (!ds->gd_valid || ds->gd_group != g) {
    r = fsf_fs_read_gd (ds->sc->fs, g, &ds->gd, NULL);
    if (r < 0)
      return r;
    ds->gd_valid = r == 0;
    ds->gd_group = g;
  }
  first_unused = (uint64_t) g * sb->inodes_per_group + 1
    + sb->inodes_per_group - ds->gd.itable_unused;
  if (ds->gd_valid && ((ds->gd.flags & FSF_BG_INODE_UNINIT)
                       || de->inode >= first_unused)) {
    char name[FSF_NAME_LEN + 1];
    struct scrub_finding f = { PR_DIR_INOREF_UNINIT, g, ds->ino, ds->pblk,
                               0, de->inode, name };

    printable_name (de, name);
    chk_set (ds->sc, &f);
    return 0;
  }
  entry_finding (ds, PR_DIR_UNUSED_INODE, de, 0, de->inode);
  return 0;
}

static void
check_filetype (struct dscan *ds, const struct fsf_dirent *de,
                enum fsf_ftype ftype)
{
  if (!ds->filetype) {
    if (de->file_type != 0)
      entry_finding (ds, PR_DIR_FILETYPE_NO_FEATURE, de, 0, de->file_type);
    return;
  }
  if (de->file_type == ftype)
    return;
  entry_finding (ds, de->file_type == 0 ? PR_DIR_FILETYPE_UNSET
                 : PR_DIR_BAD_FILETYPE, de, ftype, de->file_type);
}

static bool
name_has_bad_byte (const struct fsf_dirent *de)
{
  return memchr (de->name, '/', de->name_len) != NULL
    || memchr (de->name, '\0', de->name_len) != NULL;
}

static uint32_t
name_hash (const struct fsf_dirent *de)
{
  uint32_t h = 2166136261U;
  uint16_t i;

  for (i = 0; i < de->name_len; i++)
    h = (h ^ de->name[i]) * 16777619U;
  return h;
}

/* Has this block named this name before?  Remembers it if not. */
static bool
name_seen (struct dscan *ds, const struct fsf_dirent *de)
{
  uint32_t i = name_hash (de) & ds->names_mask, k;

  for (k = 0; k <= ds->names_mask; k++, i = (i + 1) & ds->names_mask) {
    uint64_t s = ds->names[i];
    uint32_t off = s & 0xffff, len = (s >> 16) & 0xff;

    if ((uint32_t) (s >> 32) != ds->names_gen) {
      ds->names[i] = (uint64_t) ds->names_gen << 32
        | (uint64_t) de->name_len << 16 | de->offset;
      return false;
    }
    if (len == de->name_len
        && memcmp (ds->buf + off + FSF_DIRENT_HEADER, de->name, len) == 0)
      return true;
  }
  return false;
}

/* Forget the names of the last block. */
static void
names_reset (struct dscan *ds)
{
  if (++ds->names_gen == 0) {
    memset (ds->names, 0, ((size_t) ds->names_mask + 1) * sizeof *ds->names);
    ds->names_gen = 1;
  }
}

/* Fold a leaf entry's name hash into its block's range. */
static void
hash_entry (struct dscan *ds, const struct fsf_dirent *de)
{
  uint32_t h;

  if (!ds->dx_ok || ds->cur == NULL || ds->cur->type != DX_LEAF)
    return;
  if (fsf_dirhash (ds->hash_version, de->name, de->name_len,
                   ds->sb->hash_seed, &h, NULL) != 0)
    return;
  if (h < ds->cur->min_hash)
    ds->cur->min_hash = h;
  if (h > ds->cur->max_hash)
    ds->cur->max_hash = h;
}

/* Everything about a live entry after '.'/'..' shape: its inode. */
static int
check_target (struct dscan *ds, const struct fsf_dirent *de)
{
  enum fsf_ftype ftype;
  bool used;
  int code, r;

  if (!inode_in_range (ds->sb, de->inode)) {
    entry_finding (ds, PR_DIR_BAD_INODE, de, 0, de->inode);
    return 0;
  }
  code = entry_target_problem (ds, de);
  if (code)
    entry_finding (ds, code, de, 0, de->inode);
  r = scrub_inode_lookup (ds->sc, de->inode, &used, &ftype);
  if (r < 0)
    return r;
  if (!used) {
    r = check_unused_target (ds, de);
    if (r < 0)
      return r;
  }
  else
    check_filetype (ds, de, ftype);
  if (name_has_bad_byte (de))
    entry_finding (ds, PR_DIR_BAD_NAME, de, 0, de->inode);
  hash_entry (ds, de);
  if (ds->dot_state >= 2 && scrub_note_dirent (ds->sc, ds->ino, de->inode))
    entry_finding (ds, PR_DIR_LINK_DIR, de, 0, de->inode);
  if (name_seen (ds, de))
    entry_finding (ds, PR_DIR_DUP_NAME, de, 0, de->inode);
  return 0;
}

/* fsf_dir_block_iterate's callback: one entry, unused ones included. */
static int
dir_entry (const struct fsf_dirent *de, void *opaque)
{
  struct dscan *ds = opaque;
  int r = 0;

  if (de->rec_len < DIRENT_MIN_REC_LEN) {
    entry_finding (ds, PR_DIR_REC_LEN_SMALL, de, de->offset, de->rec_len);
    return WALK_STOPPED;
  }
  if (ds->dot_state == 0)
    check_dot (ds, de);
  else if (ds->dot_state == 1)
    check_dotdot (ds, de);
  else if (de->inode == ds->ino)
    entry_finding (ds, PR_DIR_LINK_DOT, de, 0, de->inode);
  if (de->inode != 0)
    r = check_target (ds, de);
  ds->dot_state++;
  return r;
}

/* The walk stopped at a malformed entry at off: name its fault. */
static void
bad_entry (struct dscan *ds, const struct fsf_dir_fmt *fmt, uint32_t off)
{
  uint32_t end = fmt->csum ? fmt->block_size - FSF_DIR_TAIL_SIZE
    : fmt->block_size;
  struct fsf_dirent de;

  if (off >= end || end - off < FSF_DIRENT_HEADER) {
    finding (ds, PR_DIR_REC_LEN_PAST_END, ds->pblk, off, end - off, NULL);
    return;
  }
  fsf_dirent_decode (ds->buf, fmt->block_size, off, end, fmt, &de);
  if (de.rec_len < DIRENT_MIN_REC_LEN)
    finding (ds, PR_DIR_REC_LEN_SMALL, ds->pblk, off, de.rec_len, NULL);
  else if (de.rec_len & 3)
    finding (ds, PR_DIR_REC_LEN_ALIGN, ds->pblk, off, de.rec_len, NULL);
  else if (de.rec_len > end - off)
    finding (ds, PR_DIR_REC_LEN_PAST_END, ds->pblk, off, de.rec_len, NULL);
  else
    finding (ds, PR_DIR_NAME_LEN, ds->pblk, off, de.name_len, NULL);
}

/* Walk the entries of the block in ds->buf, to end - 12 when it carries
 * a checksum tail.  Returns 0 or a negative errno.
 */
static int
walk_entries (struct dscan *ds, bool tail)
{
  struct fsf_dir_fmt fmt = ds->fmt;
  uint32_t bad_off = 0;
  int r;

  fmt.csum = tail;
  ds->dot_state = ds->lblk == 0 ? 0 : 2;
  names_reset (ds);
  r = fsf_dir_block_iterate (ds->buf, fmt.block_size, &fmt, dir_entry, ds,
                             &bad_off);
  if (r < 0)
    return r;
  if (r > 0 && r != WALK_STOPPED)
    bad_entry (ds, &fmt, bad_off);
  return 0;
}

/* --- htree ----------------------------------------------------------- */

/* The root's info, as pass 1 (handle_htree) and pass 2 check it.  Sets
 * dx_ok when the index can be followed.
 */
static void
check_dx_root (struct dscan *ds)
{
  struct fsf_dx_block root;
  unsigned max_levels = ds->fmt.large_dir ? 3 : 2;

  /* The decoder fills the root info before judging it; the verdicts
   * here are e2fsck's, field by field.
   */
  fsf_dx_root_decode (ds->buf, ds->fmt.block_size, &ds->fmt, &root);
  ds->dx_ok = false;
  if (root.reserved_zero != 0 || root.info_length < FSF_DX_ROOT_INFO_LEN) {
    finding (ds, PR_DIR_DX_ROOT_BAD, ds->pblk, 0, root.info_length,
             NULL);
    ds->dx[0].type = DX_ROOT;
    return;
  }
  ds->dx[0].type = DX_ROOT;
  if (root.hash_version > FSF_HASH_TEA)
    finding (ds, PR_DIR_DX_HASH_VERSION, ds->pblk, 0, root.hash_version,
             NULL);
  else if (root.unused_flags & 1)
    finding (ds, PR_DIR_DX_INCOMPAT, ds->pblk, 0, root.unused_flags, NULL);
  else if (root.indirect_levels >= max_levels)
    finding (ds, PR_DIR_DX_DEPTH, ds->pblk, max_levels - 1,
             root.indirect_levels, NULL);
  else {
    ds->dx_ok = true;
    ds->hash_version = fsf_dirhash_version (root.hash_version,
                                            ds->sb->flags);
    ds->levels = root.indirect_levels;
    /* Where the entries start follows info_length, as in e2fsck. */
    ds->root_count_offset = 0x18 + root.info_length;
  }
}

/* An index block's entries (e2fsck parse_int_node). */
static void
parse_index (struct dscan *ds, uint32_t count_offset)
{
  struct fsf_dx_block dxb = { .count_offset = count_offset };
  uint32_t expect = fsf_dx_limit (&ds->fmt, count_offset);
  uint32_t min_hash = UINT32_MAX, max_hash = 0, hash = 0, prev_hash;
  bool bad_block = false, bad_order = false;
  uint16_t limit, count;
  unsigned i;

  fsf_dx_countlimit_get (ds->buf, count_offset, &limit, &count);
  if (limit != expect)
    finding (ds, PR_DIR_DX_LIMIT, ds->pblk, expect, limit, NULL);
  if (count > expect) {
    finding (ds, PR_DIR_DX_COUNT, ds->pblk, expect, count, NULL);
    count = (uint16_t) expect;
  }
  dxb.count = count;
  for (i = 0; i < count; i++) {
    struct fsf_dx_entry e, next;
    struct dx_block *child;
    uint32_t blk;

    fsf_dx_entry_get (ds->buf, &dxb, i, &e);
    prev_hash = hash;
    hash = e.hash & ~1U;
    blk = e.block & DX_BLOCK_MASK;
    if (blk >= ds->dm.n) {
      if (!bad_block)
        finding (ds, PR_DIR_DX_BAD_BLOCK, ds->pblk, ds->dm.n, blk, NULL);
      bad_block = true;
      continue;
    }
    if (hash < prev_hash && !bad_order) {
      finding (ds, PR_DIR_DX_HASH_ORDER, ds->pblk, prev_hash, hash, NULL);
      bad_order = true;
    }
    child = &ds->dx[blk];
    if (child->flags & DX_REFERENCED)
      child->flags |= DX_DUP_REF;
    else {
      child->flags |= DX_REFERENCED;
      child->parent = ds->lblk;
    }
    child->previous = 0;
    if (i > 0) {
      struct fsf_dx_entry prev;

      fsf_dx_entry_get (ds->buf, &dxb, i - 1, &prev);
      if ((prev.block & DX_BLOCK_MASK) < ds->dm.n)
        child->previous = prev.block & DX_BLOCK_MASK;
    }
    if (hash < min_hash)
      min_hash = hash;
    if (hash > max_hash)
      max_hash = hash;
    child->node_min_hash = hash;
    if (i + 1 < count) {
      fsf_dx_entry_get (ds->buf, &dxb, i + 1, &next);
      child->node_max_hash = next.hash & ~1U;
    }
    else {
      child->node_max_hash = DX_HASH_END;
      child->flags |= DX_LAST;
    }
    if (i == 0)
      child->flags |= DX_FIRST;
  }
  ds->cur->min_hash = min_hash;
  ds->cur->max_hash = max_hash;
}

/* Is the block in ds->buf shaped like a dx node (e2fsck's test)? */
static bool
looks_like_node (const struct dscan *ds)
{
  uint32_t bs = ds->fmt.block_size;
  struct fsf_dirent de;
  uint16_t limit, count;

  fsf_dirent_decode (ds->buf, bs, 0, bs, &ds->fmt, &de);
  fsf_dx_countlimit_get (ds->buf, FSF_DX_NODE_COUNT_OFFSET, &limit, &count);
  return de.inode == 0 && de.rec_len == bs && de.name_len == 0
    && limit == fsf_dx_limit (&ds->fmt, FSF_DX_NODE_COUNT_OFFSET);
}

/* Copy the first and last children's hashes up to their parents (e2fsck
 * update_parents).
 */
static void
update_parents (struct dscan *ds, enum dx_type type)
{
  uint32_t b;

  for (b = 0; b < ds->dm.n; b++) {
    struct dx_block *d = &ds->dx[b], *p = &ds->dx[d->parent];

    if (d->type != type)
      continue;
    if (d->flags & DX_FIRST) {
      p->min_hash = d->min_hash;
      if (p->previous)
        ds->dx[p->previous].node_max_hash = p->min_hash;
    }
    if (d->flags & DX_LAST)
      p->max_hash = d->max_hash;
  }
}

/* How many parents up the root is; the walk is bounded, a cycle in the
 * parent links ends at the bound.
 */
static unsigned
leaf_depth (const struct dscan *ds, uint32_t b)
{
  unsigned depth = 0;

  while (ds->dx[b].type != DX_ROOT && depth <= DX_MAX_DEPTH) {
    b = ds->dx[b].parent;
    depth++;
  }
  return depth;
}

/* Once every block is read: each against its index range, its depth,
 * and how often the index names it.
 */
static void
check_dx_tree (struct dscan *ds)
{
  uint32_t b;

  if (!ds->dx_ok)
    return;
  if (ds->dx[0].flags & DX_REFERENCED)
    ds->dx[0].flags |= DX_DUP_REF;
  else
    ds->dx[0].flags |= DX_REFERENCED;
  update_parents (ds, DX_LEAF);
  update_parents (ds, DX_NODE);
  for (b = 0; b < ds->dm.n; b++) {
    const struct dx_block *d = &ds->dx[b];
    uint64_t pblk = ds->dm.map[b];

    if (d->type == DX_NONE)
      continue;
    if (!(d->flags & DX_FIRST) && d->min_hash < d->node_min_hash)
      finding (ds, PR_DIR_DX_MIN_HASH, pblk, d->node_min_hash, d->min_hash,
               NULL);
    if (d->type == DX_LEAF && leaf_depth (ds, b) != ds->levels + 1)
      finding (ds, PR_DIR_DX_LEAF_DEPTH, pblk, ds->levels + 1,
               leaf_depth (ds, b), NULL);
    if (b != 0 && d->max_hash > d->node_max_hash)
      finding (ds, PR_DIR_DX_MAX_HASH, pblk, d->node_max_hash, d->max_hash,
               NULL);
    if (!(d->flags & DX_REFERENCED))
      finding (ds, PR_DIR_DX_NOTREF, pblk, 0, b, NULL);
    else if (d->flags & DX_DUP_REF)
      finding (ds, PR_DIR_DX_DUPREF, pblk, 0, b, NULL);
  }
}

/* --- one block --------------------------------------------------------- */

/* Where a block's checksum is, as libext2fs finds it
 * (__get_dirent_tail): the entries' rec_len chain must land exactly on
 * a well-formed tail.  The tail's bytes alone do not make one: the
 * kernel leaves a leaf's old tail behind in the block it turns into the
 * htree root, where the chain runs to the block's end.
 */
enum tail_state { TAIL_OK, TAIL_NONE, TAIL_CORRUPT };

static enum tail_state
dirent_tail (const struct dscan *ds)
{
  uint32_t bs = ds->fmt.block_size, top = bs - FSF_DIR_TAIL_SIZE, off = 0;

  /* Each step is at least 8 bytes: at most bs / 8 of them. */
  while (off < top) {
    struct fsf_dirent de;

    /* The decoder fills rec_len whatever it thinks of the entry. */
    fsf_dirent_decode (ds->buf, bs, off, bs, &ds->fmt, &de);
    if (de.rec_len < FSF_DIRENT_HEADER || (de.rec_len & 3))
      return TAIL_CORRUPT;
    off += de.rec_len;
  }
  if (off > bs)
    return TAIL_CORRUPT;
  if (off != top || !fsf_dir_tail_present (ds->buf, bs, bs))
    return TAIL_NONE;
  return TAIL_OK;
}

/* Does the block fail its checksum, the way libext2fs reads it: by its
 * tail when it has one, else as an index block?
 */
static bool
block_csum_fails (const struct dscan *ds, enum tail_state tail)
{
  uint32_t bs = ds->fmt.block_size, gen = ds->in.generation;

  if (!ds->fmt.csum)
    return false;
  if (tail == TAIL_OK)
    return !fsf_dir_block_csum_verify (&ds->fmt, ds->ino, gen, ds->buf, bs);
  return !fsf_dx_csum_verify (&ds->fmt, ds->ino, gen, ds->buf, bs);
}

static int
check_block (struct dscan *ds)
{
  uint32_t bs = ds->fmt.block_size;
  enum tail_state tail = ds->fmt.csum ? dirent_tail (ds) : TAIL_NONE;
  bool failed = block_csum_fails (ds, tail);
  enum dx_type type = DX_LEAF;

  ds->cur = NULL;
  if (ds->htree) {
    ds->cur = &ds->dx[ds->lblk];
    if (ds->lblk == 0)
      check_dx_root (ds);
    else if (looks_like_node (ds))
      ds->cur->type = DX_NODE;
    else
      ds->cur->type = DX_LEAF;
    ds->cur->min_hash = UINT32_MAX;
    ds->cur->max_hash = 0;
    type = ds->cur->type;
  }
  if (type != DX_LEAF) {
    if (failed)
      finding (ds, PR_DIR_DX_CSUM, ds->pblk, 0, 0, NULL);
    /* The root's '.' and '..' are entries; a node's one empty entry
     * holds nothing to check.
     */
    if (type == DX_ROOT) {
      int r = walk_entries (ds, false);

      if (r < 0)
        return r;
    }
    if (ds->dx_ok)
      parse_index (ds, type == DX_ROOT ? ds->root_count_offset
                   : FSF_DX_NODE_COUNT_OFFSET);
    return 0;
  }
  if (ds->fmt.csum && tail == TAIL_NONE)
    finding (ds, PR_DIR_LEAF_NO_TAIL, ds->pblk, 0, 0, NULL);
  else if (failed && tail == TAIL_OK) {
    uint32_t c = 0;

    fsf_dir_block_csum (&ds->fmt, ds->ino, ds->in.generation, ds->buf, bs,
                        &c);
    finding (ds, PR_DIR_LEAF_CSUM, ds->pblk, c, fsf_le32 (ds->buf + bs - 4),
             NULL);
  }
  /* A broken chain is walked to where the tail should be, and found. */
  return walk_entries (ds, ds->fmt.csum && tail != TAIL_NONE
                       && fsf_dir_tail_present (ds->buf, bs, bs));
}

/* --- the directory ---------------------------------------------------- */

/* Most bytes read at once: directories are mostly contiguous. */
#define READ_AHEAD_BYTES (256 * 1024)

/* Point ds->buf at block ds->pblk (logical ds->lblk), reading it and as
 * many of the blocks after it as follow it on disk.  Returns 0 or a
 * negative errno.
 */
static int
load_block (struct dscan *ds)
{
  const struct fsf_sb *sb = ds->sb;
  uint32_t k = 1;
  int r;

  if (ds->chunk_len && ds->pblk >= ds->chunk_first
      && ds->pblk - ds->chunk_first < ds->chunk_len) {
    ds->buf = ds->chunk + (ds->pblk - ds->chunk_first) * sb->block_size;
    return 0;
  }
  while (k < ds->chunk_max && ds->lblk + k < ds->dm.n
         && ds->dm.map[ds->lblk + k] == ds->pblk + k
         && ds->pblk + k < sb->blocks_count)
    k++;
  ds->chunk_len = 0;
  r = fsf_read (&ds->sc->fs->src, ds->chunk, (size_t) k * sb->block_size,
                ds->pblk * sb->block_size);
  if (r < 0)
    return r;
  ds->chunk_first = ds->pblk;
  ds->chunk_len = k;
  ds->buf = ds->chunk;
  return 0;
}

static int
scan_blocks (struct dscan *ds)
{
  const struct fsf_sb *sb = ds->sb;
  bool in_hole = false;
  int r;

  for (ds->lblk = 0; ds->lblk < ds->dm.n; ds->lblk++) {
    ds->pblk = ds->dm.map[ds->lblk];
    if (ds->pblk == 0) {
      /* e2fsck pass 2 offers to allocate each missing block.  In a full
       * pass the map's scrubber has said so (PR_MAP_DIR_HOLE).
       */
      if (!in_hole && ds->sc->pass == NULL)
        finding (ds, PR_DIR_HOLE, 0, 0, ds->lblk, NULL);
      in_hole = true;
      if (ds->lblk == 0 && ds->htree)
        finding (ds, PR_DIR_DX_ROOT_BAD, 0, 0, 0, NULL);
      continue;
    }
    in_hole = false;
    /* A block outside the filesystem is the map's finding. */
    if (ds->pblk < sb->first_data_block || ds->pblk >= sb->blocks_count)
      continue;
    r = load_block (ds);
    if (r < 0)
      return r;
    r = check_block (ds);
    if (r < 0)
      return r;
  }
  check_dx_tree (ds);
  return 0;
}

static int
setup (struct dscan *ds)
{
  uint32_t bs = ds->sb->block_size, slots = 16;

  ds->chunk_max = READ_AHEAD_BYTES / bs;
  if (ds->chunk_max == 0)
    ds->chunk_max = 1;
  if (ds->chunk_max > ds->dm.n)
    ds->chunk_max = ds->dm.n;
  ds->chunk = malloc ((size_t) ds->chunk_max * bs);
  while (slots < 2 * (bs / DIRENT_MIN_REC_LEN + 1))
    slots *= 2;
  ds->names = calloc (slots, sizeof *ds->names);
  ds->names_mask = slots - 1;
  if (ds->htree)
    ds->dx = calloc (ds->dm.n, sizeof *ds->dx);
  if (ds->chunk == NULL || ds->names == NULL
      || (ds->htree && ds->dx == NULL))
    return -ENOMEM;
  return 0;
}

static int
scrub_directory (struct scrub_ctx *sc)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct dscan ds;
  int r;

  memset (&ds, 0, sizeof ds);
  ds.sc = sc;
  ds.sb = sb;
  ds.ino = sc->req.ino;
  ds.group = (ds.ino - 1) / sb->inodes_per_group;
  r = fsf_fs_read_inode (sc->fs, ds.ino, &ds.in, NULL);
  if (r != 0)
    return r < 0 ? r : 0;           /* undecodable: the inode's finding */
  /* Not a directory in use, or inline data: nothing of ours to read. */
  if (fsf_inode_ftype (ds.in.mode) != FSF_FT_DIR || ds.in.links_count == 0
      || (ds.in.flags & FSF_INLINE_DATA_FL))
    return 0;
  fsf_dir_fmt_init (&ds.fmt, sb);
  ds.filetype = ds.fmt.filetype;
  ds.fmt.filetype = true;
  r = scrub_dirmap_read (sc->fs, ds.ino, &ds.in, &ds.dm);
  if (r < 0)
    return r;
  /* These two are the inode's own faults: in a full pass the inode
   * scrubber reports them (PR_INODE_ZERO_LENGTH_DIR,
   * PR_INODE_HTREE_FEATURE); a request for this directory alone says
   * them here.
   */
  if (ds.dm.mapped == 0) {
    if (sc->pass == NULL)
      finding (&ds, PR_DIR_NO_BLOCKS, 0, 0, 0, NULL);
    goto out;
  }
  /* e2fsck -n keeps treating an INDEX_FL directory as indexed. */
  ds.htree = (ds.in.flags & FSF_INDEX_FL) != 0;
  if (ds.htree && !fsf_has_compat (sb, FSF_COMPAT_DIR_INDEX)
      && sc->pass == NULL)
    finding (&ds, PR_DIR_HTREE_NO_FEATURE, 0, 0, 0, NULL);
  r = setup (&ds);
  if (r == 0)
    r = scan_blocks (&ds);
 out:
  free (ds.chunk);
  free (ds.names);
  free (ds.dx);
  scrub_dirmap_free (&ds.dm);
  return r;
}

const struct scrub_ops scrub_directory_ops = {
  .scope = SCRUB_SCOPE_INODE,
  .scrub = scrub_directory,
};
