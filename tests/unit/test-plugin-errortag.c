/* Unit tests: fault-injection tags (plugin/errortag.c). */

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "errortag.h"
#include "unit.h"

static char err[256];

static int
parse (struct errortag_set *set, const char *spec)
{
  memset (set, 0, sizeof *set);
  err[0] = '\0';
  return errortag_parse (set, spec, err, sizeof err);
}

static void
test_errortag__spec_examples_parse (void)
{
  static const char *const good[] = {
    "read-eio@1M+4k", "write-enospc@0+64k", "read-eintr*5",
    "fsync-eio*1", "fatal-ebadf@8M", "any-eagain*2", "trim-eio",
    "zero-enospc@4096", "write-edquot@1G+1G*3", "read-EIO@0",
  };
  struct errortag_set set;
  size_t i;

  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    CU_ASSERT_EQUAL (parse (&set, good[i]), 0);
    CU_ASSERT_EQUAL (set.n, 1);
  }
}

static void
test_errortag__fields_are_decoded (void)
{
  struct errortag_set set;
  struct errortag *t = &set.tag[0];

  CU_ASSERT_EQUAL_FATAL (parse (&set, "write-edquot@1G+2M*3"), 0);
  CU_ASSERT_EQUAL (t->ops, ERRTAG_OP_WRITE);
  CU_ASSERT_EQUAL (t->err, EDQUOT);
  CU_ASSERT_TRUE (t->ranged);
  CU_ASSERT_EQUAL (t->offset, 1ULL << 30);
  CU_ASSERT_EQUAL (t->len, 2ULL << 20);
  CU_ASSERT_TRUE (t->counted);
  CU_ASSERT_EQUAL (t->count, 3);

  CU_ASSERT_EQUAL_FATAL (parse (&set, "fatal-ebadf@8M"), 0);
  CU_ASSERT_EQUAL (t->ops, ERRTAG_OP_ANY);
  CU_ASSERT_EQUAL (t->offset, 8ULL << 20);
  CU_ASSERT_EQUAL (t->len, 1);
  CU_ASSERT_FALSE (t->counted);
}

static void
test_errortag__lists_and_repeated_keys_accumulate (void)
{
  struct errortag_set set;

  CU_ASSERT_EQUAL (parse (&set, "read-eio@0,fsync-eio*1,read-eintr*9"), 0);
  CU_ASSERT_EQUAL (set.n, 3);
  CU_ASSERT_EQUAL (errortag_parse (&set, "write-eio", err, sizeof err), 0);
  CU_ASSERT_EQUAL (set.n, 4);
}

static void
test_errortag__malformed_tags_are_refused (void)
{
  static const char *const bad[] = {
    "", "read", "read-", "-eio", "read-eio@", "read-eio@+4k",
    "read-eio@1M+", "read-eio@1M+0", "read-eio*0", "read-eio*",
    "read-eio@1X", "read-bogus", "bogus-eio", "read-eio,", ",read-eio",
    "fsync-eio@0", "fatal-eio", "fatal-enospc@0", "read-eio@1M*2+4k",
    "read-eio@18446744073709551615+2",
  };
  struct errortag_set set;
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CU_ASSERT_EQUAL (parse (&set, bad[i]), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "errortag"));
  }
}

static void
test_errortag__too_many_tags_are_refused (void)
{
  struct errortag_set set;
  char spec[ERRORTAG_MAX * 12 + 16] = "";
  int i;

  for (i = 0; i <= ERRORTAG_MAX; i++)
    strcat (spec, i ? ",read-eio" : "read-eio");
  CU_ASSERT_EQUAL (parse (&set, spec), -1);
  CU_ASSERT_EQUAL (set.n, ERRORTAG_MAX);
}

static void
test_errortag__range_matches_only_overlapping_requests (void)
{
  struct errortag_set set;

  parse (&set, "read-eio@1M+4k");
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_READ, 1 << 20, 1), EIO);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_READ, (1 << 20) - 512,
                                   513), EIO);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_READ, (1 << 20) + 4095,
                                   4096), EIO);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_READ, (1 << 20) - 512,
                                   512), 0);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_READ, (1 << 20) + 4096,
                                   4096), 0);
  /* Other operations are not touched. */
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_WRITE, 1 << 20, 1), 0);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_FSYNC, 0, 0), 0);
}

static void
test_errortag__counted_tag_wears_out (void)
{
  struct errortag_set set;
  int i, hits = 0;

  parse (&set, "read-eintr*5");
  for (i = 0; i < 20; i++)
    if (errortag_check (&set, ERRTAG_OP_READ, i * 4096, 4096) == EINTR)
      hits++;
  CU_ASSERT_EQUAL (hits, 5);
}

static void
test_errortag__fsync_tag_is_never_ranged (void)
{
  struct errortag_set set;

  parse (&set, "fsync-eio*1");
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_FSYNC, 0, 0), EIO);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_FSYNC, 0, 0), 0);
  /* A ranged "any" tag does not hit fsync, which has no range. */
  parse (&set, "fatal-ebadf@0");
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_FSYNC, 0, 0), 0);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_ZERO, 0, 512), EBADF);
}

static void
test_errortag__first_matching_tag_wins (void)
{
  struct errortag_set set;

  parse (&set, "read-eintr*1,read-eio@0+4k");
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_READ, 0, 512), EINTR);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_READ, 0, 512), EIO);
  CU_ASSERT_EQUAL (errortag_check (&set, ERRTAG_OP_READ, 8192, 512), 0);
}

static struct errortag_set shared;
static int shared_hits[8];

static void *
hammer (void *arg)
{
  int *hits = arg, i;

  for (i = 0; i < 10000; i++)
    if (errortag_check (&shared, ERRTAG_OP_WRITE, 0, 1))
      (*hits)++;
  return NULL;
}

/* Many request threads share one counted tag: exactly COUNT hits. */
static void
test_errortag__count_is_exact_across_threads (void)
{
  pthread_t th[8];
  int i, total = 0;

  parse (&shared, "write-eio*12345");
  for (i = 0; i < 8; i++)
    pthread_create (&th[i], NULL, hammer, &shared_hits[i]);
  for (i = 0; i < 8; i++) {
    pthread_join (th[i], NULL);
    total += shared_hits[i];
  }
  CU_ASSERT_EQUAL (total, 12345);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_errortag__spec_examples_parse),
  UNIT_TEST (test_errortag__fields_are_decoded),
  UNIT_TEST (test_errortag__lists_and_repeated_keys_accumulate),
  UNIT_TEST (test_errortag__malformed_tags_are_refused),
  UNIT_TEST (test_errortag__too_many_tags_are_refused),
  UNIT_TEST (test_errortag__range_matches_only_overlapping_requests),
  UNIT_TEST (test_errortag__counted_tag_wears_out),
  UNIT_TEST (test_errortag__fsync_tag_is_never_ranged),
  UNIT_TEST (test_errortag__first_matching_tag_wins),
  UNIT_TEST (test_errortag__count_is_exact_across_threads),
};

UNIT_MAIN ("plugin/errortag", tests)
