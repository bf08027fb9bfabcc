/* nbdscrub: a background thread's sleep that ends early when the thread
 * is asked to stop (the write-back thread, the scheduler).
 *
 * nbdkit_nanosleep would also wake at shutdown, but logs an error line
 * each time it does; and .cleanup, which stops these threads, runs only
 * after the server has quit anyway.  The clock is monotonic.
 */
#ifndef NBDSCRUB_SLEEPER_H
#define NBDSCRUB_SLEEPER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct sleeper {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool stop;
};

extern void sleeper_init (struct sleeper *sl);
extern void sleeper_destroy (struct sleeper *sl);

/* Sleep ns, or until sleeper_stop.  Returns false when asked to stop. */
extern bool sleeper_nap (struct sleeper *sl, uint64_t ns);
/* Ask the sleeping thread to stop: it wakes now, and every later nap
 * returns false at once.
 */
extern void sleeper_stop (struct sleeper *sl);
extern bool sleeper_stopped (struct sleeper *sl);

#endif /* NBDSCRUB_SLEEPER_H */
