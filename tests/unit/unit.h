/* nbdscrub: the shared harness of the CUnit unit tests.
 *
 * A test file lists its tests in one table and ends with
 *
 *   UNIT_MAIN ("suite name", tests)
 *
 * which runs them in CUnit's basic mode (its summary is what
 * tests/run-tests.sh counts) and exits non-zero on any failure.
 */
#ifndef NBDSCRUB_UNIT_H
#define NBDSCRUB_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

struct unit_test {
  const char *name;
  void (*fn) (void);
};

#define UNIT_TEST(f) { #f, f }

static inline int
unit_run (const char *suite_name, const struct unit_test *tests, size_t n)
{
  CU_pSuite suite;
  unsigned failed;
  size_t i;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite (suite_name, NULL, NULL);
  if (suite == NULL)
    return 2;
  for (i = 0; i < n; i++)
    if (CU_add_test (suite, tests[i].name, tests[i].fn) == NULL)
      return 2;
  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failed = CU_get_number_of_tests_failed ();
  CU_cleanup_registry ();
  return failed ? 1 : 0;
}

#define UNIT_MAIN(suite_name, tests)                                    \
  int                                                                   \
  main (void)                                                           \
  {                                                                     \
    return unit_run (suite_name, tests, sizeof tests / sizeof tests[0]); \
  }

/* As UNIT_MAIN, then remove the suite's scratch directory dir (made by
 * mkdtemp when made is true); failing to remove it fails the run.
 */
static inline int
unit_run_rmdir (const char *suite_name, const struct unit_test *tests,
                size_t n, const char *dir, bool made)
{
  int r = unit_run (suite_name, tests, n);
  char cmd[256];

  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  if (made && system (cmd) != 0)
    r = 1;
  return r;
}

#define UNIT_MAIN_RMDIR(suite_name, tests, dir, made)                   \
  int                                                                   \
  main (void)                                                           \
  {                                                                     \
    return unit_run_rmdir (suite_name, tests,                           \
                           sizeof tests / sizeof tests[0], dir, made);  \
  }

#endif /* NBDSCRUB_UNIT_H */
