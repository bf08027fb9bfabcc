/* Unit and stress tests: the background scrubber (plugin/scheduler.c)
 * over real images made by mke2fs, with the real gate and snapshot.
 *
 *   - a pass over a clean image is clean, counted, and published in
 *     status.json with the fields of SPEC 6.4;
 *   - clients scribbling over metadata while a pass runs do not reach
 *     the pass (the snapshot keeps the old bytes), and the same damage
 *     left in place is reported by the next pass, logged once however
 *     many passes see it;
 *   - a filesystem without a journal, or one made anew, is refused
 *     (INCOMPLETE, never CORRUPT) while a client is connected and it is
 *     not at rest, and scrubbed once it is;
 *   - an image with no filesystem is skipped, and picked up when one is
 *     made;
 *   - health and statistics survive a restart through health.json, and
 *     a damaged health.json is set aside with a message;
 *   - the thread runs passes back to back against writer threads and
 *     stops when asked (this file is also built under ThreadSanitizer).
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "scheduler.h"
#include "unit.h"

static char dir[] = "/tmp/nbdscrub-sched.XXXXXX";
static bool made;

/* --- a harness: one image, its gate, snapshot and scheduler ----------- */

struct harness {
  char img[256];
  char state[256];
  int fd;
  uint64_t size;
  struct io_gate gate;
  struct snapshot snap;
  struct scheduler s;
  atomic_uint clients;
  pthread_mutex_t log_lock;
  char log[65536];
  size_t log_len;
};

static void
h_error (void *opaque, const char *msg)
{
  struct harness *h = opaque;
  size_t n = strlen (msg);

  pthread_mutex_lock (&h->log_lock);
  if (h->log_len + n + 2 < sizeof h->log) {
    memcpy (h->log + h->log_len, msg, n);
    h->log[h->log_len + n] = '\n';
    h->log_len += n + 1;
    h->log[h->log_len] = '\0';
  }
  pthread_mutex_unlock (&h->log_lock);
}

static unsigned
h_clients (void *opaque)
{
  struct harness *h = opaque;

  return atomic_load (&h->clients);
}

/* Run a shell command, with e2fsprogs on PATH. */
static void
run (const char *what)
{
  char cmd[1200];

  snprintf (cmd, sizeof cmd, "PATH=/usr/sbin:/sbin:$PATH %s", what);
  CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
}

/* Make image name with mke2fs options opts (NULL: no filesystem, only
 * zeroes) and a populated tree.
 */
static void
make_image (struct harness *h, const char *name, const char *opts)
{
  char cmd[1024];

  snprintf (h->img, sizeof h->img, "%s/%s", dir, name);
  snprintf (h->state, sizeof h->state, "%s/%s.state", dir, name);
  mkdir (h->state, 0700);
  if (opts == NULL) {
    snprintf (cmd, sizeof cmd, "truncate -s 64M %s", h->img);
    run (cmd);
    return;
  }
  snprintf (cmd, sizeof cmd,
            "rm -rf %s/tree && mkdir -p %s/tree/a/b/c && "
            "for i in $(seq 1 300); do echo $i > %s/tree/a/f$i; done && "
            "ln -s a/b/c %s/tree/link && "
            "dd if=/dev/urandom of=%s/tree/a/b/big bs=64k count=16 "
            "status=none && "
            "mke2fs -q -F %s -d %s/tree %s 64M",
            dir, dir, dir, dir, dir, opts, dir, h->img);
  run (cmd);
}

static void
h_open (struct harness *h)
{
  const struct sched_config cfg = {
    .image = h->img, .state_dir = h->state,
    .interval_ns = 0, .budget_ns = 2000000, .delay_ns = 0,
  };
  const struct sched_hooks hooks = {
    .error = h_error, .clients = h_clients, .opaque = h,
  };
  struct stat st;

  h->fd = open (h->img, O_RDWR | O_CLOEXEC);
  CU_ASSERT_FATAL (h->fd >= 0);
  CU_ASSERT_FATAL (fstat (h->fd, &st) == 0);
  h->size = (uint64_t) st.st_size;
  h->log_len = 0;
  h->log[0] = '\0';
  atomic_store (&h->clients, 0);
  pthread_mutex_init (&h->log_lock, NULL);
  gate_init (&h->gate);
  CU_ASSERT_FATAL (snap_init (&h->snap, h->fd, h->size, 1 << 20, h->state,
                              64 << 20) == 0);
  CU_ASSERT_FATAL (sched_init (&h->s, &cfg, &hooks, &h->gate,
                               &h->snap) == 0);
}

static void
h_close (struct harness *h)
{
  sched_destroy (&h->s);
  snap_destroy (&h->snap);
  gate_destroy (&h->gate);
  pthread_mutex_destroy (&h->log_lock);
  close (h->fd);
}

/* A client write: through the gate and the observer point, as the
 * plugin's pwrite does.
 */
static void
client_write (struct harness *h, const void *buf, size_t len, uint64_t off)
{
  gate_enter (&h->gate);
  sched_observe_write (&h->s, off, len);
  CU_ASSERT (pwrite (h->fd, buf, len, (off_t) off) == (ssize_t) len);
  gate_leave (&h->gate);
}

static json_t *
status (struct harness *h)
{
  json_t *st = sched_status (&h->s);

  CU_ASSERT_FATAL (st != NULL);
  return st;
}

static json_int_t
st_int (json_t *st, const char *a, const char *b)
{
  json_t *v = json_object_get (st, a);

  if (b)
    v = json_object_get (v, b);
  return json_integer_value (v);
}

static const char *
st_str (json_t *st, const char *a, const char *b)
{
  json_t *v = json_object_get (st, a);

  if (b)
    v = json_object_get (v, b);
  return json_string_value (v) ? json_string_value (v) : "";
}

/* Where group 0's inode table is, from the image itself. */
static uint64_t
inode_table_offset (struct harness *h, uint32_t *block_size)
{
  struct fsf_source src;
  struct fsf_fs fs;
  struct fsf_gd gd;
  uint64_t off;

  fsf_source_fd (&src, &h->fd, h->size);
  CU_ASSERT_FATAL (fsf_fs_open (&fs, &src, 0) == 0);
  CU_ASSERT_FATAL (fsf_fs_read_gd (&fs, 0, &gd, NULL) == 0);
  *block_size = fs.sb.block_size;
  off = gd.inode_table * fs.sb.block_size;
  fsf_fs_close (&fs);
  return off;
}

static size_t
count (const char *hay, const char *needle)
{
  size_t n = 0;

  while ((hay = strstr (hay, needle)) != NULL) {
    n++;
    hay++;
  }
  return n;
}

/* --- tests ------------------------------------------------------------ */

static void
test_scheduler__clean_pass_published (void)
{
  struct harness *h = calloc (1, sizeof *h);
  json_t *st, *file;
  json_error_t err;
  char path[300];

  make_image (h, "clean.img", "-t ext4");
  h_open (h);
  CU_ASSERT (sched_run_pass (&h->s));
  CU_ASSERT (sched_run_pass (&h->s));
  st = status (h);
  CU_ASSERT_EQUAL (st_int (st, "passes", NULL), 2);
  CU_ASSERT_STRING_EQUAL (st_str (st, "last_pass", "result"), "clean");
  CU_ASSERT_STRING_EQUAL (st_str (st, "fs", "type"), "ext4");
  CU_ASSERT_EQUAL (st_int (st, "problems_total", NULL), 0);
  CU_ASSERT_EQUAL (json_array_size (json_object_get (st, "problems")), 0);
  CU_ASSERT (st_int (st, "drains", "count") >= 2);
  CU_ASSERT (st_int (st, "health", "clean") == st_int (st, "fs", "groups"));
  json_decref (st);

  /* The same document on disk, replaced whole. */
  snprintf (path, sizeof path, "%s/status.json", h->state);
  file = json_load_file (path, 0, &err);
  CU_ASSERT_FATAL (file != NULL);
  CU_ASSERT_EQUAL (st_int (file, "passes", NULL), 2);
  CU_ASSERT_STRING_EQUAL (st_str (file, "last_pass", "result"), "clean");
  CU_ASSERT (json_object_get (file, "drains") != NULL);
  CU_ASSERT (json_object_get (file, "io") != NULL);
  json_decref (file);
  CU_ASSERT_EQUAL (h->log_len, 0);
  h_close (h);
  free (h);
}

/* A pass runs in a thread; a writer scribbles over the inode table the
 * moment the pass has pinned its view.
 */
struct scribble {
  struct harness *h;
  uint64_t off;
  size_t len;
  uint64_t snapshots_before;
  atomic_int done;
};

static void *
pass_thread (void *arg)
{
  struct scribble *sc = arg;

  sched_run_pass (&sc->h->s);
  atomic_store (&sc->done, 1);
  return NULL;
}

static void
test_scheduler__writes_during_pass_not_seen (void)
{
  struct harness *h = calloc (1, sizeof *h);
  struct scribble sc = { .h = h };
  uint32_t bs;
  uint8_t *junk, *orig;
  unsigned tries, overlapped = 0;
  json_t *st;

  make_image (h, "scribble.img", "-t ext4 -N 32768");
  h_open (h);
  sc.off = inode_table_offset (h, &bs);
  sc.len = 64 * 1024;
  junk = malloc (sc.len);
  orig = malloc (sc.len);
  memset (junk, 0xa5, sc.len);
  CU_ASSERT_FATAL (pread (h->fd, orig, sc.len, (off_t) sc.off)
                   == (ssize_t) sc.len);
  /* Snapshot mode: make the scheduler believe passes are long.  How
   * often the write lands before the pass ends depends on timing: many
   * inodes make the pass long enough that most tries overlap.
   */
  for (tries = 0; tries < 100 && overlapped < 3; tries++) {
    pthread_t t;
    struct snap_stats ss;

    h->s.last_ns = 0;
    snap_get_stats (&h->snap, &ss);
    sc.snapshots_before = ss.snapshots;
    atomic_store (&sc.done, 0);
    pthread_create (&t, NULL, pass_thread, &sc);
    do
      snap_get_stats (&h->snap, &ss);
    while (ss.snapshots == sc.snapshots_before && !atomic_load (&sc.done));
    client_write (h, junk, sc.len, sc.off);
    pthread_join (t, NULL);
    st = status (h);
    if (st_int (st, "last_pass", "snapshot_chunks") > 0)
      overlapped++;
    /* Whatever the timing, the pass saw the image before the junk. */
    CU_ASSERT_STRING_EQUAL (st_str (st, "last_pass", "result"), "clean");
    json_decref (st);
    client_write (h, orig, sc.len, sc.off);
  }
  CU_ASSERT (overlapped >= 3);

  /* The junk left in place is found, and logged once. */
  client_write (h, junk, sc.len, sc.off);
  sched_run_pass (&h->s);
  sched_run_pass (&h->s);
  sched_run_pass (&h->s);
  st = status (h);
  CU_ASSERT_STRING_EQUAL (st_str (st, "last_pass", "result"), "corrupt");
  CU_ASSERT (st_int (st, "problems_total", NULL)
             >= 3 * st_int (st, "last_pass", "corrupt"));
  CU_ASSERT (json_array_size (json_object_get (st, "problems")) > 0);
  {
    json_t *first = json_array_get (json_object_get (st, "problems"), 0);
    char needle[1024];

    snprintf (needle, sizeof needle, "%s %s %s %s: %s",
              st_str (first, "code", NULL), st_str (first, "name", NULL),
              st_str (first, "severity", NULL),
              st_str (first, "object", NULL),
              st_str (first, "message", NULL));
    CU_ASSERT_EQUAL (count (h->log, needle), 1);
  }
  json_decref (st);
  client_write (h, orig, sc.len, sc.off);
  sched_run_pass (&h->s);
  st = status (h);
  CU_ASSERT_STRING_EQUAL (st_str (st, "last_pass", "result"), "clean");
  json_decref (st);
  free (junk);
  free (orig);
  h_close (h);
  free (h);
}

/* s_state is at byte 0x3a of the superblock (no checksum on ext2). */
static void
set_sb_state (struct harness *h, uint16_t state)
{
  uint8_t b[2] = { state & 0xff, state >> 8 };

  client_write (h, b, 2, 1024 + 0x3a);
}

static void
test_scheduler__ext2_only_at_rest (void)
{
  struct harness *h = calloc (1, sizeof *h);
  const uint8_t one = 0;
  json_t *st;

  make_image (h, "ext2.img", "-t ext2");
  h_open (h);
  /* A client connected and writing: refused, not judged. */
  atomic_store (&h->clients, 1);
  set_sb_state (h, 0);          /* mounted: not clean */
  CU_ASSERT (!sched_run_pass (&h->s));
  st = status (h);
  CU_ASSERT_STRING_EQUAL (st_str (st, "last_pass", "result"), "incomplete");
  CU_ASSERT (strstr (st_str (st, "last_pass", "reason"), "no journal") != NULL);
  CU_ASSERT_EQUAL (st_int (st, "problems_total", NULL), 0);
  json_decref (st);
  /* Still mounted, nothing written since: still refused. */
  CU_ASSERT (!sched_run_pass (&h->s));
  /* Cleanly unmounted, but written since the last pass: refused. */
  set_sb_state (h, 1);
  CU_ASSERT (!sched_run_pass (&h->s));
  /* ... and with nothing written since: at rest, scrubbed. */
  CU_ASSERT (sched_run_pass (&h->s));
  st = status (h);
  CU_ASSERT_STRING_EQUAL (st_str (st, "last_pass", "result"), "clean");
  CU_ASSERT_STRING_EQUAL (st_str (st, "fs", "type"), "ext2");
  json_decref (st);
  /* No client at all: scrubbed whatever the superblock says. */
  set_sb_state (h, 0);
  client_write (h, &one, 0, 0);
  atomic_store (&h->clients, 0);
  CU_ASSERT (sched_run_pass (&h->s));
  set_sb_state (h, 1);
  h_close (h);
  free (h);
}

static void
test_scheduler__remade_and_no_fs (void)
{
  struct harness *h = calloc (1, sizeof *h);
  const uint8_t zero[4096] = { 0 };
  json_t *st;
  char cmd[512];

  make_image (h, "remade.img", NULL);
  h_open (h);
  /* No filesystem: not a pass, nothing reported. */
  CU_ASSERT (!sched_run_pass (&h->s));
  st = status (h);
  CU_ASSERT_EQUAL (st_int (st, "passes", NULL), 0);
  CU_ASSERT_STRING_EQUAL (st_str (st, "fs", "type"), "none");
  CU_ASSERT (json_is_null (json_object_get (st, "last_pass")));
  json_decref (st);

  /* mkfs "through the server" while a client is connected: a new
   * filesystem is judged only at rest.
   */
  atomic_store (&h->clients, 1);
  snprintf (cmd, sizeof cmd, "mke2fs -q -F -t ext4 %s", h->img);
  run (cmd);
  client_write (h, zero, 0, 0);       /* count a write */
  CU_ASSERT (!sched_run_pass (&h->s));
  st = status (h);
  CU_ASSERT_STRING_EQUAL (st_str (st, "last_pass", "result"), "incomplete");
  CU_ASSERT (strstr (st_str (st, "last_pass", "reason"), "anew") != NULL);
  CU_ASSERT_STRING_EQUAL (st_str (st, "fs", "type"), "ext4");
  json_decref (st);
  /* Nothing written since, cleanly unmounted: scrubbed; from then on a
   * journaled filesystem is scrubbed while clients write.
   */
  CU_ASSERT (sched_run_pass (&h->s));
  client_write (h, zero, 0, 0);
  CU_ASSERT (sched_run_pass (&h->s));

  /* Made anew again (another UUID): refused while a client writes. */
  run (cmd);
  client_write (h, zero, 0, 0);
  CU_ASSERT (!sched_run_pass (&h->s));
  atomic_store (&h->clients, 0);
  CU_ASSERT (sched_run_pass (&h->s));
  st = status (h);
  CU_ASSERT_STRING_EQUAL (st_str (st, "last_pass", "result"), "clean");
  CU_ASSERT_EQUAL (st_int (st, "problems_total", NULL), 0);
  json_decref (st);
  h_close (h);
  free (h);
}

static void
test_scheduler__health_persists (void)
{
  struct harness *h = calloc (1, sizeof *h);
  json_t *st;
  char path[300];
  FILE *f;

  make_image (h, "health.img", "-t ext4");
  h_open (h);
  CU_ASSERT (sched_run_pass (&h->s));
  CU_ASSERT (sched_run_pass (&h->s));
  CU_ASSERT (sched_run_pass (&h->s));
  h_close (h);

  h_open (h);
  st = status (h);
  CU_ASSERT_EQUAL (st_int (st, "passes", NULL), 0);      /* this server */
  CU_ASSERT_EQUAL (st_int (st, "stats", "passes"), 3);   /* lifetime */
  CU_ASSERT (st_int (st, "health", "clean") > 0);
  CU_ASSERT (json_integer_value (json_object_get (json_object_get (
    json_object_get (json_object_get (st, "stats"), "types"), "inode"),
    "runs")) > 0);
  json_decref (st);
  CU_ASSERT (sched_run_pass (&h->s));
  st = status (h);
  CU_ASSERT_EQUAL (st_int (st, "last_pass", "id"), 4);
  json_decref (st);
  h_close (h);

  /* A damaged record is set aside with a message, never half-used. */
  snprintf (path, sizeof path, "%s/health.json", h->state);
  f = fopen (path, "w");
  CU_ASSERT_FATAL (f != NULL);
  fputs ("{\"version\": 1, \"mkfs_time\": 0, \"passes\": 7, \"stats\": {},"
         " \"groups\": [[0, 5, \"bogus\", 0]], \"sick_inodes\": []}\n", f);
  fclose (f);
  h_open (h);
  CU_ASSERT (strstr (h->log, "health.json is not ours or is damaged") != NULL);
  st = status (h);
  CU_ASSERT_EQUAL (st_int (st, "stats", "passes"), 0);
  CU_ASSERT_EQUAL (st_int (st, "health", "groups"), 0);
  json_decref (st);
  h_close (h);
  free (h);
}

/* The thread against writer threads that rewrite the image with what
 * it already holds: every write goes through the gate and the observer,
 * the filesystem never changes, every pass must be clean.
 */
struct rewriter {
  struct harness *h;
  atomic_int *stop;
  unsigned seed;
};

static void *
rewrite_loop (void *arg)
{
  struct rewriter *w = arg;
  uint8_t buf[16384];

  while (!atomic_load (w->stop)) {
    uint64_t off = ((uint64_t) rand_r (&w->seed) * 4096)
      % (w->h->size - sizeof buf);
    size_t len = 512 + (size_t) rand_r (&w->seed) % (sizeof buf - 512);

    gate_enter (&w->h->gate);
    if (pread (w->h->fd, buf, len, (off_t) off) == (ssize_t) len) {
      sched_observe_write (&w->h->s, off, len);
      if (pwrite (w->h->fd, buf, len, (off_t) off) != (ssize_t) len)
        abort ();
    }
    gate_leave (&w->h->gate);
  }
  return NULL;
}

static void
test_scheduler__thread_against_writers (void)
{
  struct harness *h = calloc (1, sizeof *h);
  struct rewriter w[3];
  pthread_t t[3];
  atomic_int stop = 0;
  struct timespec ts = { 0, 100 * 1000000 };
  json_t *st;
  unsigned i;

  make_image (h, "thread.img", "-t ext4");
  h_open (h);
  atomic_store (&h->clients, 2);
  CU_ASSERT_FATAL (sched_start (&h->s, true) == 0);
  for (i = 0; i < 3; i++) {
    w[i] = (struct rewriter) { h, &stop, i + 1 };
    pthread_create (&t[i], NULL, rewrite_loop, &w[i]);
  }
  /* Passes give way to the writers (a tenth of the time while they are
   * busy): wait for three, for at most 30 s.
   */
  for (i = 0; i < 300; i++) {
    json_int_t n;

    nanosleep (&ts, NULL);
    st = status (h);
    n = st_int (st, "passes", NULL);
    json_decref (st);
    if (n >= 3)
      break;
  }
  atomic_store (&stop, 1);
  for (i = 0; i < 3; i++)
    pthread_join (t[i], NULL);
  sched_stop (&h->s);
  st = status (h);
  CU_ASSERT (st_int (st, "passes", NULL) >= 3);
  CU_ASSERT_EQUAL (st_int (st, "problems_total", NULL), 0);
  CU_ASSERT_STRING_EQUAL (st_str (st, "state", NULL), "stopped");
  CU_ASSERT (st_int (st, "drains", "count") >= st_int (st, "passes", NULL));
  json_decref (st);
  CU_ASSERT_EQUAL (h->log_len, 0);
  if (h->log_len)
    fprintf (stderr, "log:\n%s", h->log);
  h_close (h);
  free (h);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_scheduler__clean_pass_published),
  UNIT_TEST (test_scheduler__writes_during_pass_not_seen),
  UNIT_TEST (test_scheduler__ext2_only_at_rest),
  UNIT_TEST (test_scheduler__remade_and_no_fs),
  UNIT_TEST (test_scheduler__health_persists),
  UNIT_TEST (test_scheduler__thread_against_writers),
};

static int
unit_main (void)
{
  made = mkdtemp (dir) != NULL;
  if (!made) {
    perror ("mkdtemp");
    return 2;
  }
  return unit_run_rmdir ("scheduler", tests, sizeof tests / sizeof tests[0],
                         dir, made);
}

int
main (void)
{
  return unit_main ();
}
