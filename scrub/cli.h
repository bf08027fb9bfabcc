/* nbdscrub: the command line tool (SPEC section 9).
 *
 * A thin front: each subcommand parses its arguments and calls into
 * fsformat/ (and, later, the scrub engine and the control protocol).
 * Exit codes follow e2fsck.
 */
#ifndef NBDSCRUB_CLI_H
#define NBDSCRUB_CLI_H

#include <stdbool.h>

#include "fs.h"

#define EXIT_CLEAN 0        /* no problems */
#define EXIT_REPAIRED 1     /* problems were repaired */
#define EXIT_PROBLEMS 4     /* problems left */
#define EXIT_OPERATIONAL 8  /* could not open, unsupported, unreachable */
#define EXIT_USAGE 16       /* bad command line */

extern const char *cli_progname;

/* Subcommands: argv[0] is the subcommand's name. */
extern int cli_dump (int argc, char **argv);
extern int cli_check (int argc, char **argv);

/* An image file or block device, opened read-only, as a source. */
struct cli_image {
  int fd;
  struct fsf_source src;
  /* When the primary superblock is unusable: what is wrong with it (a
   * problem code, SB_BAD_MAGIC...; 0 when it is fine) and whether group
   * 1's backup superblock was opened instead, as e2fsck would.
   */
  int primary_problem;
  bool backup_used;
};

/* Open path and the filesystem in it, through the replayed journal when
 * replay is true.  An unusable primary superblock (bad magic or
 * impossible geometry) falls back to group 1's backup, said on stderr
 * and in im->primary_problem.  Unsupported features (of the filesystem
 * or of a journal that needs recovery) are refused by name.  Returns 0,
 * or -1 having said why on stderr (exit EXIT_OPERATIONAL).
 */
extern int cli_image_open (struct cli_image *im, struct fsf_fs *fs,
                           const char *path, bool replay);
extern void cli_image_close (struct cli_image *im, struct fsf_fs *fs);

/* "nbdscrub: " + message on stderr. */
extern void cli_error (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2)));

#endif /* NBDSCRUB_CLI_H */
