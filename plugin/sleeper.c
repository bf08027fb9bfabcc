/* nbdscrub: a stoppable sleep (see sleeper.h). */

#include <time.h>

#include "sleeper.h"

void
sleeper_init (struct sleeper *sl)
{
  pthread_condattr_t attr;

  pthread_mutex_init (&sl->lock, NULL);
  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (&sl->wake, &attr);
  pthread_condattr_destroy (&attr);
  sl->stop = false;
}

void
sleeper_destroy (struct sleeper *sl)
{
  pthread_cond_destroy (&sl->wake);
  pthread_mutex_destroy (&sl->lock);
}

bool
sleeper_nap (struct sleeper *sl, uint64_t ns)
{
  struct timespec until;
  bool stop;

  clock_gettime (CLOCK_MONOTONIC, &until);
  ns += (uint64_t) until.tv_nsec;
  until.tv_sec += (time_t) (ns / 1000000000);
  until.tv_nsec = (long) (ns % 1000000000);
  pthread_mutex_lock (&sl->lock);
  while (!sl->stop
         && pthread_cond_timedwait (&sl->wake, &sl->lock, &until) == 0)
    ;
  stop = sl->stop;
  pthread_mutex_unlock (&sl->lock);
  return !stop;
}

void
sleeper_stop (struct sleeper *sl)
{
  pthread_mutex_lock (&sl->lock);
  sl->stop = true;
  pthread_cond_broadcast (&sl->wake);
  pthread_mutex_unlock (&sl->lock);
}

bool
sleeper_stopped (struct sleeper *sl)
{
  bool stop;

  pthread_mutex_lock (&sl->lock);
  stop = sl->stop;
  pthread_mutex_unlock (&sl->lock);
  return stop;
}
