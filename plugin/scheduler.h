/* nbdscrub: the background scrubber (SPEC 6.3, 6.4).
 *
 * One thread runs full passes over the image the plugin serves: the
 * first a moment after the server starts, then one every
 * scrub-interval after the last ended (0: back to back).  Each pass:
 *
 *   1. pins a crash-consistent view.  A pass that fitted in scrub-budget
 *      last time runs entirely under one drain (gate.h), reading the
 *      image as it is; if it overruns the budget it is abandoned and
 *      run again over a snapshot.  Otherwise a momentary drain starts a
 *      copy-before-write snapshot (snapshot.h) and the pass reads that
 *      view with no drain held.  Either way the filesystem is opened
 *      with its committed journal replayed in memory, never written;
 *   2. probes the filesystem afresh (an image that gains one through the
 *      server is picked up; one with none is skipped);
 *   3. refuses, as INCOMPLETE with the reason, what is only consistent
 *      at rest: a filesystem without a journal, or one re-made since
 *      the last pass (new UUID or mkfs time), while a client is
 *      connected and it is not cleanly unmounted with nothing written
 *      since the last pass;
 *   4. runs the engine's full pass (scrub/pass.h), giving way to
 *      clients between objects: after each budget's worth of work, if
 *      requests arrived meanwhile, it sleeps as long again;
 *   5. publishes: each new problem logged once, the pass logged, health
 *      and statistics kept and persisted, status.json rewritten.
 *
 * No nbdkit here (it logs through hooks), so that the tests can drive
 * passes directly and the ThreadSanitizer build can run the thread.
 */
#ifndef NBDSCRUB_SCHEDULER_H
#define NBDSCRUB_SCHEDULER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "gate.h"
#include "pass.h"
#include "sleeper.h"
#include "snapshot.h"

/* What the scheduler asks of the plugin. */
struct sched_hooks {
  void (*error) (void *opaque, const char *msg);   /* a problem: once */
  void (*debug) (void *opaque, const char *msg);   /* a pass ended */
  unsigned (*clients) (void *opaque);              /* connections open */
  json_t *(*io) (void *opaque);                    /* status "io": new ref */
  bool (*dead) (void *opaque);                     /* the image failed */
  void *opaque;
};

struct sched_config {
  const char *image;          /* for status.json */
  const char *state_dir;      /* NULL: keep state in memory only */
  uint64_t interval_ns;       /* scrub-interval= */
  uint64_t budget_ns;         /* scrub-budget= */
  uint64_t delay_ns;          /* before the first pass */
};

/* Health of one group (SPEC 6.4). */
enum sched_ghealth {
  SCHED_UNCHECKED = 0,
  SCHED_CLEAN = 1,
  SCHED_SICK = 2,
  SCHED_REPAIRED = 3,
};

/* Sick inodes kept per pass for health. */
#define SCHED_MAX_SICK_INODES 1000
/* Problems kept in detail for status.json. */
#define SCHED_MAX_PROBLEMS 1000
/* Distinct problems remembered as already logged. */
#define SCHED_MAX_LOGGED 65536

struct scheduler {
  struct sched_config cfg;
  struct sched_hooks hooks;
  struct io_gate *gate;
  struct snapshot *snap;

  pthread_t thread;
  bool running;
  bool stopped;               /* sched_stop has run */
  struct sleeper sleep;       /* between passes and slices; stop */
  pthread_mutex_t lock;       /* everything below */

  uint64_t writes;            /* client writes observed (atomic) */

  const char *state;          /* "starting", "idle", "scrubbing", "off",
                               * "stopped" */
  uint64_t passes;            /* since the server started */
  uint64_t problems_total;    /* CORRUPT + XCORRUPT since start */
  json_t *fs;                 /* the last probe */
  json_t *last_pass;          /* NULL until a pass ends */
  json_t *problems;           /* the last pass's findings */

  /* The filesystem the last pass read, to notice it being re-made. */
  bool have_ident;
  bool saw_nofs;              /* a probe found no filesystem */
  bool last_nofs;             /* and the latest did */
  uint8_t uuid[16];
  uint64_t mkfs_time;
  uint64_t writes_at_end;     /* s->writes when the last pass ended */
  uint64_t last_ns;           /* how long the last pass took */
  unsigned drain_backoff;     /* passes to skip after the next overrun */
  unsigned drain_skip;        /* passes still to run over a snapshot */

  /* Problems already logged: hashes, open addressing. */
  uint64_t *logged;
  size_t logged_used;

  /* Health and lifetime statistics, persisted in health.json. */
  uint32_t ngroups;
  uint8_t *ghealth;           /* enum sched_ghealth per group */
  uint64_t *gchecked;         /* when each group was last checked (s) */
  uint32_t sick_inodes[SCHED_MAX_SICK_INODES];
  size_t nsick;
  uint64_t passes_lifetime;
  struct scrub_type_stats stats[SCRUB_TYPE_NR];
  const char *last_result;    /* of the last pass, "" before one */
  bool health_dirty;          /* to be saved at the next pass */
  uint64_t health_saved_ns;
};

/* Set up; loads health.json from the state dir when there is one.
 * Returns 0 or a negative errno.
 */
extern int sched_init (struct scheduler *s, const struct sched_config *cfg,
                       const struct sched_hooks *hooks, struct io_gate *gate,
                       struct snapshot *snap);
extern void sched_destroy (struct scheduler *s);

/* Write the first status.json and, when scrub is true, start the
 * thread (state "off" otherwise).  Returns 0 or a negative errno.
 */
extern int sched_start (struct scheduler *s, bool scrub);
/* Ask the thread to stop, join it, and save health and status a last
 * time.  Idempotent; sched_destroy calls it.
 */
extern void sched_stop (struct scheduler *s);

/* The one write path (SPEC 6.5): every client write, trim and zero
 * calls this before it changes the image.
 */
extern void sched_observe_write (struct scheduler *s, uint64_t offset,
                                 uint64_t count);

/* Run one pass now, in the caller's thread (the thread's loop does this;
 * tests call it directly).  Returns whether the engine ran to the end.
 */
extern bool sched_run_pass (struct scheduler *s);

/* The status document (SPEC 6.4): a new reference. */
extern json_t *sched_status (struct scheduler *s);

#endif /* NBDSCRUB_SCHEDULER_H */
