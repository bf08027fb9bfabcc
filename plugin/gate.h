/* nbdscrub: the I/O gate (SPEC 6.3, issue 5).
 *
 * Every client request passes the gate shared; a drain takes it
 * exclusively, so that a scrub step reads a state no request is in the
 * middle of changing.  A drain stops admitting new requests at once
 * (writer preference: requests that arrive while a drain waits or holds
 * wait behind it), waits for the requests in flight to finish, holds,
 * and releases.  Nothing fails because of a drain: a request only waits.
 *
 * The holder bounds its own hold: gate_drain_expired says when the
 * budget given to gate_drain_begin has run out, and the holder must
 * release then.  The gate counts drains and keeps a histogram of hold
 * times (log2 microsecond buckets), for status.json's p99 and max.
 *
 * No nbdkit here: the unit and ThreadSanitizer tests link it alone.
 */
#ifndef NBDSCRUB_GATE_H
#define NBDSCRUB_GATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Hold-time buckets: bucket i counts holds of [2^(i-1), 2^i) us
 * (bucket 0: under 1 us); the last bucket takes everything longer.
 */
#define GATE_HOLD_BUCKETS 32

struct gate_stats {
  uint64_t drains;
  uint64_t hold_max_us;
  uint64_t hold_total_us;
  uint64_t wait_max_us;              /* longest wait for in-flight requests */
  uint64_t given_up;                 /* drains that gave up waiting */
  uint64_t hold_hist[GATE_HOLD_BUCKETS];
};

struct io_gate {
  pthread_mutex_t lock;
  pthread_cond_t idle;               /* in-flight requests reached zero */
  pthread_cond_t open;               /* no drain waiting or holding */
  unsigned inflight;                 /* requests inside */
  unsigned drains_pending;           /* drains waiting or holding */
  bool held;                         /* a drain holds the gate */
  uint64_t hold_start_ns;
  uint64_t hold_deadline_ns;
  uint64_t requests;                 /* requests that entered, ever */
  struct gate_stats st;
};

extern void gate_init (struct io_gate *g);
extern void gate_destroy (struct io_gate *g);

/* A request enters (waiting while a drain is pending) and leaves. */
extern void gate_enter (struct io_gate *g);
extern void gate_leave (struct io_gate *g);

/* How many requests have entered so far: a scrubber that sees it move
 * knows clients are busy and gives way.
 */
extern uint64_t gate_requests (struct io_gate *g);

/* Take the gate exclusively, for at most budget_ns (0: no budget):
 * returns once no request is inside.  Drains are serialised.
 */
extern void gate_drain_begin (struct io_gate *g, uint64_t budget_ns);
/* As gate_drain_begin, but give up when the requests in flight have not
 * all finished within wait_ns (0: wait for ever): the requests held back
 * meanwhile are let in, and -ETIMEDOUT returned.  Returns 0 holding.
 */
extern int gate_drain_try (struct io_gate *g, uint64_t budget_ns,
                           uint64_t wait_ns);
/* Has the hold run past its budget?  Only the holder asks. */
extern bool gate_drain_expired (struct io_gate *g);
/* Release; the hold is counted. */
extern void gate_drain_end (struct io_gate *g);

/* A copy of the statistics. */
extern void gate_stats (struct io_gate *g, struct gate_stats *out);
/* The hold time below which fraction q (0.99) of drains fell, in us:
 * the upper bound of that histogram bucket, capped at the maximum.
 */
extern uint64_t gate_hold_percentile_us (const struct gate_stats *st,
                                         double q);

#endif /* NBDSCRUB_GATE_H */
