/* Unit tests: the problem catalogue (scrub/problem.c). */

#include <string.h>

#include "problem.h"
#include "unit.h"

/* Codes are stable identities: sorted (so lookup can bisect), unique,
 * and so are the names.
 */
static void
test_problem__codes_sorted_and_unique (void)
{
  size_t i, j;

  for (i = 1; i < scrub_problems_count; i++)
    CU_ASSERT (scrub_problems[i - 1].code < scrub_problems[i].code);
  for (i = 0; i < scrub_problems_count; i++)
    for (j = i + 1; j < scrub_problems_count; j++)
      CU_ASSERT (strcmp (scrub_problems[i].name, scrub_problems[j].name));
}

static void
test_problem__every_entry_is_complete (void)
{
  size_t i;

  for (i = 0; i < scrub_problems_count; i++) {
    const struct scrub_problem *p = &scrub_problems[i];

    CU_ASSERT_PTR_NOT_NULL (p->name);
    CU_ASSERT_PTR_NOT_NULL (p->message);
    CU_ASSERT (p->message && strlen (p->message) > 10);
    /* Only a problem with a repair may be repaired unattended. */
    CU_ASSERT (!p->unattended || p->repair != NULL);
    CU_ASSERT_PTR_EQUAL (scrub_problem (p->code), p);
  }
  CU_ASSERT_PTR_NULL (scrub_problem (0));
  CU_ASSERT_PTR_NULL (scrub_problem (0x7fff));
}

static void
test_problem__messages_fill_their_fields (void)
{
  struct scrub_finding f = { PR_GD_CSUM_MISMATCH, 7, 0, 0, 0xbeef, 0x1234,
                             NULL };
  char buf[256], small[10];

  scrub_format (&f, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL (buf, "group 7 descriptor checksum is 0x00001234, "
                          "expected 0x0000beef");
  CU_ASSERT_EQUAL (scrub_format (&f, small, sizeof small), strlen (buf));
  CU_ASSERT_EQUAL (strlen (small), sizeof small - 1);

  f.code = PR_SB_INODES_COUNT;
  f.expected = 8192;
  f.found = 8191;
  scrub_format (&f, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL (buf, "inode count is 8191, expected 8192 "
                          "(groups x inodes per group)");
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_problem__codes_sorted_and_unique),
  UNIT_TEST (test_problem__every_entry_is_complete),
  UNIT_TEST (test_problem__messages_fill_their_fields),
};

UNIT_MAIN ("scrub/problem", tests)
