/* Unit tests: the error sequence of SPEC section 5 (plugin/errseq.c). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errseq.h"
#include "statedir.h"
#include "unit.h"

static char dir[] = "/tmp/nbdscrub-unit-errseq.XXXXXX";
static char path[256];

static void
fresh_dir (void)
{
  char cmd[300];

  if (path[0]) {
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system (cmd) != 0)
      CU_FAIL_FATAL ("rm");
    strcpy (dir, "/tmp/nbdscrub-unit-errseq.XXXXXX");
  }
  CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/errseq.json", dir);
}

static void
write_file (const char *text)
{
  FILE *fp = fopen (path, "w");

  CU_ASSERT_PTR_NOT_NULL_FATAL (fp);
  fputs (text, fp);
  fclose (fp);
}

static void
test_errseq__new_connection_sees_nothing_old (void)
{
  struct errseq e;
  uint64_t seen;

  errseq_init (&e, false, NULL);
  errseq_advance (&e, NULL);
  seen = errseq_sample (&e, false);
  CU_ASSERT_EQUAL (errseq_check (&e, &seen), 0);
  errseq_destroy (&e);
}

/* One failure, three connections: each of the two that were open hears
 * of it exactly once; the one opened afterwards does not.
 */
static void
test_errseq__every_connection_hears_once (void)
{
  struct errseq e;
  uint64_t a, b, c;

  errseq_init (&e, false, NULL);
  a = errseq_sample (&e, false);
  b = errseq_sample (&e, false);
  errseq_advance (&e, NULL);
  c = errseq_sample (&e, false);

  CU_ASSERT_EQUAL (errseq_check (&e, &a), -EIO);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), 0);
  CU_ASSERT_EQUAL (errseq_check (&e, &b), -EIO);
  CU_ASSERT_EQUAL (errseq_check (&e, &b), 0);
  CU_ASSERT_EQUAL (errseq_check (&e, &c), 0);
  errseq_destroy (&e);
}

/* Two failures before a connection next flushes: one EIO covers both,
 * as Linux errseq does.
 */
static void
test_errseq__a_burst_is_reported_once (void)
{
  struct errseq e;
  uint64_t a;

  errseq_init (&e, false, NULL);
  a = errseq_sample (&e, false);
  errseq_advance (&e, NULL);
  errseq_advance (&e, NULL);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), -EIO);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), 0);
  errseq_destroy (&e);
}

/* The connection whose own reply carried the failure does not hear of it
 * again, but still hears of one it had not been told.
 */
static void
test_errseq__the_told_writer_is_not_told_twice (void)
{
  struct errseq e;
  uint64_t writer, other;

  errseq_init (&e, false, NULL);
  writer = errseq_sample (&e, false);
  other = errseq_sample (&e, false);
  errseq_advance (&e, &writer);
  CU_ASSERT_EQUAL (errseq_check (&e, &writer), 0);
  CU_ASSERT_EQUAL (errseq_check (&e, &other), -EIO);

  /* Now the writer has news pending from elsewhere. */
  errseq_advance (&e, NULL);
  errseq_advance (&e, &writer);
  CU_ASSERT_EQUAL (errseq_check (&e, &writer), -EIO);
  errseq_destroy (&e);
}

static void
test_errseq__sticky_fails_every_flush_until_acked (void)
{
  struct errseq e;
  uint64_t a, b;
  int i;

  errseq_init (&e, true, NULL);
  a = errseq_sample (&e, false);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), 0);
  errseq_advance (&e, NULL);
  b = errseq_sample (&e, false);
  for (i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL (errseq_check (&e, &a), -EIO);
    CU_ASSERT_EQUAL (errseq_check (&e, &b), -EIO);
  }
  errseq_ack (&e);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), 0);
  CU_ASSERT_EQUAL (errseq_check (&e, &b), 0);
  errseq_destroy (&e);
}

static void
test_errseq__report_past_starts_from_the_last_ack (void)
{
  struct errseq e;
  uint64_t a;

  errseq_init (&e, false, NULL);
  errseq_advance (&e, NULL);
  a = errseq_sample (&e, true);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), -EIO);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), 0);
  errseq_ack (&e);
  a = errseq_sample (&e, true);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), 0);
  errseq_destroy (&e);
}

static void
test_errseq__values_persist_across_restart (void)
{
  struct errseq e;
  struct errseq_values v;

  fresh_dir ();
  errseq_init (&e, false, path);
  CU_ASSERT_EQUAL (errseq_load (&e), 0); /* no file yet */
  errseq_advance (&e, NULL);
  errseq_advance (&e, NULL);
  errseq_ack (&e);
  errseq_advance (&e, NULL);
  errseq_destroy (&e);

  errseq_init (&e, false, path);
  CU_ASSERT_EQUAL (errseq_load (&e), 0);
  v = errseq_get (&e);
  CU_ASSERT_EQUAL (v.seq, 3);
  CU_ASSERT_EQUAL (v.acked, 2);
  CU_ASSERT_FALSE (v.suspect);
  errseq_destroy (&e);
}

/* A volatile session that never reached its final sync leaves the mark;
 * the next server, in any mode, fails FLUSH until acknowledged.
 */
static void
test_errseq__crashed_volatile_session_makes_the_export_suspect (void)
{
  struct errseq e;
  uint64_t a;

  fresh_dir ();
  errseq_init (&e, true, path);
  CU_ASSERT_EQUAL (errseq_load (&e), 0);
  CU_ASSERT_EQUAL (errseq_set_unclean (&e, true), 0);
  errseq_destroy (&e);            /* "crash": the mark is never cleared */

  errseq_init (&e, false, path);  /* restarted with flush=sync */
  CU_ASSERT_EQUAL (errseq_load (&e), 0);
  CU_ASSERT_TRUE (errseq_get (&e).suspect);
  CU_ASSERT_EQUAL (errseq_get (&e).seq, 1);
  a = errseq_sample (&e, false);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), -EIO);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), -EIO);
  errseq_destroy (&e);

  /* Still suspect after another restart, until acknowledged. */
  errseq_init (&e, false, path);
  CU_ASSERT_EQUAL (errseq_load (&e), 0);
  CU_ASSERT_TRUE (errseq_get (&e).suspect);
  errseq_ack (&e);
  a = errseq_sample (&e, false);
  CU_ASSERT_EQUAL (errseq_check (&e, &a), 0);
  errseq_destroy (&e);

  errseq_init (&e, false, path);
  CU_ASSERT_EQUAL (errseq_load (&e), 0);
  CU_ASSERT_FALSE (errseq_get (&e).suspect);
  errseq_destroy (&e);
}

static void
test_errseq__clean_volatile_session_leaves_no_mark (void)
{
  struct errseq e;

  fresh_dir ();
  errseq_init (&e, true, path);
  CU_ASSERT_EQUAL (errseq_set_unclean (&e, true), 0);
  CU_ASSERT_EQUAL (errseq_set_unclean (&e, false), 0);
  errseq_destroy (&e);
  errseq_init (&e, false, path);
  CU_ASSERT_EQUAL (errseq_load (&e), 0);
  CU_ASSERT_FALSE (errseq_get (&e).suspect);
  errseq_destroy (&e);
}

static void
test_errseq__damaged_files_are_refused (void)
{
  static const char *const bad[] = {
    "", "{", "[]", "{\"seq\": 1}", "{\"seq\": -1, \"acked\": 0}",
    "{\"seq\": 1, \"acked\": 2}", "{\"seq\": \"1\", \"acked\": 0}",
    "{\"seq\": 1, \"seq\": 2, \"acked\": 0}",
  };
  struct errseq e;
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    fresh_dir ();
    write_file (bad[i]);
    errseq_init (&e, false, path);
    CU_ASSERT_EQUAL (errseq_load (&e), -EBADMSG);
    CU_ASSERT_EQUAL (errseq_get (&e).seq, 0);
    errseq_destroy (&e);
  }
}

static void
test_errseq__atomic_write_replaces_whole_file (void)
{
  char buf[64] = "";
  FILE *fp;

  fresh_dir ();
  write_file ("old contents that are longer than the new ones");
  CU_ASSERT_EQUAL (statedir_write_atomic (path, "new", 3), 0);
  fp = fopen (path, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL (fp);
  CU_ASSERT_PTR_NOT_NULL (fgets (buf, sizeof buf, fp));
  fclose (fp);
  CU_ASSERT_STRING_EQUAL (buf, "new");
  CU_ASSERT_EQUAL (statedir_write_atomic ("/nonexistent/dir/f", "x", 1),
                   -ENOENT);
}

static void
test_errseq__statedir_create_is_idempotent_and_refuses_files (void)
{
  char sub[300];

  fresh_dir ();
  snprintf (sub, sizeof sub, "%s/state", dir);
  CU_ASSERT_EQUAL (statedir_create (sub), 0);
  CU_ASSERT_EQUAL (statedir_create (sub), 0);
  write_file ("x");
  CU_ASSERT_EQUAL (statedir_create (path), -ENOTDIR);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_errseq__new_connection_sees_nothing_old),
  UNIT_TEST (test_errseq__every_connection_hears_once),
  UNIT_TEST (test_errseq__a_burst_is_reported_once),
  UNIT_TEST (test_errseq__the_told_writer_is_not_told_twice),
  UNIT_TEST (test_errseq__sticky_fails_every_flush_until_acked),
  UNIT_TEST (test_errseq__report_past_starts_from_the_last_ack),
  UNIT_TEST (test_errseq__values_persist_across_restart),
  UNIT_TEST (test_errseq__crashed_volatile_session_makes_the_export_suspect),
  UNIT_TEST (test_errseq__clean_volatile_session_leaves_no_mark),
  UNIT_TEST (test_errseq__damaged_files_are_refused),
  UNIT_TEST (test_errseq__atomic_write_replaces_whole_file),
  UNIT_TEST (test_errseq__statedir_create_is_idempotent_and_refuses_files),
};

static int
run (void)
{
  int r = unit_run ("plugin/errseq", tests, sizeof tests / sizeof tests[0]);
  char cmd[300];

  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (path[0] && system (cmd) != 0)
    r = 1;
  return r;
}

int
main (void)
{
  return run ();
}
