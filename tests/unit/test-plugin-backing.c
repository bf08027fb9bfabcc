/* Unit tests: the backing file and its retry policy (plugin/backing.c),
 * driven through real system calls on a temporary file.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "unit.h"

#define SIZE (4 << 20)

static char path[] = "/tmp/nbdscrub-unit-backing.XXXXXX";
static struct errortag_set tags;
static struct backing b;

/* A fresh 4 MiB sparse file opened with the given tags and retries. */
static void
setup (const char *spec, unsigned retries)
{
  char err[256];
  int fd;

  strcpy (path, "/tmp/nbdscrub-unit-backing.XXXXXX");
  fd = mkstemp (path);
  CU_ASSERT_FATAL (fd >= 0);
  CU_ASSERT_FATAL (ftruncate (fd, SIZE) == 0);
  close (fd);
  memset (&tags, 0, sizeof tags);
  if (spec)
    CU_ASSERT_EQUAL_FATAL (errortag_parse (&tags, spec, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL (backing_open (&b, path, true, retries, &tags), 0);
}

static void
teardown (void)
{
  backing_close (&b);
  unlink (path);
}

static void
test_backing__write_then_read_round_trips (void)
{
  char out[8192], in[8192];

  setup (NULL, 3);
  memset (out, 0x5a, sizeof out);
  CU_ASSERT_FALSE (b.readonly);
  CU_ASSERT_EQUAL (backing_size (&b), SIZE);
  CU_ASSERT_EQUAL (backing_pwrite (&b, out, sizeof out, 12345), 0);
  CU_ASSERT_EQUAL (backing_pread (&b, in, sizeof in, 12345), 0);
  CU_ASSERT_EQUAL (memcmp (in, out, sizeof in), 0);
  CU_ASSERT_EQUAL (backing_fdatasync (&b), 0);
  teardown ();
}

/* A signal storm never reaches the caller, and does not use retries=. */
static void
test_backing__eintr_storm_is_absorbed (void)
{
  char buf[4096];

  setup ("read-eintr*5000,write-eintr*5000,fsync-eintr*100", 0);
  memset (buf, 1, sizeof buf);
  CU_ASSERT_EQUAL (backing_pwrite (&b, buf, sizeof buf, 0), 0);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, sizeof buf, 0), 0);
  CU_ASSERT_EQUAL (backing_fdatasync (&b), 0);
  CU_ASSERT_EQUAL (backing_get_stats (&b).eintr_retries, 10100);
  CU_ASSERT_EQUAL (backing_get_stats (&b).failures, 0);
  teardown ();
}

/* ...but an endless one ends as EIO instead of holding the request. */
static void
test_backing__endless_eintr_ends_as_eio (void)
{
  char buf[512];

  setup ("read-eintr", 3);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, sizeof buf, 0), -EIO);
  CU_ASSERT_EQUAL (backing_get_stats (&b).eintr_retries, BACKING_EINTR_MAX);
  CU_ASSERT_EQUAL (backing_get_stats (&b).exhausted, 1);
  teardown ();
}

static void
test_backing__eagain_within_retries_is_invisible (void)
{
  char buf[512];

  setup ("read-eagain*3", 3);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, sizeof buf, 0), 0);
  CU_ASSERT_EQUAL (backing_get_stats (&b).eagain_retries, 3);
  teardown ();
}

static void
test_backing__eagain_past_retries_becomes_eio (void)
{
  char buf[512];

  setup ("read-eagain*10", 2);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, sizeof buf, 0), -EIO);
  CU_ASSERT_EQUAL (backing_get_stats (&b).eagain_retries, 2);
  CU_ASSERT_EQUAL (backing_get_stats (&b).exhausted, 1);
  /* retries=0: the first EAGAIN is final. */
  teardown ();
  setup ("write-eagain*1", 0);
  CU_ASSERT_EQUAL (backing_pwrite (&b, buf, sizeof buf, 0), -EIO);
  CU_ASSERT_EQUAL (backing_pwrite (&b, buf, sizeof buf, 0), 0);
  teardown ();
}

static void
test_backing__per_request_errors_hit_only_their_range (void)
{
  char buf[4096];

  setup ("read-eio@1M+4k,write-enospc@2M+4k", 3);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, 4096, 1 << 20), -EIO);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, 4096, (1 << 20) - 4096), 0);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, 4096, (1 << 20) + 4096), 0);
  CU_ASSERT_EQUAL (backing_pwrite (&b, buf, 4096, 2 << 20), -ENOSPC);
  CU_ASSERT_EQUAL (backing_pwrite (&b, buf, 4096, 3 << 20), 0);
  /* Not retried: one failure each. */
  CU_ASSERT_EQUAL (backing_get_stats (&b).failures, 2);
  CU_ASSERT_EQUAL (backing_get_stats (&b).eagain_retries, 0);
  teardown ();
}

static void
test_backing__fatal_errors_are_returned_as_they_are (void)
{
  char buf[512];

  setup ("fatal-ebadf@8k,fsync-estale*1", 3);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, sizeof buf, 8192), -EBADF);
  CU_ASSERT_EQUAL (backing_pwrite (&b, buf, sizeof buf, 8192), -EBADF);
  CU_ASSERT_EQUAL (backing_fdatasync (&b), -ESTALE);
  teardown ();
}

static void
test_backing__zero_and_trim_read_back_as_zeroes (void)
{
  char buf[65536], zero[65536];

  setup (NULL, 3);
  memset (buf, 0xff, sizeof buf);
  memset (zero, 0, sizeof zero);
  CU_ASSERT_EQUAL (backing_pwrite (&b, buf, sizeof buf, 0), 0);
  CU_ASSERT_EQUAL (backing_zero (&b, 4096, 4096, false, false), 0);
  CU_ASSERT_EQUAL (backing_zero (&b, 4096, 16384, true, true), 0);
  CU_ASSERT_EQUAL (backing_trim (&b, 4096, 32768), 0);
  CU_ASSERT_EQUAL (backing_pread (&b, buf, sizeof buf, 0), 0);
  CU_ASSERT_EQUAL (memcmp (buf + 4096, zero, 4096), 0);
  CU_ASSERT_EQUAL (memcmp (buf + 16384, zero, 4096), 0);
  CU_ASSERT_EQUAL ((unsigned char) buf[8192], 0xff);
  teardown ();
}

static void
test_backing__zero_failure_is_an_error_not_a_fallback (void)
{
  setup ("zero-eio@0+4k", 3);
  CU_ASSERT_EQUAL (backing_zero (&b, 4096, 0, false, false), -EIO);
  CU_ASSERT_EQUAL (backing_zero (&b, 4096, 8192, false, false), 0);
  teardown ();
}

/* Trim is advisory: only EIO and EPERM are worth a failed request. */
static void
test_backing__trim_swallows_advisory_failures (void)
{
  setup ("trim-enospc@0+4k,trim-eio@8k+4k", 3);
  CU_ASSERT_EQUAL (backing_trim (&b, 4096, 0), 0);
  CU_ASSERT_EQUAL (backing_trim (&b, 4096, 8192), -EIO);
  teardown ();
}

struct ext {
  int n;
  uint64_t off[16], len[16];
  uint32_t type[16];
};

static int
add_ext (void *opaque, uint64_t off, uint64_t len, uint32_t type)
{
  struct ext *e = opaque;

  if (e->n >= 16)
    return -1;
  e->off[e->n] = off;
  e->len[e->n] = len;
  e->type[e->n] = type;
  e->n++;
  return 0;
}

static void
test_backing__extents_tell_holes_from_data (void)
{
  char buf[65536];
  struct ext e = { 0 };

  setup (NULL, 3);
  if (!backing_can_extents (&b)) {
    teardown ();
    return;
  }
  memset (buf, 1, sizeof buf);
  CU_ASSERT_EQUAL (backing_pwrite (&b, buf, sizeof buf, 1 << 20), 0);
  CU_ASSERT_EQUAL (backing_extents (&b, 2 << 20, 0, false, add_ext, &e), 0);
  CU_ASSERT_EQUAL_FATAL (e.n, 3);
  CU_ASSERT_EQUAL (e.off[0], 0);
  CU_ASSERT_EQUAL (e.len[0], 1 << 20);
  CU_ASSERT_EQUAL (e.type[0], BACKING_EXTENT_HOLE | BACKING_EXTENT_ZERO);
  CU_ASSERT_EQUAL (e.off[1], 1 << 20);
  CU_ASSERT_EQUAL (e.type[1], 0);
  CU_ASSERT_EQUAL (e.type[2], BACKING_EXTENT_HOLE | BACKING_EXTENT_ZERO);

  memset (&e, 0, sizeof e);
  CU_ASSERT_EQUAL (backing_extents (&b, 2 << 20, 0, true, add_ext, &e), 0);
  CU_ASSERT_EQUAL (e.n, 1);
  teardown ();
}

static void
test_backing__open_refuses_directories_and_missing_files (void)
{
  struct backing d;

  CU_ASSERT_EQUAL (backing_open (&d, "/tmp", true, 3, NULL), -EISDIR);
  CU_ASSERT_EQUAL (backing_open (&d, "/dev/null", false, 3, NULL), -EINVAL);
  CU_ASSERT_EQUAL (backing_open (&d, "/nonexistent.img", true, 3, NULL),
                   -ENOENT);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_backing__write_then_read_round_trips),
  UNIT_TEST (test_backing__eintr_storm_is_absorbed),
  UNIT_TEST (test_backing__endless_eintr_ends_as_eio),
  UNIT_TEST (test_backing__eagain_within_retries_is_invisible),
  UNIT_TEST (test_backing__eagain_past_retries_becomes_eio),
  UNIT_TEST (test_backing__per_request_errors_hit_only_their_range),
  UNIT_TEST (test_backing__fatal_errors_are_returned_as_they_are),
  UNIT_TEST (test_backing__zero_and_trim_read_back_as_zeroes),
  UNIT_TEST (test_backing__zero_failure_is_an_error_not_a_fallback),
  UNIT_TEST (test_backing__trim_swallows_advisory_failures),
  UNIT_TEST (test_backing__extents_tell_holes_from_data),
  UNIT_TEST (test_backing__open_refuses_directories_and_missing_files),
};

UNIT_MAIN ("plugin/backing", tests)
