/* nbdscrub: the background scrubber (see scheduler.h). */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "open.h"
#include "report.h"
#include "scheduler.h"
#include "statedir.h"

/* How often (in objects) the step hook looks at the clock. */
#define STEP_EVERY 32
/* With nothing to scrub (no filesystem, or a refused pass), passes
 * back to back are spaced at least this much.
 */
#define IDLE_RETRY_NS (1000000000ULL)
/* Groups health.json may describe: a bound on what a damaged file can
 * make us allocate.
 */
#define HEALTH_MAX_GROUPS (1U << 26)
/* health.json is rewritten at most this often while nothing changes. */
#define HEALTH_SAVE_NS (10 * 1000000000ULL)
/* While clients are busy, a pass sleeps this many times as long as it
 * worked: it takes at most a tenth of a CPU from them.
 */
#define SCRUB_YIELD 9
/* The longest pause between two tries at a drain. */
#define DRAIN_RETRY_MAX_NS (100 * 1000000ULL)
/* Passes that take a snapshot after a drain overran its budget. */
#define DRAIN_BACKOFF_MIN 16
#define DRAIN_BACKOFF_MAX 4096

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static void
iso_time (time_t t, char *buf, size_t len)
{
  struct tm tm;

  gmtime_r (&t, &tm);
  strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
say (struct scheduler *s, bool error, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

static void
say (struct scheduler *s, bool error, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (error && s->hooks.error)
    s->hooks.error (s->hooks.opaque, msg);
  else if (!error && s->hooks.debug)
    s->hooks.debug (s->hooks.opaque, msg);
}

static void
format_uuid (const uint8_t u[16], char out[37])
{
  snprintf (out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
            "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
            u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
            u[15]);
}

static int
parse_uuid (const char *str, uint8_t u[16])
{
  unsigned i = 0;

  for (; *str && i < 16; str++) {
    unsigned v;

    if (*str == '-')
      continue;
    if (sscanf (str, "%2x", &v) != 1)
      return -1;
    u[i++] = (uint8_t) v;
    str++;
    if (*str == '\0')
      return -1;
  }
  return i == 16 && *str == '\0' ? 0 : -1;
}

/* --- health and lifetime statistics (health.json) ---------------------- */

static const char *const ghealth_names[] = {
  "unchecked", "clean", "sick", "repaired",
};

static int
health_resize (struct scheduler *s, uint32_t groups)
{
  uint8_t *h = calloc (groups ? groups : 1, 1);
  uint64_t *t = calloc (groups ? groups : 1, sizeof *t);

  if (h == NULL || t == NULL) {
    free (h);
    free (t);
    return -ENOMEM;
  }
  free (s->ghealth);
  free (s->gchecked);
  s->ghealth = h;
  s->gchecked = t;
  s->ngroups = groups;
  s->nsick = 0;
  return 0;
}

static json_t *
health_doc (struct scheduler *s)
{
  json_t *groups = json_array (), *sick = json_array ();
  char uuid[37];
  uint32_t g = 0;
  size_t i;

  /* Runs of groups in the same state checked at the same second. */
  while (g < s->ngroups) {
    uint32_t n = 1;

    while (g + n < s->ngroups && s->ghealth[g + n] == s->ghealth[g]
           && s->gchecked[g + n] == s->gchecked[g])
      n++;
    json_array_append_new (groups, json_pack (
      "[I, I, s, I]", (json_int_t) g, (json_int_t) n,
      ghealth_names[s->ghealth[g] & 3], (json_int_t) s->gchecked[g]));
    g += n;
  }
  for (i = 0; i < s->nsick; i++)
    json_array_append_new (sick, json_integer (s->sick_inodes[i]));
  format_uuid (s->uuid, uuid);
  return json_pack ("{s:i, s:s?, s:I, s:I, s:o, s:o, s:o}",
                    "version", 1, "uuid", s->have_ident ? uuid : NULL,
                    "mkfs_time", (json_int_t) s->mkfs_time,
                    "passes", (json_int_t) s->passes_lifetime,
                    "stats", scrub_stats_json (s->stats),
                    "groups", groups, "sick_inodes", sick);
}

static int
write_doc (struct scheduler *s, const char *name, json_t *doc)
{
  char *path, *text;
  int r;

  if (s->cfg.state_dir == NULL || doc == NULL)
    return 0;
  path = statedir_path (s->cfg.state_dir, name);
  text = json_dumps (doc, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  if (path == NULL || text == NULL)
    r = -ENOMEM;
  else {
    size_t len = strlen (text);

    text[len] = '\n';           /* json_dumps leaves room: NUL -> LF */
    r = statedir_write_atomic (path, text, len + 1);
    text[len] = '\0';
  }
  free (path);
  free (text);
  return r;
}

/* Read back what health_doc wrote.  Anything that does not fit is
 * ignored as a whole (said once), never trusted in part.
 */
static void
health_load (struct scheduler *s)
{
  json_t *doc, *stats, *groups, *sick, *v;
  json_error_t jerr;
  const char *uuid = NULL, *key;
  json_int_t passes = 0, mkfs = 0;
  char *path;
  size_t i;

  if (s->cfg.state_dir == NULL)
    return;
  path = statedir_path (s->cfg.state_dir, "health.json");
  if (path == NULL)
    return;
  doc = json_load_file (path, 0, &jerr);
  if (doc == NULL) {
    if (jerr.position != 0 || strstr (jerr.text, "No such file") == NULL)
      say (s, true, "scrub: %s: %s: starting with no health record",
           path, jerr.text);
    free (path);
    return;
  }
  if (json_unpack_ex (doc, &jerr, 0, "{s?s, s:I, s:I, s:o, s:o, s:o}",
                      "uuid", &uuid, "mkfs_time", &mkfs, "passes", &passes,
                      "stats", &stats, "groups", &groups,
                      "sick_inodes", &sick) == -1
      || passes < 0 || !json_is_object (stats) || !json_is_array (groups)
      || !json_is_array (sick)
      || (uuid && parse_uuid (uuid, s->uuid) == -1))
    goto bad;
  json_object_foreach (stats, key, v) {
    enum scrub_type t = scrub_type_by_name (key);
    json_int_t runs, clean, corrupt, preen, warning;
    double secs;

    if (t == SCRUB_TYPE_NR
        || json_unpack (v, "{s:I, s:I, s:I, s:I, s:I, s:F}", "runs", &runs,
                        "clean", &clean, "corrupt", &corrupt, "preen",
                        &preen, "warning", &warning, "time_s", &secs) == -1
        || runs < 0 || clean < 0 || corrupt < 0 || preen < 0 || warning < 0
        || secs < 0 || secs > 1e12)
      goto bad;
    s->stats[t].runs = (uint64_t) runs;
    s->stats[t].clean = (uint64_t) clean;
    s->stats[t].corrupt = (uint64_t) corrupt;
    s->stats[t].preen = (uint64_t) preen;
    s->stats[t].warning = (uint64_t) warning;
    s->stats[t].time_ns = (uint64_t) (secs * 1e9);
  }
  /* Groups: runs in order, starting at 0, no gap. */
  {
    uint64_t next = 0;

    json_array_foreach (groups, i, v) {
      json_int_t first, count, when;
      const char *state;

      if (json_unpack (v, "[I, I, s, I]", &first, &count, &state,
                       &when) == -1
          || first != (json_int_t) next || count <= 0
          || (uint64_t) count > HEALTH_MAX_GROUPS - next || when < 0)
        goto bad;
      next += (uint64_t) count;
    }
    if (health_resize (s, (uint32_t) next) < 0)
      goto bad;
    json_array_foreach (groups, i, v) {
      json_int_t first, count, when, k;
      const char *state;
      uint8_t h;

      json_unpack (v, "[I, I, s, I]", &first, &count, &state, &when);
      for (h = 0; h < 4 && strcmp (ghealth_names[h], state) != 0; h++)
        ;
      if (h == 4)
        goto bad;
      for (k = first; k < first + count; k++) {
        s->ghealth[k] = h;
        s->gchecked[k] = (uint64_t) when;
      }
    }
  }
  json_array_foreach (sick, i, v) {
    if (!json_is_integer (v) || json_integer_value (v) <= 0
        || json_integer_value (v) > UINT32_MAX
        || s->nsick >= SCHED_MAX_SICK_INODES)
      goto bad;
    s->sick_inodes[s->nsick++] = (uint32_t) json_integer_value (v);
  }
  s->passes_lifetime = (uint64_t) passes;
  s->have_ident = uuid != NULL;
  s->mkfs_time = (uint64_t) mkfs;
  json_decref (doc);
  free (path);
  return;

 bad:
  say (s, true, "scrub: %s is not ours or is damaged: starting with no "
       "health record", path);
  memset (s->stats, 0, sizeof s->stats);
  health_resize (s, 0);
  s->have_ident = false;
  json_decref (doc);
  free (path);
}

/* --- set up and tear down ------------------------------------------------ */

int
sched_init (struct scheduler *s, const struct sched_config *cfg,
            const struct sched_hooks *hooks, struct io_gate *gate,
            struct snapshot *snap)
{
  memset (s, 0, sizeof *s);
  s->cfg = *cfg;
  s->hooks = *hooks;
  s->gate = gate;
  s->snap = snap;
  s->state = "starting";
  s->last_result = "";
  s->problems = json_array ();
  s->fs = json_null ();          /* not probed yet */
  s->logged = calloc (SCHED_MAX_LOGGED * 2, sizeof *s->logged);
  if (s->problems == NULL || s->fs == NULL || s->logged == NULL
      || health_resize (s, 0) < 0) {
    json_decref (s->problems);
    json_decref (s->fs);
    free (s->logged);
    return -ENOMEM;
  }
  pthread_mutex_init (&s->lock, NULL);
  sleeper_init (&s->sleep);
  health_load (s);
  return 0;
}

void
sched_destroy (struct scheduler *s)
{
  sched_stop (s);
  json_decref (s->problems);
  json_decref (s->fs);
  json_decref (s->last_pass);
  free (s->logged);
  free (s->ghealth);
  free (s->gchecked);
  sleeper_destroy (&s->sleep);
  pthread_mutex_destroy (&s->lock);
}

void
sched_observe_write (struct scheduler *s, uint64_t offset, uint64_t count)
{
  __atomic_add_fetch (&s->writes, 1, __ATOMIC_RELEASE);
  snap_before_write (s->snap, offset, count);
}

/* --- one pass ------------------------------------------------------------- */

struct run {
  struct scheduler *s;
  bool drain;                 /* under one drain: stop at its budget */
  uint64_t slice_start;
  uint64_t requests;          /* gate_requests at slice start */
  unsigned calls;

  /* Findings: the first SCHED_MAX_PROBLEMS in detail, all counted. */
  json_t *problems;
  uint64_t keys[SCHED_MAX_PROBLEMS];
  size_t kept;
  uint64_t counts[4];         /* by enum scrub_severity */

  /* The outcome. */
  const char *result;         /* "clean", "corrupt", "incomplete", NULL:
                               * nothing to scrub */
  char reason[1024];
  const char *mode;            /* "drain" or "snapshot" */
  uint64_t block_size;         /* of the filesystem being read */
  bool passed;                 /* the engine ran to the end */
  json_t *fs;                  /* what the probe found */
};

static uint64_t
finding_key (const struct scrub_finding *f)
{
  uint64_t h = 1469598103934665603ULL;
  uint64_t v[4] = { (uint64_t) f->code, f->group, f->ino, f->block };
  unsigned i;

  for (i = 0; i < 4; i++) {
    h ^= v[i];
    h *= 1099511628211ULL;
    h ^= h >> 29;
  }
  return h | 1;                 /* 0 marks an empty slot */
}

static void
on_finding (void *opaque, const struct scrub_ctx *sc,
            const struct scrub_finding *f)
{
  struct run *run = opaque;
  const struct scrub_problem *p = scrub_problem (f->code);
  enum scrub_severity sev = p ? p->severity : SEV_CORRUPT;

  (void) sc;
  run->counts[sev & 3]++;
  if (run->kept >= SCHED_MAX_PROBLEMS)
    return;
  if (json_array_append_new (run->problems, scrub_finding_json (f)) == 0)
    run->keys[run->kept++] = finding_key (f);
}

/* Between two objects: stop when asked, keep a drain within its budget,
 * and give way to clients.
 */
static int
on_step (void *opaque)
{
  struct run *run = opaque;
  struct scheduler *s = run->s;
  uint64_t t, req;

  /* Under a drain every object counts against the budget. */
  if (run->drain && gate_drain_expired (s->gate))
    return -ETIMEDOUT;
  if (++run->calls % STEP_EVERY)
    return 0;
  if (sleeper_stopped (&s->sleep)
      || (s->hooks.dead && s->hooks.dead (s->hooks.opaque)))
    return -ECANCELED;
  if (run->drain)
    return 0;
  t = now_ns ();
  if (t - run->slice_start < s->cfg.budget_ns)
    return 0;
  req = gate_requests (s->gate);
  if (req != run->requests
      && !sleeper_nap (&s->sleep, (t - run->slice_start) * SCRUB_YIELD))
    return -ECANCELED;
  run->requests = gate_requests (s->gate);
  run->slice_start = now_ns ();
  return 0;
}

/* A regular file's data: the snapshot need not keep it (SPEC 6.3: only
 * blocks the pass may still read).
 */
static void
on_file_data (void *opaque, uint64_t blk, uint64_t count)
{
  struct run *run = opaque;

  snap_exempt (run->s->snap, blk * run->block_size, count * run->block_size);
}

static const char *
fs_type (const struct fsf_sb *sb)
{
  if (sb->feature_incompat & ~(uint32_t) (FSF_INCOMPAT_FILETYPE
                                          | FSF_INCOMPAT_RECOVER
                                          | FSF_INCOMPAT_META_BG)
      || sb->feature_ro_compat & ~(uint32_t) (FSF_RO_COMPAT_SPARSE_SUPER
                                              | FSF_RO_COMPAT_LARGE_FILE))
    return "ext4";
  return fsf_has_compat (sb, FSF_COMPAT_HAS_JOURNAL) ? "ext3" : "ext2";
}

static json_t *
fs_json (const struct fsf_fs *fs)
{
  const struct fsf_sb *sb = &fs->sb;
  char uuid[37];

  format_uuid (sb->uuid, uuid);
  return json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:b, s:b}",
                    "type", fs_type (sb), "uuid", uuid,
                    "label", sb->volume_name,
                    "block_size", (json_int_t) sb->block_size,
                    "blocks", (json_int_t) sb->blocks_count,
                    "inodes", (json_int_t) sb->inodes_count,
                    "groups", (json_int_t) sb->groups_count,
                    "journal", fsf_has_compat (sb, FSF_COMPAT_HAS_JOURNAL),
                    "needs_recovery", fs->needs_recovery,
                    "clean", (sb->state & FSF_STATE_VALID)
                    && !(sb->state & FSF_STATE_ERROR));
}

/* Is this filesystem consistent on disk right now?  Only a journaled
 * one is while its writer works; otherwise only at rest (SPEC 6.3).
 * Returns NULL, or why not.
 */
static const char *
not_at_rest (struct scheduler *s, const struct fsf_fs *fs, bool backup,
             uint64_t writes_at_pin, unsigned clients, char *buf,
             size_t len)
{
  const struct fsf_sb *sb = &fs->sb;
  bool journal = fsf_has_compat (sb, FSF_COMPAT_HAS_JOURNAL);
  bool clean = (sb->state & FSF_STATE_VALID) && !fs->needs_recovery;
  bool remade;

  /* Made anew: another UUID or mkfs time than the last pass read, or a
   * filesystem where there was none.  mke2fs wipes the primary
   * superblock first and writes it last, so a primary that is unusable
   * while a client writes says the same.
   */
  pthread_mutex_lock (&s->lock);
  remade = s->have_ident
    ? memcmp (s->uuid, sb->uuid, 16) != 0 || s->mkfs_time != sb->mkfs_time
    : s->saw_nofs;
  pthread_mutex_unlock (&s->lock);
  remade = remade || backup;

  if ((journal && !remade) || clients == 0)
    return NULL;
  if (clean && writes_at_pin == s->writes_at_end)
    return NULL;
  snprintf (buf, len, "%s, and a client is connected that %s: such a "
            "filesystem is scrubbed only at rest",
            remade ? "the filesystem was made anew since the last pass"
            : "the filesystem has no journal",
            clean ? "wrote since the last pass" : "has it mounted "
            "(not cleanly unmounted)");
  return buf;
}

/* Keep what a finished pass learnt: per-group health, sick inodes and
 * statistics.  Called with the lock held.
 */
static void
harvest (struct scheduler *s, const struct scrub_pass *p)
{
  const struct fsf_sb *sb = &p->fs->sb;
  uint64_t when = (uint64_t) time (NULL);
  uint32_t g, i;
  int t;

  if (sb->groups_count != s->ngroups
      && health_resize (s, sb->groups_count) < 0)
    return;
  s->nsick = 0;
  for (g = 0; g < sb->groups_count; g++) {
    if (p->group_health[g] & SCRUB_GHEALTH_CHECKED) {
      s->ghealth[g] = p->group_health[g] & SCRUB_GHEALTH_SICK
        ? SCHED_SICK : SCHED_CLEAN;
      s->gchecked[g] = when;
    }
    if (p->inodes[g])
      for (i = 0; i < sb->inodes_per_group; i++)
        if (p->inodes[g][i].flags & SCRUB_ISTATE_SICK
            && s->nsick < SCHED_MAX_SICK_INODES)
          s->sick_inodes[s->nsick++] = g * sb->inodes_per_group + i + 1;
  }
  for (t = 0; t < SCRUB_TYPE_NR; t++) {
    s->stats[t].runs += p->stats[t].runs;
    s->stats[t].clean += p->stats[t].clean;
    s->stats[t].corrupt += p->stats[t].corrupt;
    s->stats[t].preen += p->stats[t].preen;
    s->stats[t].warning += p->stats[t].warning;
    s->stats[t].time_ns += p->stats[t].time_ns;
  }
}

static const char *
failure_reason (struct scheduler *s, int r, char *buf, size_t len)
{
  if (r == -ETIMEDOUT)
    return "the drain's budget ran out";
  if (r == -ECANCELED)
    return "the server is stopping";
  if (r == -ESTALE) {
    snprintf (buf, len, "the snapshot could not keep what clients "
              "overwrote: %s", strerror (snap_broken (s->snap)));
    return buf;
  }
  snprintf (buf, len, "reading the image: %s", strerror (-r));
  return buf;
}

/* Open the view and run the engine over it; fills run.  Returns the
 * engine's error (-ETIMEDOUT: the drain ran out; try a snapshot).
 */
static int
scrub_view (struct scheduler *s, struct run *run, uint64_t writes_at_pin,
            unsigned clients)
{
  struct fsf_source src;
  struct fsf_fs fs;
  struct scrub_open info;
  struct scrub_pass pass;
  char why[768];
  int r;

  snap_source (s->snap, &src);
  r = scrub_fs_open (&fs, &src, true, &info, why, sizeof why);
  if (r != 0) {
    json_decref (run->fs);
    if (info.no_fs) {
      run->result = NULL;
      run->fs = json_pack ("{s:s}", "type", "none");
      pthread_mutex_lock (&s->lock);
      s->saw_nofs = true;
      pthread_mutex_unlock (&s->lock);
    }
    else {
      run->result = "incomplete";
      run->fs = NULL;
    }
    snprintf (run->reason, sizeof run->reason, "%s", why);
    return 0;
  }
  json_decref (run->fs);
  run->fs = fs_json (&fs);
  if (not_at_rest (s, &fs, info.backup_used, writes_at_pin, clients,
                   run->reason, sizeof run->reason)) {
    run->result = "incomplete";
    fsf_fs_close (&fs);
    return 0;
  }
  if (info.primary_problem) {
    struct scrub_finding f = { info.primary_problem, 0, 0, 0, 0, 0, NULL };

    on_finding (run, NULL, &f);
  }
  run->block_size = fs.sb.block_size;
  r = scrub_pass_init (&pass, &fs, on_finding, run, NULL, NULL);
  if (r == 0) {
    scrub_pass_set_step (&pass, on_step, run);
    if (!run->drain)
      scrub_pass_set_data (&pass, on_file_data, run);
    run->slice_start = now_ns ();
    run->requests = gate_requests (s->gate);
    r = scrub_pass_run (&pass);
    /* A snapshot that lost old bytes may have fed the pass a mix. */
    if (r == 0 && !run->drain && snap_broken (s->snap))
      r = -ESTALE;
  }
  if (r == 0) {
    run->passed = true;
    run->result = run->counts[SEV_CORRUPT] + run->counts[SEV_XCORRUPT]
      ? "corrupt" : "clean";
    pthread_mutex_lock (&s->lock);
    harvest (s, &pass);
    memcpy (s->uuid, fs.sb.uuid, 16);
    s->mkfs_time = fs.sb.mkfs_time;
    s->have_ident = true;
    pthread_mutex_unlock (&s->lock);
  }
  else if (r != -ETIMEDOUT) {
    run->result = "incomplete";
    snprintf (run->reason, sizeof run->reason, "%s",
              failure_reason (s, r, why, sizeof why));
  }
  scrub_pass_free (&pass);
  fsf_fs_close (&fs);
  return r;
}

/* Forget the findings of an attempt that is run again. */
static void
run_reset (struct run *run)
{
  json_array_clear (run->problems);
  run->kept = 0;
  memset (run->counts, 0, sizeof run->counts);
  run->passed = false;
  run->result = NULL;
  run->reason[0] = '\0';
}

/* Log each problem once for the life of the server; returns whether
 * key is new.  Called with the lock held.
 */
static bool
first_time (struct scheduler *s, uint64_t key)
{
  const size_t len = SCHED_MAX_LOGGED * 2;
  size_t i = (size_t) (key % len);

  while (s->logged[i]) {
    if (s->logged[i] == key)
      return false;
    i = (i + 1) % len;
  }
  if (s->logged_used >= SCHED_MAX_LOGGED)
    return true;                /* full: log, and remember nothing */
  s->logged[i] = key;
  s->logged_used++;
  return true;
}

static json_t *
status_locked (struct scheduler *s)
{
  struct gate_stats gs;
  uint64_t counts[4] = { 0 };
  uint32_t g;
  json_t *io = s->hooks.io ? s->hooks.io (s->hooks.opaque) : NULL;
  json_t *sick_groups = json_array (), *sick_inodes = json_array ();
  uint64_t last = 0;
  size_t i;
  char when[32] = "";

  gate_stats (s->gate, &gs);
  for (g = 0; g < s->ngroups; g++) {
    counts[s->ghealth[g] & 3]++;
    if (s->ghealth[g] == SCHED_SICK && json_array_size (sick_groups) < 100)
      json_array_append_new (sick_groups, json_integer (g));
    if (s->gchecked[g] > last)
      last = s->gchecked[g];
  }
  for (i = 0; i < s->nsick && i < 100; i++)
    json_array_append_new (sick_inodes, json_integer (s->sick_inodes[i]));
  if (last)
    iso_time ((time_t) last, when, sizeof when);
  return json_pack (
    "{s:s, s:s, s:s, s:I, s:O, s:I, s:O?, s:I, s:O, "
    "s:{s:I, s:I, s:I, s:I, s:I}, s:o?, "
    "s:{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:s?}, s:{s:I, s:o}}",
    "version", NBDSCRUB_VERSION, "image", s->cfg.image, "state", s->state,
    "passes", (json_int_t) s->passes, "fs", s->fs,
    "clients", (json_int_t) (s->hooks.clients
                             ? s->hooks.clients (s->hooks.opaque) : 0),
    "last_pass", s->last_pass,
    "problems_total", (json_int_t) s->problems_total,
    "problems", s->problems,
    "drains", "count", (json_int_t) gs.drains,
    "max_hold_us", (json_int_t) gs.hold_max_us,
    "p99_hold_us", (json_int_t) gate_hold_percentile_us (&gs, 0.99),
    "max_wait_us", (json_int_t) gs.wait_max_us,
    "given_up", (json_int_t) gs.given_up,
    "io", io,
    "health", "groups", (json_int_t) s->ngroups,
    "unchecked", (json_int_t) counts[SCHED_UNCHECKED],
    "clean", (json_int_t) counts[SCHED_CLEAN],
    "sick", (json_int_t) counts[SCHED_SICK],
    "repaired", (json_int_t) counts[SCHED_REPAIRED],
    "sick_groups", sick_groups, "sick_inodes", sick_inodes,
    "last_checked", last ? when : NULL,
    "stats", "passes", (json_int_t) s->passes_lifetime,
    "types", scrub_stats_json (s->stats));
}

json_t *
sched_status (struct scheduler *s)
{
  json_t *doc;

  pthread_mutex_lock (&s->lock);
  doc = status_locked (s);
  pthread_mutex_unlock (&s->lock);
  return doc;
}

/* status.json after every pass; health.json when a pass changed the
 * verdict, at most every HEALTH_SAVE_NS otherwise, and at stop.
 */
static void
save_status (struct scheduler *s, bool health)
{
  json_t *st, *h = NULL;
  uint64_t t = now_ns ();
  int r;

  pthread_mutex_lock (&s->lock);
  st = status_locked (s);
  if (health && (s->health_dirty || s->health_saved_ns == 0
                 || t - s->health_saved_ns >= HEALTH_SAVE_NS)) {
    h = health_doc (s);
    s->health_saved_ns = t;
    s->health_dirty = false;
  }
  else
    health = false;
  pthread_mutex_unlock (&s->lock);
  r = write_doc (s, "status.json", st);
  if (r == 0 && health)
    r = write_doc (s, "health.json", h);
  if (r < 0)
    say (s, true, "scrub: state-dir: %s: %s", s->cfg.state_dir,
         strerror (-r));
  json_decref (st);
  json_decref (h);
}

/* Make what a pass found known: the log (each problem once), the
 * status, the persisted health.
 */
static void
publish (struct scheduler *s, struct run *run, time_t started,
         uint64_t took_ns, unsigned clients, uint64_t chunks)
{
  uint64_t corrupt = run->counts[SEV_CORRUPT] + run->counts[SEV_XCORRUPT];
  uint64_t all = corrupt + run->counts[SEV_PREEN] + run->counts[SEV_WARNING];
  char when[32];
  size_t i;
  json_t *v;

  iso_time (started, when, sizeof when);
  pthread_mutex_lock (&s->lock);
  s->passes++;
  s->passes_lifetime++;
  s->problems_total += corrupt;
  s->last_ns = took_ns;
  s->writes_at_end = __atomic_load_n (&s->writes, __ATOMIC_ACQUIRE);
  json_decref (s->last_pass);
  s->last_pass = json_pack (
    "{s:I, s:s, s:s?, s:s, s:I, s:I, s:s, s:f, s:I, s:I}",
    "id", (json_int_t) s->passes_lifetime, "result", run->result,
    "reason", run->reason[0] ? run->reason : NULL, "mode", run->mode,
    "problems", (json_int_t) all, "corrupt", (json_int_t) corrupt,
    "started", when, "duration_s", (double) took_ns / 1e9,
    "snapshot_chunks", (json_int_t) chunks, "clients", (json_int_t) clients);
  json_decref (s->problems);
  s->problems = json_incref (run->problems);
  if (run->fs) {
    json_decref (s->fs);
    s->fs = json_incref (run->fs);
  }
  json_array_foreach (run->problems, i, v) {
    if (!first_time (s, run->keys[i]))
      continue;
    say (s, true, "scrub: pass %" PRIu64 ": %s %s %s %s: %s",
         s->passes_lifetime,
         json_string_value (json_object_get (v, "code")),
         json_string_value (json_object_get (v, "name")),
         json_string_value (json_object_get (v, "severity")),
         json_string_value (json_object_get (v, "object")),
         json_string_value (json_object_get (v, "message")));
  }
  say (s, false, "scrub: pass %" PRIu64 ": %s%s%s: %" PRIu64 " problem(s), "
       "%" PRIu64 " corrupt, %s mode, %.3f s, %" PRIu64 " chunk(s) saved",
       s->passes_lifetime, run->result, run->reason[0] ? ": " : "",
       run->reason, all, corrupt, run->mode, (double) took_ns / 1e9, chunks);
  s->state = "idle";
  s->last_nofs = false;
  if (strcmp (run->result, s->last_result) != 0)
    s->health_dirty = true;
  s->last_result = run->result;
  pthread_mutex_unlock (&s->lock);
  save_status (s, run->passed);
}

/* Take the gate, waiting for the requests in flight no longer than the
 * budget: clients queue behind a pending drain, so a long wait would
 * hold them off as surely as a long hold.  Gives up and tries again
 * after a pause, longer each time.  Returns 0 holding, or -ECANCELED.
 */
static int
drain (struct scheduler *s)
{
  uint64_t budget = s->cfg.budget_ns, pause;
  unsigned i;

  for (i = 0; gate_drain_try (s->gate, budget, budget) < 0; i++) {
    pause = budget << (i < 6 ? i : 6);
    if (pause > DRAIN_RETRY_MAX_NS)
      pause = DRAIN_RETRY_MAX_NS;
    if (!sleeper_nap (&s->sleep, pause))
      return -ECANCELED;
  }
  return 0;
}

bool
sched_run_pass (struct scheduler *s)
{
  struct run *run = calloc (1, sizeof *run);
  struct snap_stats ss;
  uint64_t t0, writes_at_pin, budget = s->cfg.budget_ns, chunks = 0;
  unsigned clients;
  time_t started = time (NULL);
  bool snapshot = false, ran;
  int r;

  if (run == NULL || (run->problems = json_array ()) == NULL) {
    free (run);
    say (s, true, "scrub: out of memory: pass skipped");
    return false;
  }
  run->s = s;
  run->fs = NULL;
  pthread_mutex_lock (&s->lock);
  s->state = "scrubbing";
  /* Try one drain only where the last pass took under half the budget:
   * passes vary, and an overrun is paid twice.  After an overrun, the
   * next passes take snapshots (DRAIN_BACKOFF_MIN of them, doubling
   * with each overrun in a row).
   */
  if (s->drain_skip)
    s->drain_skip--;
  run->drain = s->last_ns && s->last_ns * 2 <= budget && s->drain_skip == 0;
  pthread_mutex_unlock (&s->lock);
  clients = s->hooks.clients ? s->hooks.clients (s->hooks.opaque) : 0;

  if (drain (s) < 0) {
    pthread_mutex_lock (&s->lock);
    s->state = "idle";
    pthread_mutex_unlock (&s->lock);
    json_decref (run->problems);
    free (run);
    return false;
  }
  t0 = now_ns ();
  writes_at_pin = __atomic_load_n (&s->writes, __ATOMIC_ACQUIRE);
  if (run->drain) {
    run->mode = "drain";
    r = scrub_view (s, run, writes_at_pin, clients);
    pthread_mutex_lock (&s->lock);
    if (r == -ETIMEDOUT) {
      s->drain_backoff = s->drain_backoff
        ? (s->drain_backoff < DRAIN_BACKOFF_MAX ? s->drain_backoff * 2
           : DRAIN_BACKOFF_MAX)
        : DRAIN_BACKOFF_MIN;
      s->drain_skip = s->drain_backoff;
    }
    else
      s->drain_backoff /= 2;
    pthread_mutex_unlock (&s->lock);
    if (r == -ETIMEDOUT) {
      /* Too long for one drain: pin a snapshot while still holding. */
      run_reset (run);
      run->drain = false;
      t0 = now_ns ();
    }
  }
  if (!run->drain) {
    run->mode = "snapshot";
    r = snap_begin (s->snap);
    gate_drain_end (s->gate);
    snapshot = r == 0;
    if (r == 0)
      scrub_view (s, run, writes_at_pin, clients);
    else {
      run->result = "incomplete";
      snprintf (run->reason, sizeof run->reason, "cannot start a "
                "snapshot: %s", strerror (-r));
    }
  }
  else
    gate_drain_end (s->gate);
  if (snapshot) {
    snap_get_stats (s->snap, &ss);
    chunks = ss.saved;
    snap_end (s->snap);
  }

  if (run->result)
    publish (s, run, started, now_ns () - t0, clients, chunks);
  else {
    /* No filesystem: nothing to count, only the probe to show. */
    pthread_mutex_lock (&s->lock);
    s->last_nofs = true;
    if (run->fs) {
      json_decref (s->fs);
      s->fs = json_incref (run->fs);
    }
    s->state = "idle";
    pthread_mutex_unlock (&s->lock);
    save_status (s, false);
  }
  ran = run->passed;
  json_decref (run->problems);
  json_decref (run->fs);
  free (run);
  return ran;
}

static void *
loop (void *arg)
{
  struct scheduler *s = arg;
  bool warned = false;

  if (!sleeper_nap (&s->sleep, s->cfg.delay_ns))
    return NULL;
  for (;;) {
    bool ran, nofs;

    if (s->hooks.dead && s->hooks.dead (s->hooks.opaque))
      break;
    ran = sched_run_pass (s);
    pthread_mutex_lock (&s->lock);
    nofs = s->last_nofs;
    pthread_mutex_unlock (&s->lock);
    if (nofs && !warned)
      say (s, true, "scrub: %s: no ext2/3/4 filesystem found: serving "
           "without scrubbing until one appears", s->cfg.image);
    warned = nofs;
    /* Back to back only while the engine has something to do: a probe
     * that finds nothing, or a refused pass, is retried after a pause.
     */
    if (!sleeper_nap (&s->sleep, ran || s->cfg.interval_ns
                      ? s->cfg.interval_ns : IDLE_RETRY_NS))
      break;
  }
  return NULL;
}

int
sched_start (struct scheduler *s, bool scrub)
{
  int r;

  if (!scrub) {
    pthread_mutex_lock (&s->lock);
    s->state = "off";
    pthread_mutex_unlock (&s->lock);
  }
  save_status (s, false);
  if (!scrub)
    return 0;
  r = pthread_create (&s->thread, NULL, loop, s);
  if (r != 0)
    return -r;
  s->running = true;
  return 0;
}

void
sched_stop (struct scheduler *s)
{
  if (s->stopped)
    return;
  s->stopped = true;
  if (s->running) {
    sleeper_stop (&s->sleep);
    pthread_join (s->thread, NULL);
    s->running = false;
  }
  /* The last word: health as it stands, and the status. */
  pthread_mutex_lock (&s->lock);
  s->health_dirty = true;
  s->state = "stopped";
  pthread_mutex_unlock (&s->lock);
  save_status (s, s->passes > 0);
}
