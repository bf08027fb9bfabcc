/* nbdscrub: opening the filesystem a pass reads (see open.h). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "open.h"
#include "problem.h"

int
scrub_fs_open (struct fsf_fs *fs, const struct fsf_source *src, bool replay,
               struct scrub_open *info, char *why, size_t len)
{
  char names[512];
  int r;

  memset (info, 0, sizeof *info);
  *why = '\0';
  if (src->size < FSF_SB_OFFSET + FSF_SB_SIZE) {
    info->no_fs = true;
    snprintf (why, len, "too small (%" PRIu64 " bytes) to hold an "
              "ext2/3/4 superblock", src->size);
    return -1;
  }
  /* First the raw superblock: refuse by name what we cannot read,
   * before replaying anything.
   */
  r = fsf_fs_open (fs, src, FSF_FS_NO_REPLAY);
  if (r == FSF_BAD_MAGIC || r == FSF_BAD_FIELD) {
    /* What is wrong with the primary, from what it decoded. */
    if (r == FSF_BAD_MAGIC)
      info->primary_problem = PR_SB_BAD_MAGIC;
    else if (fs->sb.first_ino < FSF_GOOD_OLD_FIRST_INO
             || fs->sb.first_ino > fs->sb.inodes_count)
      info->primary_problem = PR_SB_FIRST_INO_RANGE;
    else
      info->primary_problem = PR_SB_BAD_GEOMETRY;
    if (fsf_fs_open_backup (fs, src) != 0) {
      info->no_fs = r == FSF_BAD_MAGIC;
      snprintf (why, len, "the superblock is unusable (%s) and no backup "
                "superblock was found", fsf_bad_name (r));
      return -1;
    }
    snprintf (info->note, sizeof info->note, "the superblock is unusable "
              "(%s): reading the backup in group %" PRIu32 " instead",
              fsf_bad_name (r), fs->sb_group);
    info->backup_used = true;
    r = 0;
  }
  if (r == 0 && fsf_sb_unsupported (&fs->sb, names, sizeof names) > 0) {
    snprintf (why, len, "unsupported feature(s): %s", names);
    fsf_fs_close (fs);
    return -1;
  }
  if (r == 0 && replay && fs->needs_recovery && !info->backup_used) {
    struct fsf_jsb jsb;

    /* Name what the journal uses that recovery cannot read. */
    if (fsf_fs_journal_sb (fs, &jsb) == FSF_BAD_UNSUPPORTED) {
      if (fsf_jsb_unsupported (&jsb, names, sizeof names) > 0)
        snprintf (why, len, "the journal uses unsupported feature(s): %s",
                  names);
      else
        snprintf (why, len, "the journal is shared by %" PRIu32
                  " filesystems (an external journal): unsupported",
                  jsb.nr_users);
      fsf_fs_close (fs);
      return -1;
    }
    fsf_fs_close (fs);
    r = fsf_fs_open (fs, src, 0);
  }
  if (r == FSF_BAD_RANGE) {
    snprintf (why, len, "the superblock says the filesystem is larger than "
              "the %" PRIu64 "-byte image (truncated, or a bad superblock)",
              src->size);
    return -1;
  }
  if (r != 0) {
    snprintf (why, len, "cannot read the filesystem: %s",
              r < 0 ? strerror (-r) : fsf_bad_name (r));
    return -1;
  }
  return 0;
}
