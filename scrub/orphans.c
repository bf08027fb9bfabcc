/* nbdscrub: the orphans scrubber (SCRUB_TYPE_ORPHANS), the whole
 * filesystem: the s_last_orphan list and the orphan file.
 *
 * An orphan is an inode unlinked (or being truncated) while still open.
 * A mounted ext4 keeps its orphans on the list (or in the orphan file)
 * and, after a crash, mount releases them before anything else; so does
 * e2fsck after replaying the journal (release_orphan_inodes).  An image
 * of a mounted filesystem therefore has orphans as a matter of course,
 * and they are not corruption: what counts is whether releasing them
 * would go wrong.  That is the first of two cases:
 *
 *   Recovery pending (the raw superblock says needs_recovery, and the
 *   filesystem has no recorded errors, which make e2fsck skip the
 *   release; see release_pending): walk the list as
 *   release_orphan_inodes does.  A link to an inode outside
 *   [first_ino, inodes_count] stops the release with the inode that
 *   holds it unreleased: CORRUPT.  An orphan that is not in
 *   use (no links, free in the bitmap) would be freed twice, leaving the
 *   free counts wrong: CORRUPT.  A loop is harmless to the release
 *   (each inode's link changes as it is released): WARNING.  The orphan
 *   file is released likewise if orphan_present is set.  (e2fsck 1.47.0
 *   releases the file's inodes but leaves their entries, and its -fn
 *   then calls the block "not clean"; 1.47.2 clears them, as the kernel
 *   does.  This follows the kernel and the later e2fsck.)
 *
 *   No recovery pending: e2fsck -fn never follows the list.  It judges
 *   each inode on it as pass 1 and 5 judge any inode, and those judge
 *   an orphan harshly: a link in i_dtime is an inode "part of a
 *   corrupted orphan list", an unlinked inode with no dtime is "deleted
 *   with zero dtime", one still marked in use is a bitmap difference.
 *   Each of those is CORRUPT here too (ORPHAN_UNRECOVERED), nothing else.
 *   An orphan file with any entry is "not clean": CORRUPT.
 *
 * The first link (s_last_orphan) out of range is the superblock
 * scrubber's SB_LAST_ORPHAN.  The list walk is fsf_orphan_list_walk's,
 * bounded by the number of distinct inodes on it; the orphan file's by
 * its size.
 *
 * For the inode phase, scrub_pass_collect_orphans records which inodes
 * the release will take (scrub_pass_orphan), so that the inode scrubber
 * judges them as the filesystem will be after it, not as pass 1 judges
 * an inode nobody released.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "orphan.h"
#include "pass.h"
#include "scrub.h"

/* s_last_orphan list, or the orphan file: will recovery release them?
 * Not on a filesystem with errors, which e2fsck's release skips; and
 * e2fsck marks errors itself after a recovery that met a failed commit
 * block, or when the journal recorded an abort (s_errno).
 */
static bool
release_pending (const struct fsf_fs *fs)
{
  if (!fs->needs_recovery || (fs->sb.state & FSF_STATE_ERROR))
    return false;
  return !fs->replayed
    || (fs->jr.jsb.errno_ == 0 && fs->jr.stop != FSF_JSTOP_COMMIT_CSUM);
}

static bool
file_release_pending (const struct fsf_fs *fs)
{
  return release_pending (fs)
    && fsf_has_ro_compat (&fs->sb, FSF_RO_COMPAT_ORPHAN_PRESENT);
}

static bool
orphan_in_range (const struct fsf_sb *sb, uint32_t ino)
{
  return ino >= sb->first_ino && ino <= sb->inodes_count;
}

/* Pass 1 checks a dtime against the inode count only when the clock
 * looks sane (e2fsck's low_dtime_check).
 */
static bool
low_dtime_check (const struct fsf_sb *sb)
{
  return !((sb->wtime && sb->wtime < sb->inodes_count)
           || (sb->mtime && sb->mtime < sb->inodes_count)
           || (sb->mkfs_time && sb->mkfs_time < sb->inodes_count));
}

/* One inode bitmap, cached by group. */
struct ibm_cache {
  uint8_t *ibm;
  uint32_t group;
  bool valid;
};

struct owalk {
  struct scrub_ctx *sc;
  bool pending;
  uint32_t last;              /* the last inode the walk gave */
  uint64_t entries;           /* orphan-file entries seen */
  struct ibm_cache ibm;
};

/* Is ino marked in use in its group's inode bitmap (as libext2fs reads
 * it: an INODE_UNINIT group has none in use)?
 */
static int
ibitmap_used (const struct fsf_fs *fs, struct ibm_cache *w, uint32_t ino,
              bool *used)
{
  const struct fsf_sb *sb = &fs->sb;
  uint32_t g = (ino - 1) / sb->inodes_per_group;
  uint32_t bit = (ino - 1) % sb->inodes_per_group;
  struct fsf_gd gd;
  int r;

  *used = false;
  if (!w->valid || w->group != g) {
    w->valid = false;
    if (w->ibm == NULL && (w->ibm = malloc (sb->block_size)) == NULL)
      return -ENOMEM;
    memset (w->ibm, 0, sb->block_size);
    r = fsf_fs_read_gd (fs, g, &gd, NULL);
    if (r < 0)
      return r;
    if (r == 0
        && !((fsf_has_metadata_csum (sb)
              || fsf_has_ro_compat (sb, FSF_RO_COMPAT_GDT_CSUM))
             && (gd.flags & FSF_BG_INODE_UNINIT))
        && gd.inode_bitmap >= sb->first_data_block
        && gd.inode_bitmap < sb->blocks_count) {
      r = fsf_read (&fs->src, w->ibm, sb->block_size,
                    gd.inode_bitmap * sb->block_size);
      if (r < 0)
        return r;
    }
    w->group = g;
    w->valid = true;
  }
  *used = (w->ibm[bit / 8] >> (bit % 8)) & 1;
  return 0;
}

/* Recovery pending: would releasing ino go wrong? */
static int
check_release (struct owalk *w, uint32_t ino, const struct fsf_inode *in)
{
  bool used;
  int r;

  if (in->links_count != 0)
    return 0;
  r = ibitmap_used (w->sc->fs, &w->ibm, ino, &used);
  if (r < 0)
    return r;
  if (!used)
    chk_set_corrupt (w->sc, PR_ORPHAN_NOT_IN_USE, 0, ino, 0, 0, 0);
  return 0;
}

/* No recovery pending: what pass 1 and 5 make of ino. */
static int
check_unrecovered (struct owalk *w, uint32_t ino, const struct fsf_inode *in)
{
  const struct fsf_sb *sb = &w->sc->fs->sb;
  struct scrub_finding f = { PR_ORPHAN_UNRECOVERED, 0, ino, 0, 0,
                             in->dtime, NULL };
  bool used;
  int r;

  if (in->dtime && in->dtime < sb->inodes_count && low_dtime_check (sb))
    f.name = "part of a corrupted orphan list";
  else if (in->links_count && in->dtime)
    f.name = "in use with dtime set";
  else if (!in->links_count && !in->dtime && in->mode)
    f.name = "deleted with zero dtime";
  else if (!in->links_count) {
    r = ibitmap_used (w->sc->fs, &w->ibm, ino, &used);
    if (r < 0)
      return r;
    if (used)
      f.name = "deleted but marked in use";
  }
  if (f.name)
    chk_set (w->sc, &f);
  return 0;
}

static int
list_orphan (void *opaque, uint32_t ino)
{
  struct owalk *w = opaque;
  const struct fsf_sb *sb = &w->sc->fs->sb;
  struct fsf_inode in;
  int r;

  w->last = ino;
  r = fsf_fs_read_inode (w->sc->fs, ino, &in, NULL);
  if (r < 0)
    return r;
  if (r != 0 && r != FSF_BAD_FIELD)
    return 0;
  if (!w->pending)
    return check_unrecovered (w, ino, &in);
  /* release_orphan_inode looks at the link before releasing. */
  if (in.dtime && !orphan_in_range (sb, in.dtime)) {
    chk_set_corrupt (w->sc, PR_ORPHAN_LINK_RANGE, 0, ino, 0, 0, in.dtime);
    return 0;
  }
  return check_release (w, ino, &in);
}

static int
check_list (struct scrub_ctx *sc, struct owalk *w)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  int r;

  if (sb->last_orphan == 0 || !orphan_in_range (sb, sb->last_orphan))
    return 0;
  w->pending = release_pending (sc->fs);
  r = fsf_orphan_list_walk (sc->fs, list_orphan, w);
  if (r < 0)
    return r;
  /* FSF_BAD_RANGE: the link list_orphan reported already. */
  if (r == FSF_BAD_LOOP)
    chk_set_corrupt (sc, PR_ORPHAN_LIST_LOOP, 0, w->last, 0, 0, 0);
  return 0;
}

static int
file_entry (void *opaque, uint32_t ino)
{
  struct owalk *w = opaque;
  const struct fsf_sb *sb = &w->sc->fs->sb;
  struct fsf_inode in;
  int r;

  w->entries++;
  if (!w->pending) {
    chk_set_corrupt (w->sc, PR_ORPHAN_FILE_UNRECOVERED, 0,
                     sb->orphan_file_inum, 0, 0, ino);
    return 0;
  }
  if (!orphan_in_range (sb, ino)) {
    chk_set_corrupt (w->sc, PR_ORPHAN_FILE_ENTRY_RANGE, 0,
                     sb->orphan_file_inum, 0, 0, ino);
    return 0;
  }
  r = fsf_fs_read_inode (w->sc->fs, ino, &in, NULL);
  if (r < 0)
    return r;
  if (r != 0 && r != FSF_BAD_FIELD)
    return 0;
  return check_release (w, ino, &in);
}

static int
file_bad_block (void *opaque, uint32_t logical, int why)
{
  struct owalk *w = opaque;
  int code = why == FSF_BAD_CSUM ? PR_ORPHAN_FILE_CSUM : PR_ORPHAN_FILE_MAGIC;

  chk_set_corrupt (w->sc, code, 0, w->sc->fs->sb.orphan_file_inum, logical,
                   0, (uint64_t) why);
  return 0;
}

static int
check_file (struct scrub_ctx *sc, struct owalk *w)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  bool present = fsf_has_ro_compat (sb, FSF_RO_COMPAT_ORPHAN_PRESENT);
  uint32_t ino = sb->orphan_file_inum;
  unsigned found_before = sc->findings;
  struct fsf_inode in;
  int r;

  if (!fsf_has_compat (sb, FSF_COMPAT_ORPHAN_FILE)) {
    if (present)
      chk_set_corrupt (sc, PR_ORPHAN_PRESENT_NO_FILE, 0, 0, 0, 0, 0);
    return 0;
  }
  if (!fsf_has_compat (sb, FSF_COMPAT_HAS_JOURNAL))
    chk_set_corrupt (sc, PR_ORPHAN_FILE_NO_JOURNAL, 0, ino, 0, 0, 0);
  if (ino == 0 || ino > sb->inodes_count) {
    chk_set_corrupt (sc, PR_ORPHAN_FILE_INODE, 0, ino, 0, 0, 0);
    return 0;
  }
  r = fsf_fs_read_inode (sc->fs, ino, &in, NULL);
  if (r < 0)
    return r;
  if (r != 0 && r != FSF_BAD_FIELD)
    return 0;
  if (fsf_inode_ftype (in.mode) != FSF_FT_REG
      || in.size % sb->block_size != 0) {
    chk_set_corrupt (sc, PR_ORPHAN_FILE_INODE, 0, ino, 0, 0, in.mode);
    return 0;
  }
  /* An indirect-mapped orphan file (a filesystem without extents) is
   * valid, but the walker reads extent trees only: nothing to say.
   */
  if (!(in.flags & FSF_EXTENTS_FL))
    return 0;
  w->pending = file_release_pending (sc->fs);
  r = fsf_orphan_file_walk (sc->fs, file_entry, file_bad_block, w);
  if (r < 0)
    return r;
  if (r != 0) {
    /* The extent tree itself: the inode scrubber's finding. */
    return 0;
  }
  /* e2fsck clears a stale orphan_present and lets it pass. */
  if (present && !w->pending && w->entries == 0
      && sc->findings == found_before)
    chk_set_corrupt (sc, PR_ORPHAN_PRESENT_CLEAN, 0, ino, 0, 0, 0);
  return 0;
}

static int
scrub_orphans (struct scrub_ctx *sc)
{
  struct owalk w = { .sc = sc };
  int r;

  r = check_list (sc, &w);
  if (r >= 0) {
    w.last = 0;
    r = check_file (sc, &w);
  }
  free (w.ibm.ibm);
  return r < 0 ? r : 0;
}

const struct scrub_ops scrub_orphans_ops = {
  .scope = SCRUB_SCOPE_FS,
  .scrub = scrub_orphans,
};

/* --- the pass's set of inodes recovery will release -------------------- */

struct collect {
  const struct fsf_fs *fs;
  uint32_t *inos;
  size_t n, alloc;
  struct ibm_cache ibm;
};

static int
collect_add (struct collect *c, uint32_t ino)
{
  if (c->n == c->alloc) {
    size_t n = c->alloc ? c->alloc * 2 : 64;
    uint32_t *p;

    /* Never more than one per inode. */
    if (c->alloc >= c->fs->sb.inodes_count)
      return 0;
    p = realloc (c->inos, n * sizeof *p);
    if (p == NULL)
      return -ENOMEM;
    c->inos = p;
    c->alloc = n;
  }
  c->inos[c->n++] = ino;
  return 0;
}

/* Add ino unless it is free already (ORPHAN_NOT_IN_USE): the inode
 * scrubber must not take it for one in use.
 */
static int
collect_in_use (struct collect *c, uint32_t ino, const struct fsf_inode *in)
{
  bool used = true;
  int r;

  if (in->links_count == 0
      && (r = ibitmap_used (c->fs, &c->ibm, ino, &used)) < 0)
    return r;
  return used ? collect_add (c, ino) : 0;
}

static int
collect_list (void *opaque, uint32_t ino)
{
  struct collect *c = opaque;
  struct fsf_inode in;
  int r;

  r = fsf_fs_read_inode (c->fs, ino, &in, NULL);
  if (r < 0)
    return r;
  if (r != 0 && r != FSF_BAD_FIELD)
    return 0;
  /* The inode holding a bad link is not released. */
  if (in.dtime && !orphan_in_range (&c->fs->sb, in.dtime))
    return 0;
  return collect_in_use (c, ino, &in);
}

static int
collect_file (void *opaque, uint32_t ino)
{
  struct collect *c = opaque;
  struct fsf_inode in;
  int r;

  if (!orphan_in_range (&c->fs->sb, ino))
    return 0;
  r = fsf_fs_read_inode (c->fs, ino, &in, NULL);
  if (r < 0)
    return r;
  if (r != 0 && r != FSF_BAD_FIELD)
    return 0;
  return collect_in_use (c, ino, &in);
}

static int
cmp_ino (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

  return (x > y) - (x < y);
}

int
scrub_pass_collect_orphans (struct scrub_pass *p)
{
  const struct fsf_fs *fs = p->fs;
  const struct fsf_sb *sb = &fs->sb;
  struct collect c = { .fs = fs };
  size_t i, k;
  int r = 0;

  free (p->orphans);
  p->orphans = NULL;
  p->norphans = 0;
  if (!release_pending (fs))
    return 0;
  if (sb->last_orphan && orphan_in_range (sb, sb->last_orphan))
    r = fsf_orphan_list_walk (fs, collect_list, &c);
  if (r >= 0 && file_release_pending (fs)
      && fsf_has_compat (sb, FSF_COMPAT_ORPHAN_FILE)
      && sb->orphan_file_inum && sb->orphan_file_inum <= sb->inodes_count)
    r = fsf_orphan_file_walk (fs, collect_file, NULL, &c);
  free (c.ibm.ibm);
  if (r < 0) {
    free (c.inos);
    return r;
  }
  /* Sorted and unique, for scrub_pass_orphan to bisect. */
  if (c.n)
    qsort (c.inos, c.n, sizeof *c.inos, cmp_ino);
  for (i = k = 0; i < c.n; i++)
    if (k == 0 || c.inos[k - 1] != c.inos[i])
      c.inos[k++] = c.inos[i];
  p->orphans = c.inos;
  p->norphans = k;
  return 0;
}
