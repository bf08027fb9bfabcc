/* nbdscrub: opening the filesystem a pass reads, for `nbdscrub check`
 * and `dump` and for the server's scheduler alike.
 *
 * Open the raw superblock first and refuse by name what this version
 * cannot read; fall back to group 1's backup superblock when the
 * primary is unusable, as e2fsck does; then, unless asked not to, open
 * again through the journal replayed in memory.
 */
#ifndef NBDSCRUB_OPEN_H
#define NBDSCRUB_OPEN_H

#include <stdbool.h>
#include <stddef.h>

#include "fs.h"

struct scrub_open {
  /* When the primary superblock is unusable: what is wrong with it (a
   * problem code: SB_BAD_MAGIC...; 0 when it is fine), and whether group
   * 1's backup was opened instead.
   */
  int primary_problem;
  bool backup_used;
  /* No ext2/3/4 superblock at all, primary or backup. */
  bool no_fs;
  /* A line to tell the user even on success (the backup is used), or "". */
  char note[256];
};

/* Open the filesystem on src into fs.  Returns 0, or -1 with a one-line
 * reason in why (which never names the image: the caller does).
 */
extern int scrub_fs_open (struct fsf_fs *fs, const struct fsf_source *src,
                          bool replay, struct scrub_open *info, char *why,
                          size_t len);

#endif /* NBDSCRUB_OPEN_H */
