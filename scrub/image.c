/* nbdscrub: opening an image for dump and check (see cli.h).
 *
 * One path for both: open the file or block device read-only, decode the
 * raw superblock, refuse by name the features this version cannot read,
 * then (unless asked not to) open again through the replayed journal.
 * Every refusal is one line on stderr; the caller exits 8.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "journal.h"
#include "problem.h"

static int
image_fd (struct cli_image *im, const char *path)
{
  struct stat st;
  uint64_t size;

  im->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (im->fd == -1 || fstat (im->fd, &st) == -1) {
    cli_error ("%s: %s", path, strerror (errno));
    return -1;
  }
  if (S_ISBLK (st.st_mode)) {
    if (ioctl (im->fd, BLKGETSIZE64, &size) == -1) {
      cli_error ("%s: %s", path, strerror (errno));
      return -1;
    }
  }
  else if (S_ISREG (st.st_mode))
    size = (uint64_t) st.st_size;
  else {
    cli_error ("%s: not a regular file or block device", path);
    return -1;
  }
  fsf_source_fd (&im->src, &im->fd, size);
  return 0;
}

/* Open, refusing what cannot be read; returns 0 or an fsf_fs_open
 * result, having said why on stderr when it is not 0 (-1: said).
 */
static int
open_fs (struct cli_image *im, struct fsf_fs *fs, const char *path,
         bool replay)
{
  char names[512];
  int r;

  if (im->src.size < FSF_SB_OFFSET + FSF_SB_SIZE) {
    cli_error ("%s: too small (%" PRIu64 " bytes) to hold an ext2/3/4 "
               "superblock", path, im->src.size);
    return -1;
  }
  /* First the raw superblock: refuse by name what we cannot read,
   * before replaying anything.
   */
  r = fsf_fs_open (fs, &im->src, FSF_FS_NO_REPLAY);
  if (r == FSF_BAD_MAGIC || r == FSF_BAD_FIELD) {
    /* What is wrong with the primary, from what it decoded. */
    if (r == FSF_BAD_MAGIC)
      im->primary_problem = PR_SB_BAD_MAGIC;
    else if (fs->sb.first_ino < FSF_GOOD_OLD_FIRST_INO
             || fs->sb.first_ino > fs->sb.inodes_count)
      im->primary_problem = PR_SB_FIRST_INO_RANGE;
    else
      im->primary_problem = PR_SB_BAD_GEOMETRY;
    if (fsf_fs_open_backup (fs, &im->src) != 0) {
      cli_error ("%s: the superblock is unusable (%s) and no backup "
                 "superblock was found", path, fsf_bad_name (r));
      return -1;
    }
    cli_error ("%s: the superblock is unusable (%s): reading the backup "
               "in group %" PRIu32 " instead", path, fsf_bad_name (r),
               fs->sb_group);
    im->backup_used = true;
    r = 0;
  }
  if (r == 0 && fsf_sb_unsupported (&fs->sb, names, sizeof names) > 0) {
    cli_error ("%s: unsupported feature(s): %s", path, names);
    fsf_fs_close (fs);
    return -1;
  }
  if (r == 0 && replay && fs->needs_recovery && !im->backup_used) {
    struct fsf_jsb jsb;

    /* Name what the journal uses that recovery cannot read. */
    if (fsf_fs_journal_sb (fs, &jsb) == FSF_BAD_UNSUPPORTED) {
      if (fsf_jsb_unsupported (&jsb, names, sizeof names) > 0)
        cli_error ("%s: the journal uses unsupported feature(s): %s",
                   path, names);
      else
        cli_error ("%s: the journal is shared by %" PRIu32 " filesystems "
                   "(an external journal): unsupported", path,
                   jsb.nr_users);
      fsf_fs_close (fs);
      return -1;
    }
    fsf_fs_close (fs);
    r = fsf_fs_open (fs, &im->src, 0);
  }
  if (r == FSF_BAD_RANGE) {
    cli_error ("%s: the superblock says the filesystem is larger than the "
               "%" PRIu64 "-byte image (truncated, or a bad superblock)",
               path, im->src.size);
    return -1;
  }
  if (r != 0) {
    cli_error ("%s: cannot read the filesystem: %s", path,
               r < 0 ? strerror (-r) : fsf_bad_name (r));
    return -1;
  }
  return 0;
}

int
cli_image_open (struct cli_image *im, struct fsf_fs *fs, const char *path,
                bool replay)
{
  im->primary_problem = 0;
  im->backup_used = false;
  if (image_fd (im, path) == -1) {
    if (im->fd != -1)
      close (im->fd);
    return -1;
  }
  if (open_fs (im, fs, path, replay) != 0) {
    close (im->fd);
    return -1;
  }
  return 0;
}

void
cli_image_close (struct cli_image *im, struct fsf_fs *fs)
{
  fsf_fs_close (fs);
  close (im->fd);
}
