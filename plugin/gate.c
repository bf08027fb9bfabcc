/* nbdscrub: the I/O gate (see gate.h).
 *
 * A mutex and two condition variables rather than a pthread rwlock: the
 * writer preference must be certain (glibc's rwlock prefers readers by
 * default), and the drain needs the hold's statistics under the same
 * lock.  A request costs one uncontended lock and unlock going in and
 * one coming out.
 */

#include <errno.h>
#include <time.h>

#include "gate.h"

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

void
gate_init (struct io_gate *g)
{
  pthread_condattr_t attr;

  pthread_mutex_init (&g->lock, NULL);
  /* Timed waits count on the clock the statistics use. */
  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (&g->idle, &attr);
  pthread_cond_init (&g->open, &attr);
  pthread_condattr_destroy (&attr);
  g->inflight = 0;
  g->drains_pending = 0;
  g->held = false;
  g->hold_start_ns = g->hold_deadline_ns = 0;
  g->st = (struct gate_stats) { 0 };
}

void
gate_destroy (struct io_gate *g)
{
  pthread_cond_destroy (&g->open);
  pthread_cond_destroy (&g->idle);
  pthread_mutex_destroy (&g->lock);
}

void
gate_enter (struct io_gate *g)
{
  pthread_mutex_lock (&g->lock);
  while (g->drains_pending > 0)
    pthread_cond_wait (&g->open, &g->lock);
  g->inflight++;
  __atomic_add_fetch (&g->requests, 1, __ATOMIC_RELAXED);
  pthread_mutex_unlock (&g->lock);
}

uint64_t
gate_requests (struct io_gate *g)
{
  return __atomic_load_n (&g->requests, __ATOMIC_RELAXED);
}

void
gate_leave (struct io_gate *g)
{
  pthread_mutex_lock (&g->lock);
  if (--g->inflight == 0 && g->drains_pending > 0)
    pthread_cond_broadcast (&g->idle);
  pthread_mutex_unlock (&g->lock);
}

void
gate_drain_begin (struct io_gate *g, uint64_t budget_ns)
{
  gate_drain_try (g, budget_ns, 0);
}

/* The deadline of a timed wait, on the monotonic clock of the condvars. */
static void
deadline (struct timespec *ts, uint64_t at_ns)
{
  ts->tv_sec = (time_t) (at_ns / 1000000000);
  ts->tv_nsec = (long) (at_ns % 1000000000);
}

int
gate_drain_try (struct io_gate *g, uint64_t budget_ns, uint64_t wait_ns)
{
  struct timespec until;
  uint64_t t0;

  pthread_mutex_lock (&g->lock);
  g->drains_pending++;          /* from here no request gets in */
  t0 = now_ns ();
  deadline (&until, t0 + wait_ns);
  while (g->held || g->inflight > 0) {
    pthread_cond_t *c = g->held ? &g->open : &g->idle;

    if (wait_ns == 0)
      pthread_cond_wait (c, &g->lock);
    else if (pthread_cond_timedwait (c, &g->lock, &until) == ETIMEDOUT
             && (g->held || g->inflight > 0)) {
      /* Requests in flight outlast what clients may be held off:
       * let the waiting requests in, and try again later.
       */
      g->drains_pending--;
      g->st.given_up++;
      pthread_cond_broadcast (&g->open);
      pthread_mutex_unlock (&g->lock);
      return -ETIMEDOUT;
    }
  }
  g->held = true;
  g->hold_start_ns = now_ns ();
  if ((g->hold_start_ns - t0) / 1000 > g->st.wait_max_us)
    g->st.wait_max_us = (g->hold_start_ns - t0) / 1000;
  g->hold_deadline_ns = budget_ns ? g->hold_start_ns + budget_ns : 0;
  pthread_mutex_unlock (&g->lock);
  return 0;
}

bool
gate_drain_expired (struct io_gate *g)
{
  bool r;

  pthread_mutex_lock (&g->lock);
  r = g->held && g->hold_deadline_ns && now_ns () >= g->hold_deadline_ns;
  pthread_mutex_unlock (&g->lock);
  return r;
}

void
gate_drain_end (struct io_gate *g)
{
  uint64_t us;
  unsigned b = 0;

  pthread_mutex_lock (&g->lock);
  us = (now_ns () - g->hold_start_ns) / 1000;
  while (b < GATE_HOLD_BUCKETS - 1 && us >= ((uint64_t) 1 << b))
    b++;
  g->st.hold_hist[b]++;
  g->st.drains++;
  g->st.hold_total_us += us;
  if (us > g->st.hold_max_us)
    g->st.hold_max_us = us;
  g->held = false;
  g->drains_pending--;
  /* Wake the requests (and the next drain, which waits on open too). */
  pthread_cond_broadcast (&g->open);
  pthread_mutex_unlock (&g->lock);
}

void
gate_stats (struct io_gate *g, struct gate_stats *out)
{
  pthread_mutex_lock (&g->lock);
  *out = g->st;
  pthread_mutex_unlock (&g->lock);
}

uint64_t
gate_hold_percentile_us (const struct gate_stats *st, double q)
{
  uint64_t want, seen = 0;
  unsigned b;

  if (st->drains == 0)
    return 0;
  want = (uint64_t) (q * (double) st->drains);
  if ((double) want < q * (double) st->drains)
    want++;
  if (want == 0)
    want = 1;
  for (b = 0; b < GATE_HOLD_BUCKETS; b++) {
    seen += st->hold_hist[b];
    if (seen >= want) {
      uint64_t upper = (uint64_t) 1 << b;

      return upper < st->hold_max_us ? upper : st->hold_max_us;
    }
  }
  return st->hold_max_us;
}
