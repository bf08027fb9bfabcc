/* nbdscrub: write docs/problems.md from the problem catalogue (make). */

#include <stdio.h>

#include "problem.h"

int
main (void)
{
  size_t i;

  printf ("# nbdscrub problem catalogue\n\n"
          "Generated from `scrub/problem.c` by the build; do not edit.\n"
          "Codes are stable: `0xTTNN`, `TT` the scrub type.  Severity "
          "maps to the\nscrub output flag (corrupt, xcorrupt, preen, "
          "warning); preen and warning\nleave `nbdscrub check`'s exit "
          "status at 0, as e2fsck does for them.\n"
          "In messages, `%%g` is a group, `%%i` an inode, `%%b` a block, "
          "`%%e`/`%%E`\nthe expected value and `%%f`/`%%F` the value found "
          "(hex with the capital).\n\n"
          "| code | name | severity | message | repair | unattended |\n"
          "|---|---|---|---|---|---|\n");
  for (i = 0; i < scrub_problems_count; i++) {
    const struct scrub_problem *p = &scrub_problems[i];

    printf ("| 0x%04x | `%s` | %s | %s | %s | %s |\n", p->code, p->name,
            scrub_severity_name (p->severity), p->message,
            p->repair ? p->repair : "none", p->unattended ? "yes" : "no");
  }
  return 0;
}
