/* nbdscrub: the error classes of SPEC section 4 (see errclass.h). */

#include <errno.h>
#include <stddef.h>

#include "errclass.h"

/* nbdkit 1.32 maps a reply errno to the wire itself (server/protocol.c):
 * EROFS goes out as EPERM and EDQUOT/EFBIG as ENOSPC.  We name the
 * wire value here so the table reads as what the client sees.
 */
const struct err_class_info errclass_table[] = {
  { EINTR, ERR_TRANSIENT, EIO },
  { EAGAIN, ERR_TRANSIENT, EIO },
#if EWOULDBLOCK != EAGAIN
  { EWOULDBLOCK, ERR_TRANSIENT, EIO },
#endif
  { EIO, ERR_PER_REQUEST, EIO },
  { ENOSPC, ERR_PER_REQUEST, ENOSPC },
  { EDQUOT, ERR_PER_REQUEST, ENOSPC },
  { EFBIG, ERR_PER_REQUEST, ENOSPC },
  { EROFS, ERR_PER_REQUEST, EPERM },
  { EPERM, ERR_PER_REQUEST, EPERM },
  { EACCES, ERR_PER_REQUEST, EPERM },
  { ENOMEM, ERR_PER_REQUEST, ENOMEM },
  { EBADF, ERR_FATAL, ESHUTDOWN },
  { ENODEV, ERR_FATAL, ESHUTDOWN },
  { ENXIO, ERR_FATAL, ESHUTDOWN },
  { ESTALE, ERR_FATAL, ESHUTDOWN },
  { ESHUTDOWN, ERR_SHUTDOWN, ESHUTDOWN },
};
const unsigned errclass_table_len =
  sizeof errclass_table / sizeof errclass_table[0];

static const struct err_class_info *
lookup (int err)
{
  unsigned i;

  for (i = 0; i < errclass_table_len; i++)
    if (errclass_table[i].err == err)
      return &errclass_table[i];
  return NULL;
}

enum err_class
errclass_of (int err)
{
  const struct err_class_info *e = lookup (err);

  return e ? e->class : ERR_PER_REQUEST;
}

int
errclass_reply (int err)
{
  const struct err_class_info *e = lookup (err);

  return e ? e->reply : EIO;
}

const char *
errclass_name (enum err_class c)
{
  switch (c) {
  case ERR_TRANSIENT: return "transient";
  case ERR_PER_REQUEST: return "per-request";
  case ERR_FATAL: return "instance-fatal";
  case ERR_SHUTDOWN: return "shutdown";
  }
  return "unknown";
}

/* A per-request failure of a write, trim or zero may have left part of the
 * range written (pwrite and fallocate are not atomic), so every connection
 * hears of it at its next FLUSH, as SPEC section 4 asks.  A fatal failure
 * is answered ESHUTDOWN from then on, so there is no later FLUSH to tell.
 */
bool
errclass_advances_errseq (enum err_class c)
{
  return c == ERR_PER_REQUEST;
}
