/* nbdscrub: the links scrubber (SCRUB_TYPE_LINKS): connectivity and link
 * counts, after the directory phase, as e2fsck passes 3 and 4.
 *
 * Connectivity (pass 3): the root exists and is a directory; every other
 * directory reaches it through its parent (the first directory whose
 * entry names it); its '..' names that parent.  The walk up marks each
 * directory it passes as done and stops at one already done, so the
 * whole phase visits each directory once, and a cycle of parents ends
 * there as it does in e2fsck (which then finds it through '..').
 *
 * Link counts (pass 4): every inode in use, except the reserved ones
 * below s_first_ino other than the root, has i_links_count equal to the
 * entries naming it: for a directory, its entry in its parent, its own
 * '.', and the '..' of each subdirectory.  An inode no entry names is
 * unattached.  A directory counted past 65000 links stands at 1
 * (dir_nlink).
 *
 * Both need every directory read: without a full pass (sc->pass NULL)
 * the request ends INCOMPLETE with no finding.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "pass.h"
#include "xattr.h"

/* Most links a count can hold; a directory past it counts 1 (ext4's
 * EXT4_LINK_MAX, e2fsprogs' EXT2_LINK_MAX).
 */
#define LINK_MAX_COUNT 65000

static void
links_finding (struct scrub_ctx *sc, int code, uint32_t ino,
               uint64_t expected, uint64_t found)
{
  uint32_t g = ino ? (ino - 1) / sc->fs->sb.inodes_per_group : 0;

  chk_set_corrupt (sc, code, g, ino, 0, expected, found);
}

/* Index of directory ino in the pass's list, or SIZE_MAX. */
static size_t
dir_index (struct scrub_pass *p, uint32_t ino)
{
  struct scrub_dirinfo *di = scrub_pass_dirinfo (p, ino);

  return di ? (size_t) (di - p->dirs) : SIZE_MAX;
}

static bool
dir_badmap (struct scrub_pass *p, uint32_t ino)
{
  struct scrub_istate *is = scrub_pass_istate (p, ino);

  return is == NULL || (is->flags & SCRUB_ISTATE_BADMAP);
}

/* An unlinked orphan (no links, noted in use until the kernel releases
 * it): outside the namespace, neither connected nor counted.  e2fsck
 * once the orphans are released (SPEC 6.3's oracle) never sees it.
 */
static bool
dir_orphan (struct scrub_pass *p, uint32_t ino)
{
  struct scrub_istate *is = scrub_pass_istate (p, ino);

  return is != NULL && is->links == 0;
}

/* The parent as pass 3 sees it: the root is its own. */
static uint32_t
parent_of (const struct scrub_dirinfo *d)
{
  return d->ino == FSF_ROOT_INO ? FSF_ROOT_INO : d->parent;
}

/* Walk directory i up towards the root (e2fsck check_directory). */
static void
check_connected (struct scrub_ctx *sc, size_t i, uint8_t *done)
{
  struct scrub_pass *p = sc->pass;
  size_t k = i;

  while (k != SIZE_MAX && !(done[k / 8] & (1U << (k % 8)))) {
    uint32_t parent = parent_of (&p->dirs[k]);

    done[k / 8] |= 1U << (k % 8);
    if (parent == 0) {
      links_finding (sc, PR_LINKS_UNCONNECTED_DIR, p->dirs[k].ino, 0,
                     p->dirs[k].dotdot);
      break;
    }
    k = dir_index (p, parent);
  }
}

static void
check_connectivity (struct scrub_ctx *sc, uint8_t *done)
{
  struct scrub_pass *p = sc->pass;
  size_t i, root = dir_index (p, FSF_ROOT_INO);

  if (root != SIZE_MAX)
    done[root / 8] |= 1U << (root % 8);
  for (i = 0; i < p->ndirs; i++) {
    const struct scrub_dirinfo *d = &p->dirs[i];

    if (dir_orphan (p, d->ino))
      continue;
    check_connected (sc, i, done);
    /* A directory the directory phase skipped has no '..' read. */
    if (dir_badmap (p, d->ino))
      continue;
    if (d->dotdot != parent_of (d))
      links_finding (sc, PR_LINKS_BAD_DOTDOT, d->ino, parent_of (d),
                     d->dotdot);
  }
}

/* Which directories reach the root: a second walk, exact where e2fsck's
 * is not (it takes a directory seen once as connected, so a cycle of
 * parents whose '..' agree passes).  Each directory is classified once:
 * a walk pushes the unknown directories it passes on stack and gives
 * them all the answer it ends with.
 */
enum reach { REACH_UNKNOWN, REACH_WALKING, REACH_ROOT, REACH_NOT };

static void
find_loops (struct scrub_ctx *sc, uint8_t *state, uint32_t *stack)
{
  struct scrub_pass *p = sc->pass;
  size_t i, root = dir_index (p, FSF_ROOT_INO);

  if (root != SIZE_MAX)
    state[root] = REACH_ROOT;
  for (i = 0; i < p->ndirs; i++) {
    size_t k = i, depth = 0;
    enum reach answer = REACH_NOT;

    if (dir_orphan (p, p->dirs[i].ino))
      continue;
    while (k != SIZE_MAX && state[k] == REACH_UNKNOWN) {
      state[k] = REACH_WALKING;
      stack[depth++] = (uint32_t) k;
      k = p->dirs[k].parent ? dir_index (p, p->dirs[k].parent) : SIZE_MAX;
    }
    if (k != SIZE_MAX && state[k] == REACH_WALKING)
      links_finding (sc, PR_LINKS_DIR_LOOP, p->dirs[k].ino, 0,
                     p->dirs[k].parent);
    else if (k != SIZE_MAX)
      answer = (enum reach) state[k];
    while (depth > 0)
      state[stack[--depth]] = answer;
  }
}

/* An inode nothing names: e2fsck offers to clear it when it is an empty
 * file or directory with no in-inode xattrs, else to reconnect it.
 */
static int
report_unattached (struct scrub_ctx *sc, uint32_t ino,
                   const struct scrub_istate *is)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  uint8_t *raw = malloc (sb->inode_size);
  struct fsf_inode in;
  bool empty = false;
  int r;

  if (raw == NULL)
    return -ENOMEM;
  r = fsf_fs_read_inode (sc->fs, ino, &in, raw);
  if (r < 0) {
    free (raw);
    return r;
  }
  if (r == 0 && in.blocks == 0
      && (is->ftype == FSF_FT_REG || is->ftype == FSF_FT_DIR)) {
    uint32_t at = FSF_INODE_BASE_SIZE + in.extra_isize;

    empty = !(sb->inode_size > FSF_INODE_BASE_SIZE
              && at + 4 <= sb->inode_size
              && fsf_le32 (raw + at) == FSF_XATTR_MAGIC);
  }
  free (raw);
  links_finding (sc, empty ? PR_LINKS_UNATTACHED_EMPTY : PR_LINKS_UNATTACHED,
                 ino, 0, is->links);
  return 0;
}

/* Counted links against i_links_count for one inode (pass 4). */
static int
check_count (struct scrub_ctx *sc, uint32_t ino,
             const struct scrub_istate *is, uint32_t counted)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  bool isdir = is->ftype == FSF_FT_DIR;
  struct fsf_inode in;
  int r;

  if (counted == 0)
    return report_unattached (sc, ino, is);
  if (isdir && counted > LINK_MAX_COUNT) {
    if (!fsf_has_ro_compat (sb, FSF_RO_COMPAT_DIR_NLINK))
      links_finding (sc, PR_LINKS_DIR_NLINK, ino, counted, is->links);
    counted = 1;
  }
  if (counted == is->links)
    return 0;
  if (isdir && counted > 1 && is->links == 1) {
    r = fsf_fs_read_inode (sc->fs, ino, &in, NULL);
    if (r < 0)
      return r;
    if (r == 0 && (in.flags & FSF_INDEX_FL)) {
      links_finding (sc, PR_LINKS_DIR_OVERFLOW, ino, counted, is->links);
      return 0;
    }
  }
  links_finding (sc, PR_LINKS_COUNT, ino, counted, is->links);
  return 0;
}

/* Does pass 4 look at inode ino at all? */
static bool
counted_inode (const struct fsf_sb *sb, uint32_t ino)
{
  if (ino == FSF_BAD_INO || (ino > FSF_ROOT_INO && ino < sb->first_ino))
    return false;
  return ino != sb->prj_quota_inum && ino != sb->orphan_file_inum;
}

static int
check_counts (struct scrub_ctx *sc, const uint32_t *subdirs)
{
  struct scrub_pass *p = sc->pass;
  const struct fsf_sb *sb = &sc->fs->sb;
  size_t d = 0;
  uint32_t g, i;
  int r;

  for (g = 0; g < sb->groups_count; g++) {
    if (p->inodes[g] == NULL)
      continue;
    for (i = 0; i < sb->inodes_per_group; i++) {
      const struct scrub_istate *is = &p->inodes[g][i];
      uint32_t ino = g * sb->inodes_per_group + i + 1;
      uint32_t counted = is->refs;

      if (!(is->flags & SCRUB_ISTATE_USED) || !counted_inode (sb, ino))
        continue;
      /* An unlinked orphan nothing names is the kernel's to release. */
      if (is->links == 0 && is->refs == 0)
        continue;
      if (is->ftype == FSF_FT_DIR) {
        /* The directory list is in inode order: follow it along. */
        while (d < p->ndirs && p->dirs[d].ino < ino)
          d++;
        if (d == p->ndirs || p->dirs[d].ino != ino)
          continue;
        /* Its '.' and its subdirectories' '..' were never read. */
        if (is->flags & SCRUB_ISTATE_BADMAP)
          continue;
        counted += 1 + subdirs[d];
      }
      r = check_count (sc, ino, is, counted);
      if (r < 0)
        return r;
    }
  }
  return 0;
}

static int
scrub_links (struct scrub_ctx *sc)
{
  struct scrub_pass *p = sc->pass;
  struct scrub_istate *root;
  uint32_t *subdirs;
  uint8_t *done;
  size_t i;
  int r = -ENOMEM;

  /* Counting links needs every directory read, which only a full pass
   * does: standalone, say so and find nothing.
   */
  if (p == NULL) {
    sc->oflags |= SCRUB_OFLAG_INCOMPLETE;
    return 0;
  }
  /* Nor when the pass had no inode scrubber to note inodes in use.  (A
   * pass that noted none, all inode tables flagged uninit, goes on: its
   * root is missing.)
   */
  if (scrub_ops[SCRUB_TYPE_INODE] == NULL) {
    sc->oflags |= SCRUB_OFLAG_INCOMPLETE;
    return 0;
  }
  /* e2fsck -n stops at a missing root or a root that is no directory. */
  root = scrub_pass_istate (p, FSF_ROOT_INO);
  if (root == NULL || !(root->flags & SCRUB_ISTATE_USED)) {
    links_finding (sc, PR_LINKS_NO_ROOT, FSF_ROOT_INO, 0, 0);
    return 0;
  }
  if (root->ftype != FSF_FT_DIR) {
    links_finding (sc, PR_LINKS_ROOT_NOT_DIR, FSF_ROOT_INO, FSF_FT_DIR,
                   root->ftype);
    return 0;
  }
  subdirs = calloc (p->ndirs ? p->ndirs : 1, sizeof *subdirs);
  done = calloc (p->ndirs ? p->ndirs : 1, 1);
  if (subdirs && done) {
    check_connectivity (sc, done);
    memset (done, 0, p->ndirs);
    find_loops (sc, done, subdirs);
    memset (subdirs, 0, p->ndirs * sizeof *subdirs);
    for (i = 0; i < p->ndirs; i++) {
      size_t k = p->dirs[i].dotdot ? dir_index (p, p->dirs[i].dotdot)
        : SIZE_MAX;

      if (k != SIZE_MAX && subdirs[k] < UINT32_MAX)
        subdirs[k]++;
    }
    r = check_counts (sc, subdirs);
  }
  free (subdirs);
  free (done);
  return r;
}

const struct scrub_ops scrub_links_ops = {
  .scope = SCRUB_SCOPE_FS,
  .scrub = scrub_links,
};
