/* nbdscrub: the backing file and every system call made on it.
 *
 * All I/O on the image goes through here, so that one place applies the
 * error classes of SPEC section 4 before a failure leaves for the client:
 *
 *   - EINTR is retried at once and does not use up retries=: it says a
 *     signal arrived, not that the disk is unwell (nbdkit would send it as
 *     EINVAL).  A run of BACKING_EINTR_MAX in one call ends as EIO so that
 *     even a signal storm cannot hold a request for ever.
 *   - EAGAIN is retried up to retries= times with exponential backoff
 *     (1 ms, 2 ms, 4 ms... capped at 64 ms), then ends as EIO.
 *   - Everything else is returned as it is, as a negative errno; the
 *     caller asks errclass_of() what it means.
 *
 * Fault injection (errortag=) is consulted before each system call, so an
 * injected error takes exactly the path a real one would.  Nothing here
 * prints or calls nbdkit: the unit tests link it alone.
 */
#ifndef NBDSCRUB_BACKING_H
#define NBDSCRUB_BACKING_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "errortag.h"

#define BACKING_EINTR_MAX 10000
#define BACKING_BACKOFF_MAX_NS (64 * 1000000ULL)

/* Extent types, with nbdkit's values so they pass through unchanged. */
#define BACKING_EXTENT_HOLE 1
#define BACKING_EXTENT_ZERO 2

struct backing_stats {
  uint64_t eintr_retries;    /* EINTRs absorbed */
  uint64_t eagain_retries;   /* EAGAINs retried after a backoff */
  uint64_t exhausted;        /* transient failures that became EIO */
  uint64_t failures;         /* calls that returned an error */
};

struct backing {
  int fd;
  bool readonly;             /* opened O_RDONLY */
  bool is_block;             /* a block device, not a regular file */
  unsigned retries;          /* retries= */
  struct errortag_set *tags; /* errortag=, may be NULL */
  pthread_mutex_t lseek_lock;
  bool can_punch_hole, can_zero_range, can_fallocate, can_zeroout;
  struct backing_stats stats; /* updated atomically */
};

/* Open path read-write, or read-only when want_write is false or the file
 * refuses writing.  Returns 0 or a negative errno.
 */
extern int backing_open (struct backing *b, const char *path,
                         bool want_write, unsigned retries,
                         struct errortag_set *tags);
extern void backing_close (struct backing *b);

/* Size in bytes, or a negative errno. */
extern int64_t backing_size (struct backing *b);

/* Each returns 0 or a negative errno after the retry policy above. */
extern int backing_pread (struct backing *b, void *buf, uint32_t count,
                          uint64_t offset);
extern int backing_pwrite (struct backing *b, const void *buf,
                           uint32_t count, uint64_t offset);
extern int backing_fdatasync (struct backing *b);

/* Trim is advisory: failures other than EIO and EPERM are swallowed. */
extern int backing_trim (struct backing *b, uint32_t count, uint64_t offset);

/* Zero a range without writing zeroes if the file can: returns 0,
 * -EOPNOTSUPP when only writing zeroes would do (the caller falls back),
 * -ENOTSUP when fast is set and no fast method exists, or an error.
 */
extern int backing_zero (struct backing *b, uint32_t count, uint64_t offset,
                         bool may_trim, bool fast);

/* Report [offset, offset+count) as data and holes in ascending order.
 * add() returns 0 or -1 (then this returns -ENOMEM); one_only stops after
 * the first extent.  Returns 0 or a negative errno; -ENOTSUP if the file
 * cannot tell holes apart.
 */
typedef int (*backing_extent_fn) (void *opaque, uint64_t offset,
                                  uint64_t length, uint32_t type);
extern int backing_extents (struct backing *b, uint32_t count,
                            uint64_t offset, bool one_only,
                            backing_extent_fn add, void *opaque);
extern bool backing_can_extents (struct backing *b);

/* Readahead hint. */
extern int backing_cache (struct backing *b, uint32_t count, uint64_t offset);

/* A copy of the counters. */
extern struct backing_stats backing_get_stats (struct backing *b);

#endif /* NBDSCRUB_BACKING_H */
