/* nbdscrub: the scrub engine (SPEC section 6), after XFS online scrub.
 *
 * DESIGN
 *
 * The engine checks one object at a time: the superblock, one group's
 * descriptor or bitmaps, one inode, one directory, the journal, the
 * counters.  Each metadata type has one scrubber, in a file of its own,
 * exporting one const struct scrub_ops; the dispatch table below maps
 * enum scrub_type to it.  A full pass is a sequence of requests in
 * phases (superblock and geometry; group descriptors and bitmaps; every
 * in-use inode; every directory; connectivity and link counts; space
 * cross-reference; journal), each phase reporting progress.
 *
 * What a scrubber reads is a struct fsf_fs (fsformat/fs.h): the image
 * with its committed journal replayed in memory, never written.  Inside
 * the server that source is a point-in-time view (the plugin's drain or
 * copy-before-write snapshot); offline it is the image file.  Either way
 * a scrubber sees a state the filesystem could be in after a crash, so
 * what it calls corrupt, e2fsck would call corrupt.
 *
 * Rules every scrubber follows:
 *
 *   1. Two channels.  The int a scrubber returns carries operational
 *      failures only (-ENOMEM, -EIO from the source).  Corruption is
 *      recorded, never returned, through chk_set() and friends, which
 *      set the output flag of the problem's severity.
 *   2. One invariant per if, one verdict call each, and a problem code
 *      from the catalogue (problem.c) for every verdict.
 *   3. Check the object itself before cross-referencing it; once it is
 *      corrupt, skip the cross-references that would rest on it.
 *   4. A finding the kernel or e2fsck tolerates (a stale counter while
 *      mounted, a stale backup) is PREEN, and the comment at its
 *      catalogue entry says why.
 *   5. Every loop is bounded by a count the geometry validated, never by
 *      one read from a block the scrubber has not checked.
 *   6. Repair (SPEC 7) re-checks under a drain and writes an undo record
 *      first; until repairs land, .repair is NULL and a repair request is
 *      refused at validation.
 */

#include <errno.h>
#include <string.h>

#include "scrub.h"

const char *const scrub_type_names[SCRUB_TYPE_NR] = {
  [SCRUB_TYPE_PROBE] = "probe",
  [SCRUB_TYPE_SUPERBLOCK] = "superblock",
  [SCRUB_TYPE_GDT] = "gdt",
  [SCRUB_TYPE_BBITMAP] = "block-bitmap",
  [SCRUB_TYPE_IBITMAP] = "inode-bitmap",
  [SCRUB_TYPE_INODE] = "inode",
  [SCRUB_TYPE_EXTENTS] = "extents",
  [SCRUB_TYPE_DIRECTORY] = "directory",
  [SCRUB_TYPE_XATTR] = "xattr",
  [SCRUB_TYPE_SYMLINK] = "symlink",
  [SCRUB_TYPE_JOURNAL] = "journal",
  [SCRUB_TYPE_ORPHANS] = "orphans",
  [SCRUB_TYPE_LINKS] = "links",
  [SCRUB_TYPE_COUNTERS] = "counters",
};

const struct scrub_ops *const scrub_ops[SCRUB_TYPE_NR] = {
  [SCRUB_TYPE_PROBE] = &scrub_probe_ops,
  [SCRUB_TYPE_SUPERBLOCK] = &scrub_superblock_ops,
  [SCRUB_TYPE_GDT] = &scrub_gdt_ops,
  [SCRUB_TYPE_BBITMAP] = &scrub_bbitmap_ops,
  [SCRUB_TYPE_IBITMAP] = &scrub_ibitmap_ops,
  [SCRUB_TYPE_INODE] = &scrub_inode_ops,
  [SCRUB_TYPE_EXTENTS] = &scrub_extents_ops,
  [SCRUB_TYPE_XATTR] = &scrub_xattr_ops,
  [SCRUB_TYPE_SYMLINK] = &scrub_symlink_ops,
  [SCRUB_TYPE_DIRECTORY] = &scrub_directory_ops,
  [SCRUB_TYPE_LINKS] = &scrub_links_ops,
  [SCRUB_TYPE_JOURNAL] = &scrub_journal_ops,
  [SCRUB_TYPE_ORPHANS] = &scrub_orphans_ops,
  [SCRUB_TYPE_COUNTERS] = &scrub_counters_ops,
};

_Static_assert (sizeof scrub_type_names / sizeof scrub_type_names[0]
                == SCRUB_TYPE_NR, "one name per scrub type");
_Static_assert (sizeof scrub_ops / sizeof scrub_ops[0] == SCRUB_TYPE_NR,
                "one dispatch entry per scrub type");

enum scrub_type
scrub_type_by_name (const char *name)
{
  int t;

  for (t = 0; t < SCRUB_TYPE_NR; t++)
    if (scrub_type_names[t] && strcmp (scrub_type_names[t], name) == 0)
      return (enum scrub_type) t;
  return SCRUB_TYPE_NR;
}

int
scrub_validate (const struct fsf_fs *fs, const struct scrub_request *req,
                bool readonly)
{
  const struct scrub_ops *ops;

  if ((unsigned) req->type >= SCRUB_TYPE_NR)
    return -ENOENT;
  ops = scrub_ops[req->type];
  if (ops == NULL || ops->scrub == NULL
      || (ops->has && !ops->has (&fs->sb)))
    return -ENOENT;
  switch (ops->scope) {
  case SCRUB_SCOPE_FS:
    if (req->group || req->ino || req->gen)
      return -EINVAL;
    break;
  case SCRUB_SCOPE_GROUP:
    if (req->ino || req->gen || req->group >= fs->sb.groups_count)
      return -EINVAL;
    break;
  case SCRUB_SCOPE_INODE:
    if (req->group || req->ino == 0 || req->ino > fs->sb.inodes_count)
      return -EINVAL;
    break;
  }
  if (req->flags & ~SCRUB_IFLAG_REPAIR)
    return -EINVAL;
  if (req->flags & SCRUB_IFLAG_REPAIR) {
    if (readonly)
      return -EROFS;
    if (ops->repair == NULL)
      return -EOPNOTSUPP;
  }
  return 0;
}

int
scrub_run (struct scrub_ctx *sc, const struct fsf_fs *fs,
           const struct scrub_request *req, bool readonly,
           scrub_report_fn report, void *opaque)
{
  int r;

  memset (sc, 0, sizeof *sc);
  sc->fs = fs;
  sc->req = *req;
  sc->report = report;
  sc->opaque = opaque;
  r = scrub_validate (fs, req, readonly);
  if (r < 0)
    return r;
  return scrub_ops[req->type]->scrub (sc);
}

void
chk_set (struct scrub_ctx *sc, const struct scrub_finding *f)
{
  const struct scrub_problem *p = scrub_problem (f->code);

  switch (p ? p->severity : SEV_CORRUPT) {
  case SEV_CORRUPT: sc->oflags |= SCRUB_OFLAG_CORRUPT; break;
  case SEV_XCORRUPT: sc->oflags |= SCRUB_OFLAG_XCORRUPT; break;
  case SEV_PREEN: sc->oflags |= SCRUB_OFLAG_PREEN; break;
  case SEV_WARNING: sc->oflags |= SCRUB_OFLAG_WARNING; break;
  }
  sc->findings++;
  if (sc->report)
    sc->report (sc->opaque, sc, f);
}
