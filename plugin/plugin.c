/* nbdscrub: the nbdkit plugin ("nbdkit scrub disk.img").
 *
 * Serves a raw image the way nbdkit's file plugin does (PARALLEL,
 * multi-conn, native FUA, trim, zero, extents, cache), with two lessons
 * of SPEC sections 4 and 5 built in:
 *
 *   - every backing-file failure is classified once (errclass.c): the
 *     transient class is retried in backing.c, a per-request failure is
 *     answered for that request alone, and an instance-fatal failure is
 *     answered ESHUTDOWN from then on and shuts the server down cleanly;
 *   - write-back failures advance one error sequence (errseq.c) that
 *     every connection's FLUSH reports exactly once.
 *
 * One file descriptor serves every connection: pread/pwrite take explicit
 * offsets, and one fdatasync covers everything any connection wrote, which
 * is what makes multi-conn safe to advertise.  State shared by all
 * connections is global, because nbdkit may run .open and .close more
 * than once per client (NBD_OPT_INFO then NBD_OPT_GO).
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "backing.h"
#include "disconnect.h"
#include "errclass.h"
#include "errseq.h"
#include "gate.h"
#include "params.h"
#include "scheduler.h"
#include "sleeper.h"
#include "snapshot.h"
#include "statedir.h"

#ifndef NBDSCRUB_VERSION
#define NBDSCRUB_VERSION "0.1.0"
#endif

/* -D scrub.errors=1: trace every classified backing-file failure. */
NBDKIT_DLL_PUBLIC int scrub_debug_errors;

static struct params cfg;           /* the parameters */
static struct backing bk;           /* the image */
static struct errseq es;            /* the export's error sequence */
static bool ready;                  /* get_ready succeeded */
static int fatal_err;               /* first instance-fatal errno, or 0 */
static struct io_gate gate;         /* every request passes it shared */
static bool state_ok;               /* the state dir is usable */
static struct snapshot snap;        /* the view passes read */
static struct scheduler sched;      /* the background scrubber */
static bool sched_ready;
static unsigned nclients;           /* connections open (atomic) */

/* What the copy-before-write snapshot keeps in memory before it spills
 * to the state dir, and the most it spills.
 */
#define SNAP_MEM_BYTES (64ULL << 20)
#define SNAP_SPILL_MAX (4ULL << 30)
/* The first pass starts this long after the server. */
#define SCRUB_START_DELAY_NS (1000000000ULL)

/* flush=volatile only: the background write-back thread, and its sleep,
 * which .cleanup ends early.
 */
static pthread_t writeback_thread;
static bool writeback_running;
static struct sleeper writeback_sleep;

struct handle {
  uint64_t seen;                    /* this connection's errseq sample */
};

static void
nbdscrub_load (void)
{
  params_init (&cfg);
  gate_init (&gate);
}

static void
nbdscrub_unload (void)
{
  gate_destroy (&gate);
  params_free (&cfg);
}

/* Keys whose value is a path: made absolute, since nbdkit changes
 * directory to / before serving.
 */
static bool
is_path_key (const char *key)
{
  static const char *const keys[] = {
    "state-dir", "control", "control-cert", "control-key", "control-ca",
  };
  size_t i;

  for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (strcmp (key, keys[i]) == 0)
      return true;
  return false;
}

static int
nbdscrub_config (const char *key, const char *value)
{
  char err[256];
  char *path = NULL;
  int r;

  if (strcmp (key, "file") == 0) {
    path = realpath (value, NULL);
    if (path == NULL) {
      nbdkit_error ("file: %s: %m", value);
      return -1;
    }
    value = path;
  }
  else if (is_path_key (key) && *value != '\0') {
    path = nbdkit_absolute_path (value);
    if (path == NULL)
      return -1;
    value = path;
  }
  r = params_set (&cfg, key, value, err, sizeof err);
  free (path);
  if (r == -1) {
    nbdkit_error ("%s", err);
    return -1;
  }
  return 0;
}

static int
nbdscrub_config_complete (void)
{
  char err[256];
  struct stat st;

  if (params_complete (&cfg, err, sizeof err) == -1) {
    nbdkit_error ("%s", err);
    return -1;
  }
  if (stat (cfg.file, &st) == -1) {
    nbdkit_error ("file: %s: %m", cfg.file);
    return -1;
  }
  if (!S_ISREG (st.st_mode) && !S_ISBLK (st.st_mode)) {
    nbdkit_error ("file: %s: not a regular file or block device", cfg.file);
    return -1;
  }
  if (cfg.state_dir == NULL) {
    size_t len = strlen (cfg.file) + sizeof ".nbdscrub";

    cfg.state_dir = malloc (len);
    if (cfg.state_dir == NULL) {
      nbdkit_error ("malloc: %m");
      return -1;
    }
    snprintf (cfg.state_dir, len, "%s.nbdscrub", cfg.file);
  }
  return 0;
}

#define nbdscrub_config_help \
  "[file=]DISK.IMG           (required) The raw ext2/3/4 image to serve.\n" \
  "fs=auto|ext4|none         Filesystem to scrub (default auto).\n" \
  "scrub=on|off              Background scrubbing (default on).\n" \
  "scrub-interval=DURATION   Between full passes (default 1h).\n" \
  "scrub-budget=DURATION     Longest drain of one scrub step (default 2ms).\n" \
  "repair=off|offline|online When repairs may run (default offline).\n" \
  "state-dir=DIR             Persisted state (default FILE.nbdscrub).\n" \
  "control=PATH              Unix control socket.\n" \
  "control-listen=HOST:PORT  TLS control socket (with control-cert=,\n" \
  "                          control-key=, control-ca=).\n" \
  "flush=sync|volatile       FLUSH runs fdatasync (default) or not.\n" \
  "writeback-interval=DURATION  Background fdatasync with flush=volatile.\n" \
  "report-past-errors=BOOL   Connections start at the last acked error.\n" \
  "retries=N                 Retries of a transient failure (default 3).\n" \
  "errortag=TAG[,TAG...]     Fault injection for tests (see man page)."

/* Open the state dir and load the error sequence.  A state dir that
 * cannot be created (read-only media) is no reason to refuse serving:
 * the state is kept in memory and we say so once.
 */
static int
open_state (void)
{
  char *path = NULL;
  int r;

  r = statedir_create (cfg.state_dir);
  state_ok = r == 0;
  if (r < 0) {
    nbdkit_error ("state-dir: %s: %s: keeping state in memory only",
                  cfg.state_dir, strerror (-r));
  }
  else {
    path = statedir_path (cfg.state_dir, "errseq.json");
    if (path == NULL) {
      nbdkit_error ("malloc: %m");
      return -1;
    }
  }

  errseq_init (&es, cfg.flush == PARAM_FLUSH_VOLATILE, path);
  free (path);
  r = errseq_load (&es);
  if (r == -EBADMSG) {
    nbdkit_error ("state-dir: %s/errseq.json is not ours or is damaged: "
                  "starting a new error sequence (the old file is kept "
                  "as errseq.json.bad)", cfg.state_dir);
    path = statedir_path (cfg.state_dir, "errseq.json.bad");
    if (path && rename (es.path, path) == -1)
      nbdkit_error ("rename: %s: %m", es.path);
    free (path);
    r = errseq_save (&es);
  }
  if (r < 0) {
    nbdkit_error ("state-dir: %s: %s", cfg.state_dir, strerror (-r));
    return -1;
  }
  if (errseq_get (&es).suspect)
    nbdkit_error ("%s: the last flush=volatile session did not end with a "
                  "successful sync: the image may be inconsistent; every "
                  "FLUSH fails until the error is acknowledged",
                  cfg.file);
  if (cfg.flush == PARAM_FLUSH_VOLATILE) {
    r = errseq_set_unclean (&es, true);
    if (r < 0) {
      nbdkit_error ("state-dir: %s: cannot write the unclean-session mark: "
                    "%s", cfg.state_dir, strerror (-r));
      return -1;
    }
  }
  return 0;
}

static void
hook_error (void *opaque, const char *msg)
{
  (void) opaque;
  nbdkit_error ("%s", msg);
}

static void
hook_debug (void *opaque, const char *msg)
{
  (void) opaque;
  nbdkit_debug ("%s", msg);
}

static unsigned
hook_clients (void *opaque)
{
  (void) opaque;
  return __atomic_load_n (&nclients, __ATOMIC_ACQUIRE);
}

static json_t *
hook_io (void *opaque)
{
  struct backing_stats st = backing_get_stats (&bk);
  struct errseq_values ev = errseq_get (&es);

  (void) opaque;
  return json_pack ("{s:{s:I, s:I, s:I, s:I}, s:I, s:I}",
                    "errors", "failures", (json_int_t) st.failures,
                    "exhausted", (json_int_t) st.exhausted,
                    "eintr_retries", (json_int_t) st.eintr_retries,
                    "eagain_retries", (json_int_t) st.eagain_retries,
                    "errseq", (json_int_t) ev.seq,
                    "errseq_acked", (json_int_t) ev.acked);
}

static bool
hook_dead (void *opaque)
{
  (void) opaque;
  return __atomic_load_n (&fatal_err, __ATOMIC_ACQUIRE) != 0;
}

/* The snapshot and the scheduler, set up here where errors are seen;
 * the thread itself starts in .after_fork.
 */
static int
start_scrubber (void)
{
  const struct sched_config sc = {
    .image = cfg.file,
    .state_dir = state_ok ? cfg.state_dir : NULL,
    .interval_ns = cfg.scrub_interval_ns,
    .budget_ns = cfg.scrub_budget_ns,
    .delay_ns = SCRUB_START_DELAY_NS,
  };
  const struct sched_hooks hooks = {
    .error = hook_error, .debug = hook_debug, .clients = hook_clients,
    .io = hook_io, .dead = hook_dead, .opaque = NULL,
  };
  int64_t size = backing_size (&bk);
  int r;

  if (size < 0) {
    nbdkit_error ("size: %s: %s", cfg.file, strerror ((int) -size));
    return -1;
  }
  r = snap_init (&snap, bk.fd, (uint64_t) size, SNAP_MEM_BYTES,
                 state_ok ? cfg.state_dir : NULL,
                 (uint64_t) size < SNAP_SPILL_MAX ? (uint64_t) size
                 : SNAP_SPILL_MAX);
  if (r < 0) {
    nbdkit_error ("scrub: %s", strerror (-r));
    return -1;
  }
  r = sched_init (&sched, &sc, &hooks, &gate, &snap);
  if (r < 0) {
    nbdkit_error ("scrub: %s", strerror (-r));
    snap_destroy (&snap);
    return -1;
  }
  sched_ready = true;
  return 0;
}

static int
nbdscrub_get_ready (void)
{
  int r;

  r = backing_open (&bk, cfg.file, true, cfg.retries, &cfg.errortags);
  if (r < 0) {
    nbdkit_error ("open: %s: %s", cfg.file, strerror (-r));
    return -1;
  }
  if (bk.readonly)
    nbdkit_debug ("%s: opened read-only", cfg.file);
  if (open_state () == -1) {
    backing_close (&bk);
    return -1;
  }
  if (start_scrubber () == -1) {
    errseq_destroy (&es);
    backing_close (&bk);
    return -1;
  }
  ready = true;
  return 0;
}

/* flush=volatile: FLUSH does not sync, so a thread does, every
 * writeback-interval, and advances the error sequence when it fails.
 */
static void *
writeback_loop (void *arg)
{
  (void) arg;
  while (sleeper_nap (&writeback_sleep, cfg.writeback_interval_ns)) {
    int r = backing_fdatasync (&bk);

    if (r < 0) {
      uint64_t seq = errseq_advance (&es, NULL);

      nbdkit_error ("write-back: fdatasync: %s: %s: errseq %" PRIu64
                    ": every FLUSH fails until acknowledged",
                    cfg.file, strerror (-r), seq);
    }
  }
  return NULL;
}

static int
nbdscrub_after_fork (void)
{
  int r;

  r = sched_ready ? sched_start (&sched, cfg.scrub && cfg.fs != PARAM_FS_NONE) : 0;
  if (r < 0) {
    nbdkit_error ("scrub: cannot start the scrubber: %s", strerror (-r));
    return -1;
  }
  if (cfg.flush != PARAM_FLUSH_VOLATILE || bk.readonly)
    return 0;
  sleeper_init (&writeback_sleep);
  r = pthread_create (&writeback_thread, NULL, writeback_loop, NULL);
  if (r != 0) {
    nbdkit_error ("pthread_create: %s", strerror (r));
    sleeper_destroy (&writeback_sleep);
    return -1;
  }
  writeback_running = true;
  return 0;
}

/* nbdkit 1.32 skips .close for connections still open at shutdown, so the
 * last fdatasync is here, after every connection thread has gone.
 */
static void
nbdscrub_cleanup (void)
{
  int r;

  if (sched_ready) {
    sched_destroy (&sched);     /* stops and joins the thread */
    snap_destroy (&snap);
    sched_ready = false;
  }
  if (writeback_running) {
    sleeper_stop (&writeback_sleep);
    pthread_join (writeback_thread, NULL);
    sleeper_destroy (&writeback_sleep);
    writeback_running = false;
  }
  if (!ready)
    return;
  if (!bk.readonly) {
    r = backing_fdatasync (&bk);
    if (r < 0) {
      errseq_advance (&es, NULL);
      nbdkit_error ("final fdatasync: %s: %s", cfg.file, strerror (-r));
    }
    else if (cfg.flush == PARAM_FLUSH_VOLATILE)
      errseq_set_unclean (&es, false);
  }
  backing_close (&bk);
  errseq_destroy (&es);
  ready = false;
}

static void
nbdscrub_dump_plugin (void)
{
  unsigned i;

  printf ("scrub_version=%s\n", NBDSCRUB_VERSION);
  printf ("scrub_flush=sync,volatile\n");
  printf ("scrub_errortag=read,write,trim,zero,fsync,any,fatal\n");
  printf ("scrub_error_classes=");
  for (i = 0; i < errclass_table_len; i++)
    printf ("%s%s:%s", i ? "," : "",
            strerrorname_np (errclass_table[i].err),
            errclass_name (errclass_table[i].class));
  printf ("\n");
  printf ("scrub_jansson=%s\n", jansson_version_str ());
}

static void *
nbdscrub_open (int readonly)
{
  struct handle *h;

  (void) readonly;
  if (__atomic_load_n (&fatal_err, __ATOMIC_ACQUIRE)) {
    nbdkit_error ("%s: the backing file failed: the server is shutting down",
                  cfg.file);
    nbdkit_set_error (ESHUTDOWN);
    return NULL;
  }
  h = malloc (sizeof *h);
  if (h == NULL) {
    nbdkit_error ("malloc: %m");
    return NULL;
  }
  h->seen = errseq_sample (&es, cfg.report_past_errors);
  __atomic_add_fetch (&nclients, 1, __ATOMIC_ACQ_REL);
  return h;
}

static void
nbdscrub_close (void *handle)
{
  __atomic_sub_fetch (&nclients, 1, __ATOMIC_ACQ_REL);
  free (handle);
}

static int64_t
nbdscrub_get_size (void *handle)
{
  int64_t r = backing_size (&bk);

  (void) handle;
  if (r < 0) {
    nbdkit_error ("size: %s: %s", cfg.file, strerror ((int) -r));
    return -1;
  }
  return r;
}

static int
nbdscrub_can_write (void *handle)
{
  (void) handle;
  return !bk.readonly;
}

static int
nbdscrub_can_flush (void *handle)
{
  (void) handle;
  return 1;
}

static int
nbdscrub_can_trim (void *handle)
{
  (void) handle;
  return !bk.readonly;
}

static int
nbdscrub_can_zero (void *handle)
{
  (void) handle;
  return !bk.readonly;
}

static int
nbdscrub_can_fast_zero (void *handle)
{
  (void) handle;
  return !bk.readonly;
}

static int
nbdscrub_can_fua (void *handle)
{
  (void) handle;
  return NBDKIT_FUA_NATIVE;
}

/* One descriptor, one fdatasync for all: a flush on any connection covers
 * what every connection wrote.
 */
static int
nbdscrub_can_multi_conn (void *handle)
{
  (void) handle;
  return 1;
}

static int
nbdscrub_can_extents (void *handle)
{
  (void) handle;
  return backing_can_extents (&bk);
}

static int
nbdscrub_can_cache (void *handle)
{
  (void) handle;
  return NBDKIT_CACHE_NATIVE;
}

static int
nbdscrub_block_size (void *handle, uint32_t *minimum, uint32_t *preferred,
                     uint32_t *maximum)
{
  (void) handle;
  *minimum = 1;
  *preferred = 4096;
  *maximum = 0xffffffff;
  return 0;
}

/* The instance-fatal class: the backing file is gone.  Answer ESHUTDOWN
 * now and for every later request, and stop the server so clients see a
 * disconnect instead of hanging on a dead export.  nbdkit_shutdown alone
 * would wait for idle clients to leave on their own (disconnect.h).
 */
static void
go_fatal (const char *what, int err)
{
  int expected = 0, r;

  if (__atomic_compare_exchange_n (&fatal_err, &expected, err, false,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    nbdkit_error ("transport-error: %s: %s: %s: the backing file is "
                  "unusable, shutting the server down", what, cfg.file,
                  strerror (err));
    nbdkit_shutdown ();
    r = disconnect_clients (NULL, 0);
    if (r < 0)
      nbdkit_error ("cannot disconnect the clients: %s", strerror (-r));
  }
}

static int
refuse_if_fatal (void)
{
  if (__atomic_load_n (&fatal_err, __ATOMIC_ACQUIRE)) {
    nbdkit_set_error (ESHUTDOWN);
    return -1;
  }
  return 0;
}

/* Every failure of a request passes here.  err is what backing.c returned
 * (after its retries); write_side says whether part of the range may have
 * been written.  Returns -1 for the callback to return.
 */
static int
request_failed (struct handle *h, const char *what, int err,
                uint64_t offset, uint32_t count, bool write_side)
{
  enum err_class c = errclass_of (err);

  if (scrub_debug_errors)
    nbdkit_debug ("%s: %" PRIu64 "+%" PRIu32 ": %s: class %s", what,
                  offset, count, strerror (err), errclass_name (c));
  switch (c) {
  case ERR_FATAL:
    go_fatal (what, err);
    /* fallthrough */
  case ERR_SHUTDOWN:
    nbdkit_set_error (ESHUTDOWN);
    return -1;
  case ERR_TRANSIENT:   /* backing.c turns these into EIO: not reached */
  case ERR_PER_REQUEST:
    break;
  }
  nbdkit_error ("io-error: %s: %s: offset %" PRIu64 " length %" PRIu32
                ": %s", what, cfg.file, offset, count, strerror (err));
  if (write_side && errclass_advances_errseq (c))
    errseq_advance (&es, h ? &h->seen : NULL);
  nbdkit_set_error (errclass_reply (err));
  return -1;
}

/* FLUSH, and the flush half of a FUA request: sync (unless volatile), then
 * tell this connection of any write-back failure it has not heard of.
 */
static int
flush_and_check (struct handle *h, const char *what)
{
  if (cfg.flush == PARAM_FLUSH_SYNC) {
    int r = backing_fdatasync (&bk);

    if (r < 0) {
      enum err_class c = errclass_of (-r);
      uint64_t seq;

      if (c == ERR_FATAL || c == ERR_SHUTDOWN)
        return request_failed (h, what, -r, 0, 0, false);
      seq = errseq_advance (&es, &h->seen);
      nbdkit_error ("io-error: %s: fdatasync: %s: %s: write-back failed, "
                    "errseq %" PRIu64, what, cfg.file, strerror (-r), seq);
      errseq_check (&es, &h->seen);
      nbdkit_set_error (EIO);
      return -1;
    }
  }
  if (errseq_check (&es, &h->seen) < 0) {
    if (scrub_debug_errors)
      nbdkit_debug ("%s: reporting an earlier write-back failure", what);
    nbdkit_set_error (EIO);
    return -1;
  }
  return 0;
}

/* The one write path (SPEC 6.5): every write, trim and zero passes here
 * before it changes the image.  The snapshot's copy-before-write hangs
 * on it.
 */
static void
observe_write (uint64_t offset, uint32_t count)
{
  if (sched_ready)
    sched_observe_write (&sched, offset, count);
}

static int
serve_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
             uint32_t flags)
{
  int r;

  (void) flags;
  if (refuse_if_fatal () == -1)
    return -1;
  r = backing_pread (&bk, buf, count, offset);
  if (r < 0)
    return request_failed (handle, "read", -r, offset, count, false);
  return 0;
}

static int
serve_pwrite (void *handle, const void *buf, uint32_t count,
              uint64_t offset, uint32_t flags)
{
  int r;

  if (refuse_if_fatal () == -1)
    return -1;
  observe_write (offset, count);
  r = backing_pwrite (&bk, buf, count, offset);
  if (r < 0)
    return request_failed (handle, "write", -r, offset, count, true);
  if (flags & NBDKIT_FLAG_FUA)
    return flush_and_check (handle, "write");
  return 0;
}

static int
serve_flush (void *handle, uint32_t flags)
{
  (void) flags;
  if (refuse_if_fatal () == -1)
    return -1;
  return flush_and_check (handle, "flush");
}

static int
serve_trim (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  int r;

  if (refuse_if_fatal () == -1)
    return -1;
  observe_write (offset, count);
  r = backing_trim (&bk, count, offset);
  if (r < 0)
    return request_failed (handle, "trim", -r, offset, count, true);
  if (flags & NBDKIT_FLAG_FUA)
    return flush_and_check (handle, "trim");
  return 0;
}

static int
serve_zero (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  int r;

  if (refuse_if_fatal () == -1)
    return -1;
  observe_write (offset, count);
  r = backing_zero (&bk, count, offset, flags & NBDKIT_FLAG_MAY_TRIM,
                    flags & NBDKIT_FLAG_FAST_ZERO);
  if (r == -EOPNOTSUPP || r == -ENOTSUP) {
    /* nbdkit writes zeroes itself (or answers a fast zero ENOTSUP). */
    nbdkit_set_error (-r);
    return -1;
  }
  if (r < 0)
    return request_failed (handle, "zero", -r, offset, count, true);
  if (flags & NBDKIT_FLAG_FUA)
    return flush_and_check (handle, "zero");
  return 0;
}

static int
add_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  return nbdkit_add_extent (opaque, offset, length, type);
}

static int
serve_extents (void *handle, uint32_t count, uint64_t offset,
               uint32_t flags, struct nbdkit_extents *extents)
{
  int r;

  if (refuse_if_fatal () == -1)
    return -1;
  r = backing_extents (&bk, count, offset, flags & NBDKIT_FLAG_REQ_ONE,
                       add_extent, extents);
  if (r < 0)
    return request_failed (handle, "extents", -r, offset, count, false);
  return 0;
}

static int
serve_cache (void *handle, uint32_t count, uint64_t offset,
             uint32_t flags)
{
  (void) handle;
  (void) flags;
  if (refuse_if_fatal () == -1)
    return -1;
  /* Advisory: a failed hint is not the client's problem. */
  if (backing_cache (&bk, count, offset) < 0)
    nbdkit_debug ("cache: posix_fadvise failed at %" PRIu64, offset);
  return 0;
}

/* The gate: every request waits there while a drain holds the image
 * still (gate.h), then runs shared with the others.
 */
#define GATED(call)                                                     \
  do {                                                                  \
    int r_;                                                             \
                                                                        \
    gate_enter (&gate);                                                 \
    r_ = (call);                                                        \
    gate_leave (&gate);                                                 \
    return r_;                                                          \
  } while (0)

static int
nbdscrub_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
                uint32_t flags)
{
  GATED (serve_pread (handle, buf, count, offset, flags));
}

static int
nbdscrub_pwrite (void *handle, const void *buf, uint32_t count,
                 uint64_t offset, uint32_t flags)
{
  GATED (serve_pwrite (handle, buf, count, offset, flags));
}

static int
nbdscrub_flush (void *handle, uint32_t flags)
{
  GATED (serve_flush (handle, flags));
}

static int
nbdscrub_trim (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  GATED (serve_trim (handle, count, offset, flags));
}

static int
nbdscrub_zero (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  GATED (serve_zero (handle, count, offset, flags));
}

static int
nbdscrub_extents (void *handle, uint32_t count, uint64_t offset,
                  uint32_t flags, struct nbdkit_extents *extents)
{
  GATED (serve_extents (handle, count, offset, flags, extents));
}

static int
nbdscrub_cache (void *handle, uint32_t count, uint64_t offset,
                uint32_t flags)
{
  GATED (serve_cache (handle, count, offset, flags));
}

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static struct nbdkit_plugin plugin = {
  .name = "scrub",
  .longname = "nbdscrub: serve and scrub an ext2/3/4 image",
  .version = NBDSCRUB_VERSION,
  .description = "Serves a raw image and keeps the filesystem in it healthy",
  .load = nbdscrub_load,
  .unload = nbdscrub_unload,
  .config = nbdscrub_config,
  .config_complete = nbdscrub_config_complete,
  .config_help = nbdscrub_config_help,
  .magic_config_key = "file",
  .get_ready = nbdscrub_get_ready,
  .after_fork = nbdscrub_after_fork,
  .cleanup = nbdscrub_cleanup,
  .dump_plugin = nbdscrub_dump_plugin,
  .open = nbdscrub_open,
  .close = nbdscrub_close,
  .get_size = nbdscrub_get_size,
  .block_size = nbdscrub_block_size,
  .can_write = nbdscrub_can_write,
  .can_flush = nbdscrub_can_flush,
  .can_trim = nbdscrub_can_trim,
  .can_zero = nbdscrub_can_zero,
  .can_fast_zero = nbdscrub_can_fast_zero,
  .can_fua = nbdscrub_can_fua,
  .can_multi_conn = nbdscrub_can_multi_conn,
  .can_extents = nbdscrub_can_extents,
  .can_cache = nbdscrub_can_cache,
  .pread = nbdscrub_pread,
  .pwrite = nbdscrub_pwrite,
  .flush = nbdscrub_flush,
  .trim = nbdscrub_trim,
  .zero = nbdscrub_zero,
  .extents = nbdscrub_extents,
  .cache = nbdscrub_cache,
  .errno_is_preserved = 0,
};

NBDKIT_REGISTER_PLUGIN (plugin)
