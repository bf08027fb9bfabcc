/* nbdscrub: the export's error sequence (SPEC section 5).
 *
 * A write-back failure is an error the writer was never told about: the
 * writes succeeded, the later fdatasync did not.  Linux answers that with
 * errseq_t: a counter that each failure advances and that each open file
 * samples, so every fsync caller hears of every failure exactly once.  We
 * do the same per NBD connection:
 *
 *   1. Every write-back failure (fdatasync failing in FLUSH, in a FUA
 *      request or in the volatile background write-back), and every
 *      write-side request that failed part-way, advances seq by one.
 *   2. A connection samples seq when it opens (report-past-errors=true:
 *      it starts from the last acknowledged value instead).
 *   3. Its FLUSH fails with EIO if seq moved since its sample, and the
 *      sample catches up: one failed FLUSH per connection per burst of
 *      failures, including failures another connection's FLUSH found.
 *   4. Sticky mode (flush=volatile, where FLUSH does not sync and so
 *      cannot find failures itself): every FLUSH on every connection fails
 *      while seq differs from acked, until an operator acknowledges.
 *   5. seq, acked and the unclean-volatile mark persist in the state dir:
 *      a server restarted after a crash in volatile mode fails FLUSH until
 *      acknowledged, because the image may be inconsistent.
 */
#ifndef NBDSCRUB_ERRSEQ_H
#define NBDSCRUB_ERRSEQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct errseq {
  pthread_mutex_t lock;
  uint64_t seq;       /* advanced by every write-back failure */
  uint64_t acked;     /* value at the last acknowledgement */
  bool sticky;        /* flush=volatile */
  bool unclean;       /* this volatile session has not yet synced at exit */
  bool suspect;       /* a volatile session ended without its final sync:
                       * the image may be inconsistent, FLUSH fails until
                       * acknowledged */
  char *path;         /* where it persists, or NULL (memory only) */
};

/* Start empty (seq = acked = 0).  path may be NULL. */
extern void errseq_init (struct errseq *e, bool sticky, const char *path);
extern void errseq_destroy (struct errseq *e);

/* Load persisted values from e->path.  A missing file is not an error.
 * An unclean mark found there makes the export suspect (rule 5) and
 * counts as one more failure.  Returns 0 or a negative errno (-EBADMSG for a file we cannot read as
 * ours, which is left alone and reported).
 */
extern int errseq_load (struct errseq *e);

/* Write the values to e->path atomically (temp file, fsync, rename,
 * fsync of the directory).  Returns 0 or a negative errno.
 */
extern int errseq_save (struct errseq *e);

/* The value a new connection starts from (rule 2). */
extern uint64_t errseq_sample (struct errseq *e, bool report_past);

/* Record one write-back failure (rule 1); persists it.  seen, if not
 * NULL, is the sample of the connection that was just told of this
 * failure in its own reply: it catches up when this failure was the only
 * news, so that connection hears of it once, not again at its FLUSH.
 * Returns the new value of seq.
 */
extern uint64_t errseq_advance (struct errseq *e, uint64_t *seen);

/* A FLUSH (or FUA) of a connection whose sample is *seen: returns 0, or
 * -EIO if it must fail (rules 3 and 4).  Catches *seen up.
 */
extern int errseq_check (struct errseq *e, uint64_t *seen);

/* Acknowledge: acked = seq, suspect cleared; persists. */
extern void errseq_ack (struct errseq *e);

/* Mark or clear the unclean-volatile state; persists at once, so a crash
 * afterwards finds the mark.
 */
extern int errseq_set_unclean (struct errseq *e, bool unclean);

/* Snapshot of the values, for status and tests. */
struct errseq_values {
  uint64_t seq, acked;
  bool sticky, unclean, suspect;
};
extern struct errseq_values errseq_get (struct errseq *e);

#endif /* NBDSCRUB_ERRSEQ_H */
