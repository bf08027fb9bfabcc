/* nbdscrub check IMAGE [--json] [--progress|--no-progress]
 *
 * The offline front of the scrub engine: one full pass (pass.h) over the
 * image, read through its replayed journal, never written.  Exit codes
 * as e2fsck's: 0 when no finding is CORRUPT or XCORRUPT (PREEN and
 * WARNING print but do not count), 4 when one is, 8 when the image
 * cannot be checked, 16 for a bad command line.
 *
 * Human output: one line per finding, "CODE NAME OBJECT: message", then
 * a summary.  --json: one document on stdout.  The progress bar goes to
 * stderr, and only when stderr is a terminal.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "pass.h"
#include "report.h"

/* Findings kept for the JSON document; past this many they are only
 * counted (a hostile image can make millions).
 */
#define CHECK_MAX_KEPT 100000

struct check_opts {
  const char *image;
  bool json;
  int progress;               /* -1 auto, 0 off, 1 asked for */
};

struct check_run {
  const struct check_opts *o;
  json_t *problems;           /* --json: the array */
  uint64_t kept, dropped;
  bool bar_shown;
  enum scrub_phase bar_phase;
  int bar_pct;
};

static void
bar_clear (struct check_run *cr)
{
  if (cr->bar_shown) {
    fputs ("\r\033[K", stderr);
    cr->bar_shown = false;
  }
}

static void
on_finding (void *opaque, const struct scrub_ctx *sc,
            const struct scrub_finding *f)
{
  struct check_run *cr = opaque;
  const struct scrub_problem *p = scrub_problem (f->code);
  const char *name = p ? p->name : "UNKNOWN";
  char msg[512], obj[64];

  (void) sc;
  scrub_format (f, msg, sizeof msg);
  scrub_object_name (f, obj, sizeof obj);
  if (!cr->o->json) {
    bar_clear (cr);
    printf ("0x%04x %s %s: %s%s\n", (unsigned) f->code, name, obj, msg,
            p && (p->severity == SEV_PREEN || p->severity == SEV_WARNING)
            ? " (not an error)" : "");
    return;
  }
  if (cr->kept >= CHECK_MAX_KEPT) {
    cr->dropped++;
    return;
  }
  json_array_append_new (cr->problems, scrub_finding_json (f));
  cr->kept++;
}

static void
on_progress (void *opaque, enum scrub_phase ph, uint64_t done,
             uint64_t total)
{
  struct check_run *cr = opaque;
  int pct = total ? (int) (done * 100 / total) : 100;

  if (cr->bar_shown && ph == cr->bar_phase && pct == cr->bar_pct)
    return;
  cr->bar_phase = ph;
  cr->bar_pct = pct;
  cr->bar_shown = true;
  fprintf (stderr, "\r\033[K[%u/%u] %-12s %3d%%", (unsigned) ph + 1,
           (unsigned) SCRUB_PHASE_NR, scrub_phase_names[ph], pct);
  fflush (stderr);
}

static int
parse (int argc, char **argv, struct check_opts *o)
{
  static const struct option longopts[] = {
    { "json", no_argument, NULL, 'j' },
    { "progress", no_argument, NULL, 'p' },
    { "no-progress", no_argument, NULL, 'P' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  memset (o, 0, sizeof *o);
  o->progress = -1;
  optind = 1;
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'j': o->json = true; break;
    case 'p': o->progress = 1; break;
    case 'P': o->progress = 0; break;
    case 'h': return 1;
    default: return -1;
    }
  }
  if (optind != argc - 1) {
    if (optind == argc)
      cli_error ("check: an IMAGE is required");
    else
      cli_error ("check: one IMAGE only");
    return -1;
  }
  o->image = argv[optind];
  return 0;
}

/* Health (SPEC 6.4): the groups and inodes a CORRUPT or XCORRUPT
 * finding names.  At most this many groups are listed.
 */
#define CHECK_MAX_SICK_GROUPS 1000

static json_t *
health_json (const struct scrub_pass *p)
{
  const struct fsf_sb *sb = &p->fs->sb;
  json_t *groups = json_array ();
  uint64_t checked = 0, sick_groups = 0, sick_inodes = 0;
  uint32_t g, i;

  for (g = 0; g < sb->groups_count; g++) {
    checked += (p->group_health[g] & SCRUB_GHEALTH_CHECKED) != 0;
    if (p->group_health[g] & SCRUB_GHEALTH_SICK
        && sick_groups++ < CHECK_MAX_SICK_GROUPS)
      json_array_append_new (groups, json_integer (g));
    if (p->inodes[g])
      for (i = 0; i < sb->inodes_per_group; i++)
        sick_inodes += (p->inodes[g][i].flags & SCRUB_ISTATE_SICK) != 0;
  }
  return json_pack ("{s:I, s:I, s:o, s:I}",
                    "groups_checked", (json_int_t) checked,
                    "groups_sick", (json_int_t) sick_groups,
                    "sick_groups", groups,
                    "inodes_sick", (json_int_t) sick_inodes);
}

static double
elapsed_since (const struct timespec *t0)
{
  struct timespec t1;

  clock_gettime (CLOCK_MONOTONIC, &t1);
  return (double) (t1.tv_sec - t0->tv_sec)
    + (double) (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int
cli_check (int argc, char **argv)
{
  struct check_opts o;
  struct check_run cr;
  struct cli_image im;
  struct fsf_fs fs;
  struct scrub_pass pass;
  struct timespec t0;
  uint64_t errors;
  int r, status;
  bool bar;

  r = parse (argc, argv, &o);
  if (r != 0) {
    fprintf (r > 0 ? stdout : stderr,
             "usage: nbdscrub check IMAGE [--json] "
             "[--progress|--no-progress]\n");
    return r > 0 ? EXIT_CLEAN : EXIT_USAGE;
  }
  clock_gettime (CLOCK_MONOTONIC, &t0);
  memset (&cr, 0, sizeof cr);
  cr.o = &o;
  if (o.json)
    cr.problems = json_array ();
  r = cli_image_open (&im, &fs, o.image, true);
  /* The primary superblock's fault is a finding, whether or not a
   * backup let the check go on.
   */
  if (im.primary_problem) {
    struct scrub_finding f = { im.primary_problem, 0, 0, 0, 0, 0, NULL };

    on_finding (&cr, NULL, &f);
  }
  if (r == -1) {
    if (o.json) {
      json_t *doc = json_pack ("{s:s, s:s, s:o}", "image", o.image,
                               "result", "error", "problems", cr.problems);

      json_dumpf (doc, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      putchar ('\n');
      json_decref (doc);
    }
    return EXIT_OPERATIONAL;
  }

  bar = o.progress != 0 && isatty (STDERR_FILENO);
  r = scrub_pass_init (&pass, &fs, on_finding, &cr,
                       bar ? on_progress : NULL, &cr);
  if (r == 0)
    r = scrub_pass_run (&pass);
  bar_clear (&cr);
  if (r < 0) {
    cli_error ("%s: the check could not finish: %s", o.image,
               strerror (-r));
    json_decref (cr.problems);
    scrub_pass_free (&pass);
    cli_image_close (&im, &fs);
    return EXIT_OPERATIONAL;
  }

  errors = pass.problems[SEV_CORRUPT] + pass.problems[SEV_XCORRUPT]
    + (im.primary_problem != 0);
  status = errors ? EXIT_PROBLEMS : EXIT_CLEAN;
  if (o.json) {
    json_t *doc = json_pack (
      "{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, "
      "s:f}, s:o, s:o}",
      "image", o.image, "result", errors ? "corrupt" : "clean",
      "problems", cr.problems,
      "summary",
      "problems", (json_int_t) (errors + pass.problems[SEV_PREEN]
                                + pass.problems[SEV_WARNING]),
      "corrupt", (json_int_t) (pass.problems[SEV_CORRUPT]
                               + (im.primary_problem != 0)),
      "xcorrupt", (json_int_t) pass.problems[SEV_XCORRUPT],
      "preen", (json_int_t) pass.problems[SEV_PREEN],
      "warning", (json_int_t) pass.problems[SEV_WARNING],
      "problems_not_listed", (json_int_t) cr.dropped,
      "inodes_used", (json_int_t) pass.inodes_used,
      "directories", (json_int_t) pass.ndirs,
      "journal_replayed", fs.replayed,
      "elapsed_s", elapsed_since (&t0),
      "stats", scrub_stats_json (pass.stats), "health", health_json (&pass));

    json_dumpf (doc, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    putchar ('\n');
    json_decref (doc);
  }
  else {
    if (fs.replayed)
      printf ("%s: journal replayed in memory (%" PRIu32 " transaction(s)); "
              "the image is unchanged\n", o.image, fs.jr.transactions);
    printf ("%s: %s: %" PRIu64 " error(s), %" PRIu64 " to preen, %" PRIu64
            " warning(s); %" PRIu64 "/%" PRIu32 " inodes, %zu directories, "
            "%" PRIu64 "/%" PRIu64 " blocks in use\n",
            o.image, errors ? "PROBLEMS FOUND" : "clean", errors,
            pass.problems[SEV_PREEN], pass.problems[SEV_WARNING],
            pass.inodes_used, fs.sb.inodes_count, pass.ndirs,
            pass.blocks_claimed, fs.sb.blocks_count);
  }
  scrub_pass_free (&pass);
  cli_image_close (&im, &fs);
  return status;
}
