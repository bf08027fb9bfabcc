/* Unit and stress tests: the I/O gate (plugin/gate.c).  A drain waits
 * for the requests in flight and holds with none inside; requests that
 * arrive while a drain waits are held back (writer preference) and none
 * is lost; many request threads against repeated drains finish without
 * deadlock, every drain bounded by its budget; the hold histogram gives
 * the percentile status.json reports.  Built twice by make check: under
 * ASan+UBSan and under ThreadSanitizer.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "unit.h"

static void
sleep_us (long us)
{
  struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

  nanosleep (&ts, NULL);
}

/* --- writer preference ---------------------------------------------- */

struct pref {
  struct io_gate g;
  atomic_int drain_held;      /* 1 while the drain holds */
  atomic_int late_entered;    /* the late request got in */
  atomic_int late_saw_drain;  /* ... after the drain had held */
};

static void *
drainer (void *arg)
{
  struct pref *p = arg;

  gate_drain_begin (&p->g, 0);
  atomic_store (&p->drain_held, 1);
  sleep_us (20000);
  /* The late request must not have got in while the drain held. */
  if (atomic_load (&p->late_entered))
    atomic_store (&p->late_saw_drain, -1);
  atomic_store (&p->drain_held, 2);
  gate_drain_end (&p->g);
  return NULL;
}

static void *
late_request (void *arg)
{
  struct pref *p = arg;

  gate_enter (&p->g);
  atomic_store (&p->late_entered, 1);
  if (atomic_load (&p->drain_held) == 2 && atomic_load (&p->late_saw_drain)
      == 0)
    atomic_store (&p->late_saw_drain, 1);
  gate_leave (&p->g);
  return NULL;
}

/* Until a drain is pending (however slowly its thread starts). */
static void
wait_pending (struct io_gate *g)
{
  unsigned pending = 0;
  int i;

  for (i = 0; i < 10000 && pending == 0; i++) {
    pthread_mutex_lock (&g->lock);
    pending = g->drains_pending;
    pthread_mutex_unlock (&g->lock);
    if (pending == 0)
      sleep_us (1000);
  }
  CU_ASSERT_EQUAL_FATAL (pending, 1);
}

static void
test_gate__a_drain_waits_for_requests_and_holds_back_new_ones (void)
{
  struct pref p = { .drain_held = 0 };
  pthread_t d, r;

  gate_init (&p.g);
  gate_enter (&p.g);                    /* a request in flight */
  CU_ASSERT_EQUAL_FATAL (pthread_create (&d, NULL, drainer, &p), 0);
  wait_pending (&p.g);
  sleep_us (20000);
  /* The drain is pending: it must not hold while the request is in. */
  CU_ASSERT_EQUAL (atomic_load (&p.drain_held), 0);
  /* A request arriving now waits behind the drain. */
  CU_ASSERT_EQUAL_FATAL (pthread_create (&r, NULL, late_request, &p), 0);
  sleep_us (20000);
  CU_ASSERT_EQUAL (atomic_load (&p.late_entered), 0);
  gate_leave (&p.g);                    /* the drain may now hold */
  pthread_join (d, NULL);
  pthread_join (r, NULL);
  CU_ASSERT_EQUAL (atomic_load (&p.drain_held), 2);
  CU_ASSERT_EQUAL (atomic_load (&p.late_saw_drain), 1);
  gate_destroy (&p.g);
}

/* --- stress ---------------------------------------------------------- */

#define THREADS 8
#define REQUESTS 4000
#define DRAINS 200
#define BUDGET_US 300

struct stress {
  struct io_gate g;
  atomic_int inside;          /* requests between enter and leave */
  atomic_int holding;         /* a drain holds */
  atomic_long done;           /* requests completed */
  atomic_int violations;      /* a request inside during a hold */
};

static void *
requester (void *arg)
{
  struct stress *s = arg;
  int i;

  for (i = 0; i < REQUESTS; i++) {
    gate_enter (&s->g);
    atomic_fetch_add (&s->inside, 1);
    if (atomic_load (&s->holding))
      atomic_fetch_add (&s->violations, 1);
    if (i % 64 == 0)
      sleep_us (10);
    atomic_fetch_sub (&s->inside, 1);
    gate_leave (&s->g);
    atomic_fetch_add (&s->done, 1);
  }
  return NULL;
}

static void *
stress_drainer (void *arg)
{
  struct stress *s = arg;
  int i;

  for (i = 0; i < DRAINS; i++) {
    gate_drain_begin (&s->g, BUDGET_US * 1000ULL);
    atomic_store (&s->holding, 1);
    if (atomic_load (&s->inside) != 0)
      atomic_fetch_add (&s->violations, 1);
    /* Work in steps until the budget says stop, as a scrub would. */
    while (!gate_drain_expired (&s->g))
      sleep_us (50);
    atomic_store (&s->holding, 0);
    gate_drain_end (&s->g);
    sleep_us (100);
  }
  return NULL;
}

static void
test_gate__requests_against_repeated_drains (void)
{
  struct stress s = { .inside = 0 };
  pthread_t req[THREADS], d;
  struct gate_stats st;
  int i;

  alarm (120);                          /* a deadlock fails, not hangs */
  gate_init (&s.g);
  for (i = 0; i < THREADS; i++)
    CU_ASSERT_EQUAL_FATAL (pthread_create (&req[i], NULL, requester, &s),
                           0);
  CU_ASSERT_EQUAL_FATAL (pthread_create (&d, NULL, stress_drainer, &s), 0);
  for (i = 0; i < THREADS; i++)
    pthread_join (req[i], NULL);
  pthread_join (d, NULL);
  alarm (0);

  CU_ASSERT_EQUAL (atomic_load (&s.done), (long) THREADS * REQUESTS);
  CU_ASSERT_EQUAL (atomic_load (&s.violations), 0);
  gate_stats (&s.g, &st);
  CU_ASSERT_EQUAL (st.drains, DRAINS);
  /* Each hold ends once its budget is spent: bounded by the budget plus
   * one step and scheduling (generous for sanitizer builds).
   */
  CU_ASSERT (st.hold_max_us >= BUDGET_US);
  CU_ASSERT (st.hold_max_us < BUDGET_US + 200000);
  CU_ASSERT (gate_hold_percentile_us (&st, 0.99) <= st.hold_max_us);
  CU_ASSERT (gate_hold_percentile_us (&st, 0.99) >= BUDGET_US / 2);
  CU_ASSERT_EQUAL (s.g.inflight, 0);
  CU_ASSERT_EQUAL (s.g.drains_pending, 0);
  gate_destroy (&s.g);
}

/* --- budgets and statistics ----------------------------------------- */

static void
test_gate__budget_expires (void)
{
  struct io_gate g;

  gate_init (&g);
  gate_drain_begin (&g, 1000000);       /* 1 ms */
  CU_ASSERT_FALSE (gate_drain_expired (&g));
  sleep_us (2000);
  CU_ASSERT_TRUE (gate_drain_expired (&g));
  gate_drain_end (&g);
  CU_ASSERT_FALSE (gate_drain_expired (&g));   /* not held */
  gate_drain_begin (&g, 0);             /* no budget: never expires */
  sleep_us (2000);
  CU_ASSERT_FALSE (gate_drain_expired (&g));
  gate_drain_end (&g);
  gate_destroy (&g);
}

static void
test_gate__percentile_of_holds (void)
{
  struct gate_stats st = { .drains = 100, .hold_max_us = 5000 };

  /* 98 holds under 2 us, one of 3 us, one of 5000 us. */
  st.hold_hist[1] = 98;                 /* [1, 2) us */
  st.hold_hist[2] = 1;                  /* [2, 4) us */
  st.hold_hist[13] = 1;                 /* [4096, 8192) us */
  CU_ASSERT_EQUAL (gate_hold_percentile_us (&st, 0.5), 2);
  CU_ASSERT_EQUAL (gate_hold_percentile_us (&st, 0.99), 4);
  CU_ASSERT_EQUAL (gate_hold_percentile_us (&st, 1.0), 5000);
  st.drains = 0;
  CU_ASSERT_EQUAL (gate_hold_percentile_us (&st, 0.99), 0);
}

/* --- a drain that waits too long gives up ------------------------------ */

struct queued {
  struct io_gate *g;
  atomic_int entered;
};

static void *
queued_request (void *arg)
{
  struct queued *l = arg;

  gate_enter (l->g);
  atomic_store (&l->entered, 1);
  gate_leave (l->g);
  return NULL;
}

static void
test_gate__drain_gives_up_waiting (void)
{
  struct io_gate g;
  struct gate_stats st;
  struct queued l = { &g, 0 };
  pthread_t t;

  gate_init (&g);
  gate_enter (&g);              /* a request that does not finish soon */
  pthread_create (&t, NULL, queued_request, &l);
  /* The drain gives up after 20 ms instead of waiting for ever, and the
   * request that queued behind it gets in.
   */
  CU_ASSERT_EQUAL (gate_drain_try (&g, 0, 20 * 1000000), -ETIMEDOUT);
  pthread_join (t, NULL);
  CU_ASSERT_EQUAL (atomic_load (&l.entered), 1);
  gate_stats (&g, &st);
  CU_ASSERT_EQUAL (st.given_up, 1);
  CU_ASSERT_EQUAL (st.drains, 0);
  gate_leave (&g);
  /* With nothing in flight it takes the gate at once. */
  CU_ASSERT_EQUAL (gate_drain_try (&g, 0, 20 * 1000000), 0);
  gate_drain_end (&g);
  gate_stats (&g, &st);
  CU_ASSERT_EQUAL (st.drains, 1);
  gate_destroy (&g);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_gate__drain_gives_up_waiting),
  UNIT_TEST (test_gate__a_drain_waits_for_requests_and_holds_back_new_ones),
  UNIT_TEST (test_gate__requests_against_repeated_drains),
  UNIT_TEST (test_gate__budget_expires),
  UNIT_TEST (test_gate__percentile_of_holds),
};

UNIT_MAIN ("plugin/gate", tests)
