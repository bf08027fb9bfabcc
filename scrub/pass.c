/* nbdscrub: a full pass and the cross-reference state (see pass.h).
 *
 * The phases run the per-object scrubbers in the order e2fsck's passes
 * would look at the same things, so that what one phase learns (who owns
 * each block, which inodes are in use, each directory's parent) is there
 * for the next to cross-reference.  The space phase is this file's own:
 * it compares what the inodes and group metadata own with the on-disk
 * bitmaps and the group counts, as e2fsck pass 5 does, reading an
 * uninitialised bitmap the way libext2fs does (zeroes, plus the metadata
 * of BLOCK_UNINIT groups).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytes.h"
#include "pass.h"

const char *const scrub_phase_names[SCRUB_PHASE_NR] = {
  [SCRUB_PHASE_SUPER] = "superblock",
  [SCRUB_PHASE_GROUPS] = "groups",
  [SCRUB_PHASE_INODES] = "inodes",
  [SCRUB_PHASE_DIRS] = "directories",
  [SCRUB_PHASE_LINKS] = "links",
  [SCRUB_PHASE_SPACE] = "space",
  [SCRUB_PHASE_JOURNAL] = "journal",
};

/* A shared xattr block: how often it was referenced, what it says. */
struct scrub_xref_ea {
  uint64_t blk;
  uint32_t refcount;
  uint32_t seen;
  uint32_t first_ino;
};

/* How many inode-table bytes the inode phase reads at a time. */
#define ITABLE_CHUNK (256 * 1024)

static bool
has_group_csum (const struct fsf_sb *sb)
{
  return fsf_has_metadata_csum (sb)
    || fsf_has_ro_compat (sb, FSF_RO_COMPAT_GDT_CSUM);
}

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static void
progress (struct scrub_pass *p, enum scrub_phase ph, uint64_t done,
          uint64_t total)
{
  if (p->progress)
    p->progress (p->progress_opaque, ph, done, total);
}

/* Between two objects: the owner may pause the pass, or stop it. */
static int
step (struct scrub_pass *p)
{
  return p->step ? p->step (p->step_opaque) : 0;
}

int
scrub_pass_init (struct scrub_pass *p, struct fsf_fs *fs,
                 scrub_report_fn report, void *opaque,
                 scrub_progress_fn progress_fn, void *progress_opaque)
{
  uint32_t groups = fs->sb.groups_count;

  memset (p, 0, sizeof *p);
  p->fs = fs;
  p->report = report;
  p->opaque = opaque;
  p->progress = progress_fn;
  p->progress_opaque = progress_opaque;
  p->owned = calloc (groups, sizeof *p->owned);
  p->inodes = calloc (groups, sizeof *p->inodes);
  p->group_health = calloc (groups, 1);
  if (!p->owned || !p->inodes || !p->group_health) {
    scrub_pass_free (p);
    return -ENOMEM;
  }
  return 0;
}

void
scrub_pass_free (struct scrub_pass *p)
{
  uint32_t g;

  if (p->fs) {
    for (g = 0; g < p->fs->sb.groups_count; g++) {
      if (p->owned)
        free (p->owned[g]);
      if (p->inodes)
        free (p->inodes[g]);
    }
  }
  free (p->owned);
  free (p->inodes);
  free (p->group_health);
  free (p->eas);
  free (p->dirs);
  free (p->orphans);
  memset (p, 0, sizeof *p);
}

/* --- block ownership -------------------------------------------------- */

/* The ownership bits of the group holding blk, allocated on first use;
 * *bit gets blk's bit in it.  NULL: blk is outside the filesystem, or
 * out of memory (*err).
 */
static uint8_t *
owned_bits (struct scrub_pass *p, uint64_t blk, uint32_t *bit, bool alloc,
            int *err)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint64_t rel;
  uint32_t g;

  *err = 0;
  if (blk < sb->first_data_block || blk >= sb->blocks_count)
    return NULL;
  rel = blk - sb->first_data_block;
  g = rel / sb->blocks_per_group;
  if (g >= sb->groups_count)
    return NULL;
  *bit = rel % sb->blocks_per_group;
  if (p->owned[g] == NULL && alloc) {
    p->owned[g] = calloc (1, (sb->blocks_per_group + 7) / 8);
    if (p->owned[g] == NULL)
      *err = -ENOMEM;
  }
  return p->owned[g];
}

bool
scrub_pass_owned (const struct scrub_pass *p, uint64_t blk)
{
  uint32_t bit;
  int err;
  uint8_t *bm = owned_bits ((struct scrub_pass *) p, blk, &bit, false,
                            &err);

  return bm && (bm[bit / 8] & (1U << (bit % 8)));
}

/* Claim [blk, blk + count); returns how many were owned already (the
 * first in *dup), or a negative errno.
 */
static int64_t
claim (struct scrub_pass *p, uint64_t blk, uint64_t count, uint64_t *dup)
{
  int64_t dups = 0;
  uint64_t i;

  for (i = 0; i < count; i++) {
    uint32_t bit;
    int err;
    uint8_t *bm = owned_bits (p, blk + i, &bit, true, &err);

    if (err)
      return err;
    if (bm == NULL)
      continue;
    if (bm[bit / 8] & (1U << (bit % 8))) {
      if (dups++ == 0)
        *dup = blk + i;
      continue;
    }
    bm[bit / 8] |= 1U << (bit % 8);
    p->blocks_claimed++;
  }
  return dups;
}

int
scrub_claim_blocks (struct scrub_ctx *sc, uint32_t ino, uint64_t blk,
                    uint64_t count)
{
  uint64_t dup = 0;
  int64_t n;
  uint32_t g = 0;

  if (sc->pass == NULL)
    return 0;
  n = claim (sc->pass, blk, count, &dup);
  if (n < 0)
    return (int) n;
  if (n > 0) {
    fsf_group_of_block (&sc->fs->sb, dup, &g);
    chk_set_corrupt (sc, PR_BBITMAP_MULTIPLY_CLAIMED, g, ino, dup, 0,
                     (uint64_t) n);
  }
  return 0;
}

void
scrub_note_file_data (struct scrub_ctx *sc, uint32_t ino, uint64_t blk,
                      uint64_t count)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct scrub_pass *p = sc->pass;

  if (p == NULL || p->data == NULL || ino < sb->first_ino
      || ino == sb->journal_inum || ino == sb->orphan_file_inum)
    return;
  p->data (p->data_opaque, blk, count);
}

/* The xattr-block table is open-addressed on the block number. */
static size_t
ea_slot (const struct scrub_pass *p, uint64_t blk)
{
  size_t i = (size_t) ((blk * 0x9e3779b97f4a7c15ULL) >> 17)
    & (p->eas_alloc - 1);

  while (p->eas[i].blk != 0 && p->eas[i].blk != blk)
    i = (i + 1) & (p->eas_alloc - 1);
  return i;
}

static int
ea_grow (struct scrub_pass *p)
{
  struct scrub_xref_ea *old = p->eas;
  size_t n = p->eas_alloc, i;

  p->eas_alloc = n ? n * 2 : 64;
  p->eas = calloc (p->eas_alloc, sizeof *p->eas);
  if (p->eas == NULL) {
    p->eas = old;
    p->eas_alloc = n;
    return -ENOMEM;
  }
  for (i = 0; i < n; i++)
    if (old[i].blk)
      p->eas[ea_slot (p, old[i].blk)] = old[i];
  free (old);
  return 0;
}

int
scrub_claim_xattr_block (struct scrub_ctx *sc, uint32_t ino, uint64_t blk,
                         uint32_t refcount)
{
  struct scrub_pass *p = sc->pass;
  size_t i;
  int r;

  if (p == NULL || blk == 0)
    return 0;
  if ((p->neas + 1) * 2 > p->eas_alloc && (r = ea_grow (p)) < 0)
    return r;
  i = ea_slot (p, blk);
  if (p->eas[i].blk == blk) {
    if (p->eas[i].seen < UINT32_MAX)
      p->eas[i].seen++;
    return 0;
  }
  p->eas[i].blk = blk;
  p->eas[i].refcount = refcount;
  p->eas[i].seen = 1;
  p->eas[i].first_ino = ino;
  p->neas++;
  return scrub_claim_blocks (sc, ino, blk, 1);
}

/* --- inodes and directories ------------------------------------------ */

struct scrub_istate *
scrub_pass_istate (struct scrub_pass *p, uint32_t ino)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint32_t g;

  if (ino == 0 || ino > sb->inodes_count)
    return NULL;
  g = (ino - 1) / sb->inodes_per_group;
  if (g >= sb->groups_count || p->inodes[g] == NULL)
    return NULL;
  return &p->inodes[g][(ino - 1) % sb->inodes_per_group];
}

struct scrub_dirinfo *
scrub_pass_dirinfo (struct scrub_pass *p, uint32_t ino)
{
  size_t lo = 0, hi = p->ndirs;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;

    if (p->dirs[mid].ino == ino)
      return &p->dirs[mid];
    if (p->dirs[mid].ino < ino)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

int
scrub_note_inode (struct scrub_ctx *sc, uint32_t ino, uint16_t mode,
                  uint16_t links_count)
{
  struct scrub_pass *p = sc->pass;
  const struct fsf_sb *sb;
  struct scrub_istate *is;
  enum fsf_ftype ftype;
  bool new_dir;
  uint32_t g;

  if (p == NULL)
    return 0;
  sb = &p->fs->sb;
  if (ino == 0 || ino > sb->inodes_count)
    return -EINVAL;
  g = (ino - 1) / sb->inodes_per_group;
  if (p->inodes[g] == NULL) {
    p->inodes[g] = calloc (sb->inodes_per_group, sizeof *p->inodes[g]);
    if (p->inodes[g] == NULL)
      return -ENOMEM;
  }
  is = &p->inodes[g][(ino - 1) % sb->inodes_per_group];
  ftype = fsf_inode_ftype (mode);
  /* Directories come in inode order (the list is bisected); a note out
   * of order is refused before it changes anything.
   */
  new_dir = ftype == FSF_FT_DIR && scrub_pass_dirinfo (p, ino) == NULL;
  if (new_dir && p->ndirs && p->dirs[p->ndirs - 1].ino >= ino)
    return -EINVAL;
  if (!(is->flags & SCRUB_ISTATE_USED))
    p->inodes_used++;
  is->flags |= SCRUB_ISTATE_USED;
  is->links = links_count;
  is->ftype = ftype;
  if (new_dir) {
    if (p->ndirs == p->dirs_alloc) {
      size_t n = p->dirs_alloc ? p->dirs_alloc * 2 : 256;
      struct scrub_dirinfo *d = realloc (p->dirs, n * sizeof *d);

      if (d == NULL)
        return -ENOMEM;
      p->dirs = d;
      p->dirs_alloc = n;
    }
    p->dirs[p->ndirs++] = (struct scrub_dirinfo) { ino, 0, 0 };
  }
  return 0;
}

void
scrub_note_badmap (struct scrub_ctx *sc, uint32_t ino)
{
  struct scrub_istate *is;

  if (sc->pass && (is = scrub_pass_istate (sc->pass, ino)) != NULL)
    is->flags |= SCRUB_ISTATE_BADMAP;
}

int
scrub_note_dirent (struct scrub_ctx *sc, uint32_t dir, uint32_t ino)
{
  struct scrub_istate *is;
  struct scrub_dirinfo *di;

  if (sc->pass == NULL || (is = scrub_pass_istate (sc->pass, ino)) == NULL)
    return 0;
  if (is->refs < UINT16_MAX)
    is->refs++;
  if (is->ftype != FSF_FT_DIR
      || (di = scrub_pass_dirinfo (sc->pass, ino)) == NULL)
    return 0;
  if (di->parent != 0)
    return 1;
  di->parent = dir;
  return 0;
}

void
scrub_note_dotdot (struct scrub_ctx *sc, uint32_t dir, uint32_t parent)
{
  struct scrub_dirinfo *di;

  if (sc->pass && (di = scrub_pass_dirinfo (sc->pass, dir)) != NULL)
    di->dotdot = parent;
}

bool
scrub_pass_orphan (const struct scrub_pass *p, uint32_t ino)
{
  size_t lo = 0, hi = p->norphans;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;

    if (p->orphans[mid] == ino)
      return true;
    if (p->orphans[mid] < ino)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

int
scrub_inode_lookup (struct scrub_ctx *sc, uint32_t ino, bool *used,
                    enum fsf_ftype *ftype)
{
  struct fsf_inode inode;
  int r;

  *used = false;
  *ftype = FSF_FT_UNKNOWN;
  if (ino == 0 || ino > sc->fs->sb.inodes_count)
    return 0;
  if (sc->pass) {
    struct scrub_istate *is = scrub_pass_istate (sc->pass, ino);

    if (is && (is->flags & SCRUB_ISTATE_USED)) {
      *used = true;
      *ftype = is->ftype;
    }
    return 0;
  }
  r = fsf_fs_read_inode (sc->fs, ino, &inode, NULL);
  if (r < 0)
    return r;
  if (r == 0 && inode.links_count != 0) {
    *used = true;
    *ftype = fsf_inode_ftype (inode.mode);
  }
  return 0;
}

/* --- running requests ------------------------------------------------- */

/* Every finding of the pass comes through here: counted, health set,
 * then handed on.
 */
static void
pass_report (void *opaque, const struct scrub_ctx *sc,
             const struct scrub_finding *f)
{
  struct scrub_pass *p = opaque;
  const struct scrub_problem *pr = scrub_problem (f->code);
  enum scrub_severity sev = pr ? pr->severity : SEV_CORRUPT;
  struct scrub_istate *is;

  p->problems[sev]++;
  if (sev == SEV_CORRUPT || sev == SEV_XCORRUPT) {
    if (f->group < p->fs->sb.groups_count)
      p->group_health[f->group] |= SCRUB_GHEALTH_SICK;
    if (f->ino && (is = scrub_pass_istate (p, f->ino)) != NULL)
      is->flags |= SCRUB_ISTATE_SICK;
  }
  if (p->report)
    p->report (p->opaque, sc, f);
}

int
scrub_pass_request (struct scrub_pass *p, enum scrub_type type,
                    uint32_t group, uint32_t ino, const uint8_t *raw_inode)
{
  struct scrub_request req = { type, group, ino, 0, 0 };
  struct scrub_type_stats *st = &p->stats[type];
  struct scrub_ctx sc;
  uint64_t t0 = now_ns ();
  int r;

  memset (&sc, 0, sizeof sc);
  sc.fs = p->fs;
  sc.req = req;
  sc.pass = p;
  sc.inode_raw = raw_inode;
  sc.report = pass_report;
  sc.opaque = p;
  r = scrub_validate (p->fs, &req, true);
  if (r < 0)
    return r;
  r = scrub_ops[type]->scrub (&sc);
  st->runs++;
  st->time_ns += now_ns () - t0;
  if (sc.oflags & (SCRUB_OFLAG_CORRUPT | SCRUB_OFLAG_XCORRUPT))
    st->corrupt++;
  else if (sc.oflags & SCRUB_OFLAG_PREEN)
    st->preen++;
  else if (sc.oflags & SCRUB_OFLAG_WARNING)
    st->warning++;
  else
    st->clean++;
  return r;
}

/* Run type over the object if this version and this filesystem have it;
 * a missing scrubber is skipped, an operational error returned.
 */
static int
maybe_request (struct scrub_pass *p, enum scrub_type type, uint32_t group,
               uint32_t ino, const uint8_t *raw)
{
  int r = step (p);

  if (r < 0)
    return r;
  r = scrub_pass_request (p, type, group, ino, raw);

  return r == -ENOENT ? 0 : r;
}

/* --- the phases ------------------------------------------------------- */

/* Group g's own metadata as runs of blocks {first, count}: its
 * superblock and descriptor copies, its block bitmap, its inode bitmap
 * and its inode table (a run of 0 where the descriptor names none).
 */
#define GROUP_META_RUNS 4

static void
group_meta_runs (const struct fsf_sb *sb, const struct fsf_gd *gd,
                 uint32_t g, uint64_t runs[GROUP_META_RUNS][2])
{
  runs[0][0] = fsf_sb_group_first_block (sb, g);
  runs[0][1] = fsf_group_meta_blocks (sb, g);
  runs[1][0] = gd->block_bitmap;
  runs[1][1] = gd->block_bitmap ? 1 : 0;
  runs[2][0] = gd->inode_bitmap;
  runs[2][1] = gd->inode_bitmap ? 1 : 0;
  runs[3][0] = gd->inode_table;
  runs[3][1] = gd->inode_table ? sb->itable_blocks : 0;
}

static void pass_finding (struct scrub_pass *p, enum scrub_type type,
                          int code, uint32_t g, uint32_t ino, uint64_t blk,
                          uint64_t expected, uint64_t found);

static int
phase_groups (struct scrub_pass *p, struct fsf_gd *gds)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint64_t dup;
  uint32_t g;
  int r;

  for (g = 0; g < sb->groups_count; g++) {
    if ((r = maybe_request (p, SCRUB_TYPE_GDT, g, 0, NULL)) < 0
        || (r = maybe_request (p, SCRUB_TYPE_BBITMAP, g, 0, NULL)) < 0
        || (r = maybe_request (p, SCRUB_TYPE_IBITMAP, g, 0, NULL)) < 0)
      return r;
    r = fsf_fs_read_gd (p->fs, g, &gds[g], NULL);
    if (r < 0)
      return r;
    if (r != 0)
      memset (&gds[g], 0, sizeof gds[g]);
    p->group_health[g] |= SCRUB_GHEALTH_CHECKED;
    progress (p, SCRUB_PHASE_GROUPS, g + 1, sb->groups_count);
  }
  /* Each group's metadata is claimed in turn: a block that already
   * belongs to other metadata (any group's, with flex_bg) is GD_OVERLAP.
   * Standalone, the gdt scrubber looks for overlaps inside one group.
   */
  for (g = 0; g < sb->groups_count; g++) {
    uint64_t runs[GROUP_META_RUNS][2];
    unsigned k;

    group_meta_runs (sb, &gds[g], g, runs);

    for (k = 0; k < GROUP_META_RUNS; k++) {
      int64_t n;

      if (runs[k][0] >= sb->blocks_count
          || runs[k][1] > sb->blocks_count - runs[k][0])
        continue;               /* out of range: the gdt scrubber's */
      n = claim (p, runs[k][0], runs[k][1], &dup);
      if (n < 0)
        return (int) n;
      if (n > 0) {
        pass_finding (p, SCRUB_TYPE_GDT, PR_GD_OVERLAP, g, 0, dup, 0, 0);
        break;
      }
    }
  }
  return 0;
}

static bool
bit_set (const uint8_t *bm, uint32_t bit)
{
  return bm && (bm[bit / 8] & (1U << (bit % 8)));
}

/* The server's snapshot need not keep blocks that are free in the view:
 * nothing a consistent filesystem references is free, so the pass never
 * reads them.  (Where metadata does point into free space, the space
 * phase reports it from the bitmaps alone, whatever the block holds.)
 * Only bitmaps that are on disk and verify are trusted: not those of a
 * BLOCK_UNINIT group, nor a bad checksum's.  Runs of free blocks go to
 * the data hook.
 */
static int
exempt_free (struct scrub_pass *p, const struct fsf_gd *gds)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint8_t *bm;
  uint32_t g;
  int r = 0;

  if (p->data == NULL)
    return 0;
  bm = malloc (sb->block_size);
  if (bm == NULL)
    return -ENOMEM;
  for (g = 0; g < sb->groups_count && r >= 0; g++) {
    uint32_t blocks = fsf_sb_group_blocks (sb, g), bit, run = 0;
    uint64_t first = fsf_sb_group_first_block (sb, g);
    uint64_t at = gds[g].block_bitmap;

    if ((has_group_csum (sb) && gds[g].flags & FSF_BG_BLOCK_UNINIT)
        || at < sb->first_data_block || at >= sb->blocks_count
        || blocks > sb->block_size * 8)
      continue;
    r = fsf_read (&p->fs->src, bm, sb->block_size, at * sb->block_size);
    if (r < 0)
      break;
    if (!fsf_block_bitmap_csum_verify (bm, sb, &gds[g]))
      continue;
    for (bit = 0; bit <= blocks; bit++) {
      if (bit < blocks && !bit_set (bm, bit)) {
        run++;
        continue;
      }
      if (run)
        p->data (p->data_opaque, first + bit - run, run);
      run = 0;
    }
    r = step (p);
  }
  free (bm);
  return r;
}

/* How many of group g's inodes the inode phase reads: e2fsck skips an
 * INODE_UNINIT group and the never-used tail (itable_unused) when the
 * descriptor is checksummed.
 */
static uint32_t
inodes_to_scan (const struct fsf_sb *sb, const struct fsf_gd *gd,
                uint32_t g)
{
  uint32_t n = sb->inodes_per_group;

  if (!has_group_csum (sb))
    return n;
  if (gd->flags & FSF_BG_INODE_UNINIT)
    return 0;
  (void) g;
  return gd->itable_unused <= n ? n - gd->itable_unused : n;
}

static int
phase_inodes (struct scrub_pass *p, const struct fsf_gd *gds)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint32_t isz = sb->inode_size, g;
  size_t chunk = ITABLE_CHUNK - ITABLE_CHUNK % isz;
  uint8_t *buf = malloc (chunk);
  size_t i;
  int r = 0;

  if (buf == NULL)
    return -ENOMEM;
  for (g = 0; g < sb->groups_count && r >= 0; g++) {
    uint32_t n = inodes_to_scan (sb, &gds[g], g), done = 0;
    uint64_t table = gds[g].inode_table;

    /* A table outside the filesystem is the gdt scrubber's finding. */
    if (table < sb->first_data_block || table >= sb->blocks_count
        || sb->itable_blocks > sb->blocks_count - table)
      n = 0;
    while (done < n && r >= 0) {
      size_t len = (size_t) (n - done) * isz;
      uint32_t k;

      if (len > chunk)
        len = chunk;
      r = fsf_read (&p->fs->src, buf, len,
                    table * sb->block_size + (uint64_t) done * isz);
      if (r < 0)
        break;
      for (k = 0; k < len / isz && r >= 0; k++) {
        uint32_t ino = g * sb->inodes_per_group + done + k + 1;

        /* A bad s_inodes_count is the superblock's finding; read no
         * inode past it.
         */
        if (ino > sb->inodes_count)
          break;

        r = maybe_request (p, SCRUB_TYPE_INODE, 0, ino, buf + k * isz);
      }
      done += len / isz;
    }
    progress (p, SCRUB_PHASE_INODES, g + 1, sb->groups_count);
  }
  free (buf);
  if (r < 0)
    return r;

  /* Each shared xattr block against its reference count. */
  for (i = 0; i < p->eas_alloc; i++) {
    struct scrub_xref_ea *e = &p->eas[i];
    struct scrub_ctx sc = { .fs = p->fs, .pass = p, .report = pass_report,
                            .opaque = p };
    uint32_t eg = 0;

    if (e->blk == 0 || e->seen == e->refcount)
      continue;
    sc.req.type = SCRUB_TYPE_XATTR;
    fsf_group_of_block (sb, e->blk, &eg);
    chk_set_corrupt (&sc, PR_XATTR_REFCOUNT, eg, e->first_ino, e->blk,
                     e->seen, e->refcount);
  }
  return 0;
}

static int
phase_dirs (struct scrub_pass *p)
{
  size_t i;
  int r;

  for (i = 0; i < p->ndirs; i++) {
    struct scrub_istate *is = scrub_pass_istate (p, p->dirs[i].ino);

    if (is && !(is->flags & SCRUB_ISTATE_BADMAP)
        && (r = maybe_request (p, SCRUB_TYPE_DIRECTORY, 0, p->dirs[i].ino,
                               NULL)) < 0)
      return r;
    if (i % 256 == 255 || i + 1 == p->ndirs)
      progress (p, SCRUB_PHASE_DIRS, i + 1, p->ndirs);
  }
  return 0;
}

/* Set the bits libext2fs sets in the bitmap of a BLOCK_UNINIT group,
 * wherever they fall: its superblock and descriptors, and its own
 * bitmaps and inode table.  Those marks are in every group's effective
 * bitmap (uninit ones have nothing else).
 */
static int
uninit_marks (struct scrub_pass *p, const struct fsf_gd *gds, uint8_t **marks)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint64_t runs[GROUP_META_RUNS][2];
  uint32_t g, k;

  for (g = 0; g < sb->groups_count; g++) {
    if (!(gds[g].flags & FSF_BG_BLOCK_UNINIT))
      continue;
    group_meta_runs (sb, &gds[g], g, runs);
    for (k = 0; k < GROUP_META_RUNS; k++) {
      uint64_t b;

      for (b = runs[k][0]; b - runs[k][0] < runs[k][1]; b++) {
        uint64_t rel;
        uint32_t mg, bit;

        if (b < sb->first_data_block || b >= sb->blocks_count)
          break;
        rel = b - sb->first_data_block;
        mg = rel / sb->blocks_per_group;
        bit = rel % sb->blocks_per_group;
        if (marks[mg] == NULL
            && (marks[mg] = calloc (1, sb->block_size)) == NULL)
          return -ENOMEM;
        marks[mg][bit / 8] |= 1U << (bit % 8);
      }
    }
  }
  return 0;
}

/* Group g's block bitmap as e2fsck reads it, into bm (block_size). */
static int
effective_bbitmap (struct scrub_pass *p, const struct fsf_gd *gd, uint32_t g,
                   uint8_t *const *marks, uint8_t *bm, bool *readable)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint32_t i;
  int r;

  *readable = true;
  memset (bm, 0, sb->block_size);
  if (!(has_group_csum (sb) && (gd->flags & FSF_BG_BLOCK_UNINIT))) {
    if (gd->block_bitmap < sb->first_data_block
        || gd->block_bitmap >= sb->blocks_count) {
      *readable = false;
      return 0;
    }
    r = fsf_read (&p->fs->src, bm, sb->block_size,
                  gd->block_bitmap * sb->block_size);
    if (r < 0)
      return r;
  }
  if (marks[g])
    for (i = 0; i < sb->block_size; i++)
      bm[i] |= marks[g][i];
  return 0;
}


/* One finding through the pass's reporting, outside any request. */
static void
pass_finding (struct scrub_pass *p, enum scrub_type type, int code,
              uint32_t g, uint32_t ino, uint64_t blk, uint64_t expected,
              uint64_t found)
{
  struct scrub_ctx sc = { .fs = p->fs, .pass = p, .report = pass_report,
                          .opaque = p };

  sc.req.type = type;
  chk_set_corrupt (&sc, code, g, ino, blk, expected, found);
}

static int
space_blocks (struct scrub_pass *p, const struct fsf_gd *gds, uint32_t g,
              uint8_t *const *marks, uint8_t *bm)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint32_t blocks = fsf_sb_group_blocks (sb, g), bit;
  uint64_t first = fsf_sb_group_first_block (sb, g);
  uint64_t used_free = 0, free_used = 0, uf_first = 0, fu_first = 0;
  uint64_t owned = 0;
  bool readable;
  int r;

  r = effective_bbitmap (p, &gds[g], g, marks, bm, &readable);
  if (r < 0)
    return r;
  for (bit = 0; bit < blocks; bit++) {
    bool o = bit_set (p->owned[g], bit), d = bit_set (bm, bit);

    owned += o;
    if (!readable)
      continue;
    if (o && !d && used_free++ == 0)
      uf_first = first + bit;
    if (!o && d && free_used++ == 0)
      fu_first = first + bit;
  }
  if (used_free)
    pass_finding (p, SCRUB_TYPE_BBITMAP, PR_BBITMAP_USED_MARKED_FREE, g, 0,
                  uf_first, 0, used_free);
  if (free_used)
    pass_finding (p, SCRUB_TYPE_BBITMAP, PR_BBITMAP_FREE_MARKED_USED, g, 0,
                  fu_first, 0, free_used);
  if (gds[g].free_blocks_count != blocks - owned)
    pass_finding (p, SCRUB_TYPE_GDT, PR_GD_FREE_BLOCKS_WRONG, g, 0, 0,
                  blocks - owned, gds[g].free_blocks_count);
  return 0;
}

static int
space_inodes (struct scrub_pass *p, const struct fsf_gd *gd, uint32_t g,
              uint8_t *bm)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint32_t ipg = sb->inodes_per_group, i;
  uint64_t used_free = 0, free_used = 0, used = 0, dirs = 0;
  uint32_t uf_first = 0, fu_first = 0;
  bool readable = true;
  int r;

  memset (bm, 0, sb->block_size);
  if (!(has_group_csum (sb) && (gd->flags & FSF_BG_INODE_UNINIT))) {
    if (gd->inode_bitmap < sb->first_data_block
        || gd->inode_bitmap >= sb->blocks_count)
      readable = false;
    else if ((r = fsf_read (&p->fs->src, bm, sb->block_size,
                            gd->inode_bitmap * sb->block_size)) < 0)
      return r;
  }
  for (i = 0; i < ipg; i++) {
    const struct scrub_istate *is = p->inodes[g] ? &p->inodes[g][i] : NULL;
    bool u = is && (is->flags & SCRUB_ISTATE_USED), d = bit_set (bm, i);
    uint32_t ino = g * ipg + i + 1;

    used += u;
    dirs += u && is->ftype == FSF_FT_DIR;
    if (!readable)
      continue;
    if (u && !d && used_free++ == 0)
      uf_first = ino;
    if (!u && d && free_used++ == 0)
      fu_first = ino;
  }
  if (used_free)
    pass_finding (p, SCRUB_TYPE_IBITMAP, PR_IBITMAP_USED_MARKED_FREE, g,
                  uf_first, 0, 0, used_free);
  if (free_used)
    pass_finding (p, SCRUB_TYPE_IBITMAP, PR_IBITMAP_FREE_MARKED_USED, g,
                  fu_first, 0, 0, free_used);
  if (gd->free_inodes_count != ipg - used)
    pass_finding (p, SCRUB_TYPE_GDT, PR_GD_FREE_INODES_WRONG, g, 0, 0,
                  ipg - used, gd->free_inodes_count);
  if (gd->used_dirs_count != dirs)
    pass_finding (p, SCRUB_TYPE_GDT, PR_GD_DIRS_WRONG, g, 0, 0, dirs,
                  gd->used_dirs_count);
  return 0;
}

static int
phase_space (struct scrub_pass *p, const struct fsf_gd *gds)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint8_t **marks = calloc (sb->groups_count, sizeof *marks);
  uint8_t *bm = malloc (sb->block_size);
  uint32_t g;
  int r = -ENOMEM;

  if (marks == NULL || bm == NULL)
    goto out;
  r = uninit_marks (p, gds, marks);
  for (g = 0; g < sb->groups_count && r >= 0; g++) {
    r = step (p);
    if (r >= 0)
      r = space_blocks (p, gds, g, marks, bm);
    if (r >= 0)
      r = space_inodes (p, &gds[g], g, bm);
    progress (p, SCRUB_PHASE_SPACE, g + 1, sb->groups_count);
  }
 out:
  if (marks)
    for (g = 0; g < sb->groups_count; g++)
      free (marks[g]);
  free (marks);
  free (bm);
  return r;
}

int
scrub_pass_run (struct scrub_pass *p)
{
  struct fsf_gd *gds;
  int r;

  gds = calloc (p->fs->sb.groups_count, sizeof *gds);
  if (gds == NULL)
    return -ENOMEM;
  progress (p, SCRUB_PHASE_SUPER, 0, 1);
  r = maybe_request (p, SCRUB_TYPE_SUPERBLOCK, 0, 0, NULL);
  progress (p, SCRUB_PHASE_SUPER, 1, 1);
  if (r >= 0)
    r = phase_groups (p, gds);
  if (r >= 0)
    r = exempt_free (p, gds);
  if (r >= 0)
    r = scrub_pass_collect_orphans (p);
  if (r >= 0)
    r = phase_inodes (p, gds);
  if (r >= 0)
    r = phase_dirs (p);
  if (r >= 0) {
    r = maybe_request (p, SCRUB_TYPE_LINKS, 0, 0, NULL);
    progress (p, SCRUB_PHASE_LINKS, 1, 1);
  }
  /* Ownership is only known once every inode has been read: without an
   * inode scrubber the space cross-reference cannot be made.
   */
  if (r >= 0 && scrub_ops[SCRUB_TYPE_INODE])
    r = phase_space (p, gds);
  if (r >= 0)
    r = maybe_request (p, SCRUB_TYPE_JOURNAL, 0, 0, NULL);
  if (r >= 0)
    r = maybe_request (p, SCRUB_TYPE_ORPHANS, 0, 0, NULL);
  if (r >= 0)
    r = maybe_request (p, SCRUB_TYPE_COUNTERS, 0, 0, NULL);
  progress (p, SCRUB_PHASE_JOURNAL, 1, 1);
  free (gds);
  return r;
}
