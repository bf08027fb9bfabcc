/* nbdscrub: opening an image for dump and check (see cli.h).
 *
 * One path for both: open the file or block device read-only, then the
 * filesystem in it as the server's passes do (open.h).  Every refusal is
 * one line on stderr; the caller exits 8.
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
#include "open.h"

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

int
cli_image_open (struct cli_image *im, struct fsf_fs *fs, const char *path,
                bool replay)
{
  struct scrub_open info;
  char why[768];
  int r;

  im->primary_problem = 0;
  im->backup_used = false;
  if (image_fd (im, path) == -1) {
    if (im->fd != -1)
      close (im->fd);
    return -1;
  }
  r = scrub_fs_open (fs, &im->src, replay, &info, why, sizeof why);
  im->primary_problem = info.primary_problem;
  im->backup_used = info.backup_used;
  if (info.note[0])
    cli_error ("%s: %s", path, info.note);
  if (r != 0) {
    cli_error ("%s: %s", path, why);
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
