/* nbdscrub: the superblock scrubber (SCRUB_TYPE_SUPERBLOCK).
 *
 * The primary superblock decoded already (fsf_fs_open refuses one whose
 * geometry is impossible; the CLI reports that as SB_BAD_MAGIC or
 * SB_BAD_GEOMETRY).  Here: its checksum, the counts that must fit the
 * geometry, the fields that name other objects, and every backup copy
 * against it.
 */

#include <string.h>

#include "scrub.h"

/* What a backup must agree on with the primary, as e2fsck's
 * check_backup_super_block compares them: the features, the block and
 * inode counts, the UUID.  Features the kernel sets in the primary alone
 * while it works (needs_recovery, orphan_present) or sets lazily
 * (extents, large_file, dir_nlink) are left out; free counts, times and
 * mount state legitimately go stale in backups, which only mke2fs,
 * resize2fs and e2fsck rewrite.
 */
#define BACKUP_INCOMPAT_IGNORE (FSF_INCOMPAT_EXTENTS | FSF_INCOMPAT_RECOVER)
#define BACKUP_RO_COMPAT_IGNORE (FSF_RO_COMPAT_LARGE_FILE              \
                                 | FSF_RO_COMPAT_DIR_NLINK             \
                                 | FSF_RO_COMPAT_ORPHAN_PRESENT)

static bool
backup_agrees (const struct fsf_sb *p, const struct fsf_sb *b)
{
  return p->feature_compat == b->feature_compat
    && (p->feature_incompat & ~BACKUP_INCOMPAT_IGNORE)
       == (b->feature_incompat & ~BACKUP_INCOMPAT_IGNORE)
    && (p->feature_ro_compat & ~BACKUP_RO_COMPAT_IGNORE)
       == (b->feature_ro_compat & ~BACKUP_RO_COMPAT_IGNORE)
    && p->blocks_count == b->blocks_count
    && p->inodes_count == b->inodes_count
    && memcmp (p->uuid, b->uuid, sizeof p->uuid) == 0;
}

static int
check_backups (struct scrub_ctx *sc)
{
  const struct fsf_fs *fs = sc->fs;
  const struct fsf_sb *sb = &fs->sb;
  uint8_t buf[FSF_SB_SIZE];
  uint32_t g;

  for (g = 1; g < sb->groups_count; g++) {
    uint64_t block = fsf_sb_group_first_block (sb, g);
    struct fsf_sb b;
    int r;

    if (!fsf_sb_group_has_super (sb, g))
      continue;
    r = fsf_read (&fs->src, buf, sizeof buf, block * sb->block_size);
    if (r < 0)
      return r;
    if (fsf_sb_decode (buf, sizeof buf, &b) != 0) {
      chk_set_corrupt (sc, PR_SB_BACKUP_UNREADABLE, g, 0, block, 0, 0);
      continue;
    }
    if (!backup_agrees (sb, &b))
      chk_set_corrupt (sc, PR_SB_BACKUP_DIFFERS, g, 0, block, 0, 0);
  }
  return 0;
}

static int
scrub_superblock (struct scrub_ctx *sc)
{
  const struct fsf_fs *fs = sc->fs;
  const struct fsf_sb *sb = &fs->sb;
  uint64_t want_inodes = (uint64_t) sb->groups_count * sb->inodes_per_group;
  char names[512];

  if (fsf_sb_unsupported (sb, names, sizeof names) > 0) {
    struct scrub_finding f = { PR_SB_UNSUPPORTED, 0, 0, 0, 0, 0, names };

    chk_set (sc, &f);
  }
  if (fsf_has_metadata_csum (sb) && !fsf_sb_csum_verify (fs->sb_buf))
    chk_set_corrupt (sc, PR_SB_CSUM, 0, 0, 0, fsf_sb_csum (fs->sb_buf),
                     sb->checksum);
  if (sb->inodes_count != want_inodes)
    chk_set_corrupt (sc, PR_SB_INODES_COUNT, 0, 0, 0, want_inodes,
                     sb->inodes_count);
  if (sb->free_blocks_count > sb->blocks_count)
    chk_set_corrupt (sc, PR_SB_FREE_BLOCKS_RANGE, 0, 0, 0, sb->blocks_count,
                     sb->free_blocks_count);
  if (sb->free_inodes_count > sb->inodes_count)
    chk_set_corrupt (sc, PR_SB_FREE_INODES_RANGE, 0, 0, 0, sb->inodes_count,
                     sb->free_inodes_count);
  /* e2fsck allows at most half the blocks to be reserved. */
  if (sb->r_blocks_count > sb->blocks_count / 2)
    chk_set_corrupt (sc, PR_SB_R_BLOCKS_RANGE, 0, 0, 0,
                     sb->blocks_count / 2, sb->r_blocks_count);
  if (sb->first_ino > sb->inodes_count)
    chk_set_corrupt (sc, PR_SB_FIRST_INO_RANGE, 0, 0, 0, sb->inodes_count,
                     sb->first_ino);
  /* Errors the kernel recorded: e2fsck checks harder, but they are not
   * themselves a problem on disk.
   */
  if (sb->state & FSF_STATE_ERROR)
    chk_set_corrupt (sc, PR_SB_ERROR_STATE, 0, 0, 0, 0, sb->state);
  if (fsf_has_ro_compat (sb, FSF_RO_COMPAT_EXTRA_ISIZE)
      && sb->inode_size > FSF_GOOD_OLD_INODE_SIZE
      && (sb->min_extra_isize > sb->inode_size - FSF_GOOD_OLD_INODE_SIZE
          || sb->min_extra_isize % 4))
    chk_set_corrupt (sc, PR_SB_EXTRA_ISIZE, 0, 0, 0, sb->inode_size,
                     sb->min_extra_isize);
  if (fsf_has_compat (sb, FSF_COMPAT_HAS_JOURNAL) && sb->journal_dev == 0
      && (sb->journal_inum == 0 || sb->journal_inum > sb->inodes_count))
    chk_set_corrupt (sc, PR_SB_JOURNAL_INUM, 0, 0, 0, 0, sb->journal_inum);
  if (sb->last_orphan
      && (sb->last_orphan < sb->first_ino
          || sb->last_orphan > sb->inodes_count))
    chk_set_corrupt (sc, PR_SB_LAST_ORPHAN, 0, sb->last_orphan, 0, 0,
                     sb->last_orphan);
  return check_backups (sc);
}

const struct scrub_ops scrub_superblock_ops = {
  .scope = SCRUB_SCOPE_FS,
  .scrub = scrub_superblock,
};
