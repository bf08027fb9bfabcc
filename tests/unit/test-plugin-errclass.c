/* Unit tests: the error classes of SPEC section 4 (plugin/errclass.c). */

#include <errno.h>

#include "errclass.h"
#include "unit.h"

/* The SPEC table, row by row: class and what the client is answered. */
static void
test_errclass__spec_table_rows (void)
{
  static const struct {
    int err;
    enum err_class c;
    int reply;
  } rows[] = {
    { EINTR, ERR_TRANSIENT, EIO },
    { EAGAIN, ERR_TRANSIENT, EIO },
    { EIO, ERR_PER_REQUEST, EIO },
    { ENOSPC, ERR_PER_REQUEST, ENOSPC },
    { EDQUOT, ERR_PER_REQUEST, ENOSPC },
    { EFBIG, ERR_PER_REQUEST, ENOSPC },
    { EROFS, ERR_PER_REQUEST, EPERM },
    { EBADF, ERR_FATAL, ESHUTDOWN },
    { ENODEV, ERR_FATAL, ESHUTDOWN },
    { ENXIO, ERR_FATAL, ESHUTDOWN },
    { ESTALE, ERR_FATAL, ESHUTDOWN },
    { ESHUTDOWN, ERR_SHUTDOWN, ESHUTDOWN },
  };
  size_t i;

  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    CU_ASSERT_EQUAL (errclass_of (rows[i].err), rows[i].c);
    CU_ASSERT_EQUAL (errclass_reply (rows[i].err), rows[i].reply);
  }
}

/* A failure nobody named is one request's EIO, never a shutdown and never
 * an errno that nbdkit would send as EINVAL.
 */
static void
test_errclass__unknown_errno_is_a_per_request_eio (void)
{
  CU_ASSERT_EQUAL (errclass_of (EBADMSG), ERR_PER_REQUEST);
  CU_ASSERT_EQUAL (errclass_reply (EBADMSG), EIO);
  CU_ASSERT_EQUAL (errclass_of (12345), ERR_PER_REQUEST);
  CU_ASSERT_EQUAL (errclass_reply (12345), EIO);
}

/* nbdkit sends only these errnos as themselves; any other reply would
 * reach the client as EINVAL.
 */
static void
test_errclass__every_reply_survives_the_wire (void)
{
  unsigned i;

  for (i = 0; i < errclass_table_len; i++) {
    int r = errclass_table[i].reply;

    CU_ASSERT (r == EIO || r == ENOSPC || r == EPERM || r == ENOMEM
               || r == ESHUTDOWN);
  }
}

static void
test_errclass__table_has_no_duplicate_errno (void)
{
  unsigned i, j;

  for (i = 0; i < errclass_table_len; i++)
    for (j = i + 1; j < errclass_table_len; j++)
      CU_ASSERT_NOT_EQUAL (errclass_table[i].err, errclass_table[j].err);
}

static void
test_errclass__only_per_request_failures_advance_errseq (void)
{
  CU_ASSERT_TRUE (errclass_advances_errseq (ERR_PER_REQUEST));
  CU_ASSERT_FALSE (errclass_advances_errseq (ERR_TRANSIENT));
  CU_ASSERT_FALSE (errclass_advances_errseq (ERR_FATAL));
  CU_ASSERT_FALSE (errclass_advances_errseq (ERR_SHUTDOWN));
}

static void
test_errclass__names (void)
{
  CU_ASSERT_STRING_EQUAL (errclass_name (ERR_TRANSIENT), "transient");
  CU_ASSERT_STRING_EQUAL (errclass_name (ERR_PER_REQUEST), "per-request");
  CU_ASSERT_STRING_EQUAL (errclass_name (ERR_FATAL), "instance-fatal");
  CU_ASSERT_STRING_EQUAL (errclass_name (ERR_SHUTDOWN), "shutdown");
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_errclass__spec_table_rows),
  UNIT_TEST (test_errclass__unknown_errno_is_a_per_request_eio),
  UNIT_TEST (test_errclass__every_reply_survives_the_wire),
  UNIT_TEST (test_errclass__table_has_no_duplicate_errno),
  UNIT_TEST (test_errclass__only_per_request_failures_advance_errseq),
  UNIT_TEST (test_errclass__names),
};

UNIT_MAIN ("plugin/errclass", tests)
