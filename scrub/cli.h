/* nbdscrub: the command line tool (SPEC section 9).
 *
 * A thin front: each subcommand parses its arguments and calls into
 * fsformat/ (and, later, the scrub engine and the control protocol).
 * Exit codes follow e2fsck.
 */
#ifndef NBDSCRUB_CLI_H
#define NBDSCRUB_CLI_H

#define EXIT_CLEAN 0        /* no problems */
#define EXIT_REPAIRED 1     /* problems were repaired */
#define EXIT_PROBLEMS 4     /* problems left */
#define EXIT_OPERATIONAL 8  /* could not open, unsupported, unreachable */
#define EXIT_USAGE 16       /* bad command line */

extern const char *cli_progname;

/* Subcommands: argv[0] is the subcommand's name. */
extern int cli_dump (int argc, char **argv);

/* "nbdscrub: " + message on stderr. */
extern void cli_error (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2)));

#endif /* NBDSCRUB_CLI_H */
