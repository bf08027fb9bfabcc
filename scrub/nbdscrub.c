/* nbdscrub: main and subcommand dispatch (see cli.h). */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef NBDSCRUB_VERSION
#define NBDSCRUB_VERSION "0.1.0"
#endif

const char *cli_progname = "nbdscrub";

void
cli_error (const char *fmt, ...)
{
  va_list ap;

  fprintf (stderr, "%s: ", cli_progname);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

static void
usage (FILE *fp)
{
  fprintf (fp,
           "usage: nbdscrub check IMAGE [--json] [--progress|--no-progress]\n"
           "       nbdscrub dump IMAGE [--json] [--no-replay] [--groups]\n"
           "                     [--inode N] [--journal]\n"
           "       nbdscrub --version | --help\n"
           "\n"
           "The other subcommands of nbdscrub(1) (repair, undo, status,\n"
           "scrub, events...) are not in this version yet.\n");
}

static const struct {
  const char *name;
  int (*fn) (int argc, char **argv);
} subcommands[] = {
  { "check", cli_check },
  { "dump", cli_dump },
};

int
main (int argc, char **argv)
{
  size_t i;

  if (argc < 2) {
    usage (stderr);
    return EXIT_USAGE;
  }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
    usage (stdout);
    return EXIT_CLEAN;
  }
  if (strcmp (argv[1], "--version") == 0) {
    printf ("nbdscrub %s\n", NBDSCRUB_VERSION);
    return EXIT_CLEAN;
  }
  for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
    if (strcmp (argv[1], subcommands[i].name) == 0)
      return subcommands[i].fn (argc - 1, argv + 1);
  cli_error ("unknown subcommand '%s'", argv[1]);
  usage (stderr);
  return EXIT_USAGE;
}
