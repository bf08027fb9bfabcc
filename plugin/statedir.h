/* nbdscrub: the state directory (SPEC section 3, state-dir=).
 *
 * Persisted state lives in small files that are replaced whole: written to
 * a temporary file beside the target, fsynced, renamed over it, and the
 * directory fsynced, so a crash leaves the old file or the new one, never
 * a torn one.
 */
#ifndef NBDSCRUB_STATEDIR_H
#define NBDSCRUB_STATEDIR_H

#include <stddef.h>

/* Create dir (one level, mode 0700) if it does not exist.  Returns 0 or a
 * negative errno.
 */
extern int statedir_create (const char *dir);

/* Replace path with len bytes of data atomically.  Returns 0 or a negative
 * errno.
 */
extern int statedir_write_atomic (const char *path, const void *data,
                                  size_t len);

/* dir + "/" + name, malloc'd, or NULL on ENOMEM. */
extern char *statedir_path (const char *dir, const char *name);

#endif /* NBDSCRUB_STATEDIR_H */
