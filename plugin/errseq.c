/* nbdscrub: the export's error sequence (see errseq.h for the rules). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errseq.h"
#include "statedir.h"

void
errseq_init (struct errseq *e, bool sticky, const char *path)
{
  memset (e, 0, sizeof *e);
  pthread_mutex_init (&e->lock, NULL);
  e->sticky = sticky;
  e->path = path ? strdup (path) : NULL;
}

void
errseq_destroy (struct errseq *e)
{
  pthread_mutex_destroy (&e->lock);
  free (e->path);
  e->path = NULL;
}

/* Called with the lock held. */
static int
save_locked (struct errseq *e)
{
  json_t *o;
  char *text;
  int r;

  if (e->path == NULL)
    return 0;
  o = json_pack ("{s:I, s:I, s:b, s:b}",
                 "seq", (json_int_t) e->seq,
                 "acked", (json_int_t) e->acked,
                 "volatile_unclean", e->unclean,
                 "suspect", e->suspect);
  if (o == NULL)
    return -ENOMEM;
  text = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  if (text == NULL)
    return -ENOMEM;
  r = statedir_write_atomic (e->path, text, strlen (text));
  free (text);
  return r;
}

int
errseq_save (struct errseq *e)
{
  int r;

  pthread_mutex_lock (&e->lock);
  r = save_locked (e);
  pthread_mutex_unlock (&e->lock);
  return r;
}

int
errseq_load (struct errseq *e)
{
  json_error_t jerr;
  json_t *o;
  json_int_t seq, acked;
  int unclean = 0, suspect = 0, r = 0;

  if (e->path == NULL)
    return 0;
  o = json_load_file (e->path, JSON_REJECT_DUPLICATES, &jerr);
  if (o == NULL) {
    /* jansson gives no errno: tell a missing file from a bad one. */
    FILE *fp = fopen (e->path, "r");

    if (fp == NULL)
      return errno == ENOENT ? 0 : -errno;
    fclose (fp);
    return -EBADMSG;
  }
  if (json_unpack (o, "{s:I, s:I, s?b, s?b}", "seq", &seq, "acked", &acked,
                   "volatile_unclean", &unclean, "suspect", &suspect) == -1
      || seq < 0 || acked < 0 || acked > seq) {
    json_decref (o);
    return -EBADMSG;
  }
  json_decref (o);

  pthread_mutex_lock (&e->lock);
  e->seq = (uint64_t) seq;
  e->acked = (uint64_t) acked;
  e->suspect = suspect;
  if (unclean) {
    /* The last volatile session never reached its final sync. */
    e->suspect = true;
    e->seq++;
  }
  e->unclean = false;
  r = save_locked (e);
  pthread_mutex_unlock (&e->lock);
  return r;
}

uint64_t
errseq_sample (struct errseq *e, bool report_past)
{
  uint64_t v;

  pthread_mutex_lock (&e->lock);
  v = report_past ? e->acked : e->seq;
  pthread_mutex_unlock (&e->lock);
  return v;
}

uint64_t
errseq_advance (struct errseq *e, uint64_t *seen)
{
  uint64_t v;

  pthread_mutex_lock (&e->lock);
  v = ++e->seq;
  if (seen && *seen == v - 1)
    *seen = v;
  /* Persisting is best effort: a state dir that fails us must not turn
   * a per-request error into something worse.  The value in memory is
   * what this server answers by.
   */
  save_locked (e);
  pthread_mutex_unlock (&e->lock);
  return v;
}

int
errseq_check (struct errseq *e, uint64_t *seen)
{
  int r = 0;

  pthread_mutex_lock (&e->lock);
  if (e->suspect || (e->sticky && e->seq != e->acked))
    r = -EIO;
  else if (*seen != e->seq)
    r = -EIO;
  *seen = e->seq;
  pthread_mutex_unlock (&e->lock);
  return r;
}

void
errseq_ack (struct errseq *e)
{
  pthread_mutex_lock (&e->lock);
  e->acked = e->seq;
  e->suspect = false;
  save_locked (e);
  pthread_mutex_unlock (&e->lock);
}

int
errseq_set_unclean (struct errseq *e, bool unclean)
{
  int r;

  pthread_mutex_lock (&e->lock);
  e->unclean = unclean;
  r = save_locked (e);
  pthread_mutex_unlock (&e->lock);
  return r;
}

struct errseq_values
errseq_get (struct errseq *e)
{
  struct errseq_values v;

  pthread_mutex_lock (&e->lock);
  v.seq = e->seq;
  v.acked = e->acked;
  v.sticky = e->sticky;
  v.unclean = e->unclean;
  v.suspect = e->suspect;
  pthread_mutex_unlock (&e->lock);
  return v;
}
