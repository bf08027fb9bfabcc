/* nbdscrub: the error classes of SPEC section 4.
 *
 * One table says, for every errno the backing file can fail with, which
 * class the failure belongs to and which errno the client is answered
 * with.  The serving path asks nothing else: backing.c retries the
 * transient class, plugin.c answers per-request failures for that request
 * only and turns an instance-fatal failure into ESHUTDOWN plus a clean
 * server shutdown.
 */
#ifndef NBDSCRUB_ERRCLASS_H
#define NBDSCRUB_ERRCLASS_H

#include <stdbool.h>

enum err_class {
  ERR_TRANSIENT,   /* EINTR, EAGAIN: retried, never seen by the client */
  ERR_PER_REQUEST, /* EIO, ENOSPC...: this request fails, nothing else */
  ERR_FATAL,       /* EBADF, ENODEV...: the backing file is gone */
  ERR_SHUTDOWN,    /* the server is stopping */
};

struct err_class_info {
  int err;              /* errno from the backing file */
  enum err_class class;
  int reply;            /* errno handed to nbdkit_set_error */
};

/* The class of err.  An errno the table does not know is per-request
 * and answered EIO: the safe reading of a failure we cannot name.
 */
extern enum err_class errclass_of (int err);

/* The errno to answer the client with for err (after the class is known
 * to be per-request or worse).
 */
extern int errclass_reply (int err);

/* "transient", "per-request", "instance-fatal", "shutdown". */
extern const char *errclass_name (enum err_class c);

/* Does a failure of this class on a write-side operation leave the image
 * in a state the writer must learn about at its next FLUSH?
 */
extern bool errclass_advances_errseq (enum err_class c);

/* The table itself, for the tests and for --dump-plugin. */
extern const struct err_class_info errclass_table[];
extern const unsigned errclass_table_len;

#endif /* NBDSCRUB_ERRCLASS_H */
