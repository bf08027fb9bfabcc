/* nbdscrub: fault injection for tests (the errortag= parameter).
 *
 * A tag makes chosen backing-file operations fail with a chosen errno
 * before the real system call is made, so that the test suite can drive
 * every error class of SPEC section 4 through real clients.  Grammar:
 *
 *   errortag=TAG[,TAG...]           (the key may be given more than once)
 *   TAG   = OP "-" ERRNO [ "@" OFFSET [ "+" LEN ] ] [ "*" COUNT ]
 *   OP    = read | write | trim | zero | fsync | any | fatal
 *   ERRNO = eio | enospc | edquot | efbig | erofs | eperm | enomem
 *         | eintr | eagain | ebadf | enodev | enxio | estale
 *
 * "@OFFSET+LEN" limits the tag to requests that touch that byte range
 * (LEN defaults to 1); without it every request of that kind matches.
 * fsync has no range.  "*COUNT" fails only the first COUNT matching
 * calls; without it the tag never wears out.  "any" matches every
 * operation; "fatal" is "any" restricted to the instance-fatal errnos
 * (ebadf, enodev, enxio, estale), so a test reads as what it provokes.
 * OFFSET, LEN and COUNT take k, M, G, T suffixes (powers of 1024).
 *
 * Examples: read-eio@1M+4k, write-enospc@0+64k, read-eintr*1000,
 * fsync-eio*1, fatal-ebadf@8M.
 */
#ifndef NBDSCRUB_ERRORTAG_H
#define NBDSCRUB_ERRORTAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum errortag_op {
  ERRTAG_OP_READ = 1 << 0,
  ERRTAG_OP_WRITE = 1 << 1,
  ERRTAG_OP_TRIM = 1 << 2,
  ERRTAG_OP_ZERO = 1 << 3,
  ERRTAG_OP_FSYNC = 1 << 4,
};
#define ERRTAG_OP_ANY                                                   \
  (ERRTAG_OP_READ | ERRTAG_OP_WRITE | ERRTAG_OP_TRIM | ERRTAG_OP_ZERO   \
   | ERRTAG_OP_FSYNC)

#define ERRORTAG_MAX 32

struct errortag {
  unsigned ops;       /* mask of enum errortag_op */
  int err;            /* errno to inject */
  bool ranged;        /* only requests touching [offset, offset+len) */
  uint64_t offset, len;
  bool counted;       /* wears out after count hits */
  uint64_t count;     /* hits left, decremented atomically */
};

struct errortag_set {
  unsigned n;
  struct errortag tag[ERRORTAG_MAX];
};

/* Parse a comma-separated list and append it to *set.  Returns 0, or -1
 * with a one-line message naming the bad tag.
 */
extern int errortag_parse (struct errortag_set *set, const char *spec,
                           char *err, size_t errlen);

/* The errno an operation on [offset, offset+count) should fail with, or
 * 0.  Thread-safe; consumes one hit of a counted tag.
 */
extern int errortag_check (struct errortag_set *set, enum errortag_op op,
                           uint64_t offset, uint64_t count);

/* errno <-> name ("eio"), for the parser and for messages. */
extern int errortag_errno_of (const char *name, size_t len);

#endif /* NBDSCRUB_ERRORTAG_H */
