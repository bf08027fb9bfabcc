/* Unit and stress tests: the copy-before-write snapshot view
 * (plugin/snapshot.c), over real files in a scratch directory.
 *
 * A model of each image is kept beside it: what the file holds (live)
 * and what the view must show (view, the live bytes at snap_begin).
 * Every read of the view is checked byte for byte against the model, at
 * every chunk boundary, one byte either side, and at sizes around a
 * chunk.  The images are never a whole number of chunks, so the last
 * partial chunk is always in play.
 *
 * The concurrency test runs the plugin's protocol: writers pass the gate
 * (plugin/gate.c) and call snap_before_write before each pwrite, the
 * snapshot is begun under a drain, and a reader checks the view against
 * the image as it was at snap_begin while the writers run.  Built twice
 * by make check: under ASan+UBSan and under ThreadSanitizer.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "snapshot.h"
#include "unit.h"

#define CHUNK ((uint64_t) SNAP_CHUNK)

static char dir[] = "/tmp/nbdscrub-unit-snapshot.XXXXXX";
static bool dir_made;       /* (mkdtemp's suffix may itself end in X) */

static void
scratch (void)
{
  if (!dir_made) {
    CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (dir));
    dir_made = true;
  }
}

/* A fresh empty directory for a spill file, in the scratch directory. */
static void
spill_dir (char *out, size_t len)
{
  scratch ();
  snprintf (out, len, "%s/spill.XXXXXX", dir);
  CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (out));
}

/* Entries in d other than . and .., or -1. */
static int
dir_entries (const char *d)
{
  DIR *dp = opendir (d);
  struct dirent *e;
  int n = 0;

  if (dp == NULL)
    return -1;
  while ((e = readdir (dp)) != NULL)
    if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
      n++;
  closedir (dp);
  return n;
}

/* Byte off of the pattern seed.  Two seeds that differ (mod 256) differ
 * in every byte, so a stale or misplaced byte always shows; within one
 * seed the bytes vary along the file, so a chunk read from the wrong
 * place shows too.
 */
static uint8_t
pat (uint64_t off, unsigned seed)
{
  uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ULL;

  x ^= x >> 31;
  return (uint8_t) (x + seed * 37);
}

static void
fill (uint8_t *buf, size_t len, uint64_t off, unsigned seed)
{
  size_t i;

  for (i = 0; i < len; i++)
    buf[i] = pat (off + i, seed);
}

/* --- an image and its model ---------------------------------------- */

struct img {
  int fd;
  uint64_t size;
  uint8_t *live;            /* what the file holds */
  uint8_t *view;            /* what snap_read must return */
  bool active;              /* between img_begin and img_end */
  struct snapshot s;
};

/* A file of size bytes of pattern seed (unlinked at once: the fd keeps
 * it), and a snapshot over it.
 */
static void
img_open (struct img *m, uint64_t size, unsigned seed, uint64_t mem_chunks,
          const char *spill, uint64_t spill_chunks)
{
  char path[128];

  scratch ();
  snprintf (path, sizeof path, "%s/image.XXXXXX", dir);
  m->fd = mkstemp (path);
  CU_ASSERT_FATAL (m->fd >= 0);
  unlink (path);
  m->size = size;
  m->live = malloc (size);
  m->view = malloc (size);
  CU_ASSERT_FATAL (m->live != NULL && m->view != NULL);
  fill (m->live, size, 0, seed);
  memcpy (m->view, m->live, size);
  CU_ASSERT_FATAL (pwrite (m->fd, m->live, size, 0) == (ssize_t) size);
  m->active = false;
  CU_ASSERT_EQUAL_FATAL (snap_init (&m->s, m->fd, size, mem_chunks * CHUNK,
                                    spill, spill_chunks * CHUNK), 0);
}

static void
img_close (struct img *m)
{
  snap_destroy (&m->s);
  close (m->fd);
  free (m->live);
  free (m->view);
}

/* A client write of pattern seed to [off, off+len), as the plugin does
 * it: the observer first, then the write.
 */
static void
img_write (struct img *m, uint64_t off, uint64_t len, unsigned seed)
{
  CU_ASSERT_FATAL (off + len <= m->size);
  snap_before_write (&m->s, off, len);
  fill (m->live + off, len, off, seed);
  CU_ASSERT_FATAL (pwrite (m->fd, m->live + off, len, off)
                   == (ssize_t) len);
  if (!m->active)
    memcpy (m->view + off, m->live + off, len);
}

static void
img_begin (struct img *m)
{
  CU_ASSERT_EQUAL_FATAL (snap_begin (&m->s), 0);
  memcpy (m->view, m->live, m->size);
  m->active = true;
}

static void
img_end (struct img *m)
{
  snap_end (&m->s);
  memcpy (m->view, m->live, m->size);
  m->active = false;
}

/* Does snap_read of [off, off+len) return the model's view?  The buffer
 * is exactly len bytes, so that ASan sees a read that writes past it.
 */
static bool
view_ok (struct img *m, uint64_t off, size_t len)
{
  uint8_t *buf = malloc (len);
  bool ok;

  CU_ASSERT_FATAL (buf != NULL);
  ok = snap_read (&m->s, buf, len, off) == 0
    && memcmp (buf, m->view + off, len) == 0;
  if (!ok)
    fprintf (stderr, "view differs: [%llu, +%zu)\n",
             (unsigned long long) off, len);
  free (buf);
  return ok;
}

/* Reads of the whole view, of every range that starts one byte before,
 * at and after every chunk boundary with lengths around a chunk, and of
 * pseudo-random ranges.  Returns how many differed from the model.
 */
static unsigned
view_check_all (struct img *m)
{
  static const int64_t delta[] = { -1, 0, 1 };
  static const size_t lens[] = {
    1, 2, 511, SNAP_CHUNK - 1, SNAP_CHUNK, SNAP_CHUNK + 1,
    3 * SNAP_CHUNK + 5,
  };
  uint64_t b, x = m->size;
  unsigned bad = 0;
  size_t i, j;

  bad += !view_ok (m, 0, m->size);
  for (b = 0; b <= m->size; b += CHUNK)
    for (i = 0; i < sizeof delta / sizeof delta[0]; i++)
      for (j = 0; j < sizeof lens / sizeof lens[0]; j++) {
        int64_t off = (int64_t) b + delta[i];

        if (off >= 0 && (uint64_t) off + lens[j] <= m->size)
          bad += !view_ok (m, off, lens[j]);
      }
  /* Ranges that end exactly at the end of the image. */
  for (j = 0; j < sizeof lens / sizeof lens[0]; j++)
    if (lens[j] <= m->size)
      bad += !view_ok (m, m->size - lens[j], lens[j]);
  for (i = 0; i < 200; i++) {
    uint64_t off, len;

    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    off = (x >> 17) % m->size;
    len = 1 + (x >> 41) % (5 * CHUNK);
    if (len > m->size - off)
      len = m->size - off;
    bad += !view_ok (m, off, len);
  }
  return bad;
}

/* Does the file hold what the model says (the writes really happened)? */
static bool
file_is_live (struct img *m)
{
  uint8_t *buf = malloc (m->size);
  bool ok;

  CU_ASSERT_FATAL (buf != NULL);
  ok = pread (m->fd, buf, m->size, 0) == (ssize_t) m->size
    && memcmp (buf, m->live, m->size) == 0;
  free (buf);
  return ok;
}

static struct snap_stats
stats (struct img *m)
{
  struct snap_stats st;

  snap_get_stats (&m->s, &st);
  return st;
}

/* --- without a snapshot ----------------------------------------------- */

static void
test_snapshot__without_a_snapshot_reads_the_live_image (void)
{
  struct img m;

  img_open (&m, 6 * CHUNK + 777, 0, 16, NULL, 0);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  img_write (&m, CHUNK - 3, 10, 1);
  img_write (&m, 6 * CHUNK, 777, 2);
  img_write (&m, 0, 6 * CHUNK + 777, 3);
  img_write (&m, 2 * CHUNK + 5, 2 * CHUNK, 4);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);       /* the new bytes */
  CU_ASSERT_EQUAL (stats (&m).saved, 0);
  CU_ASSERT_EQUAL (stats (&m).saved_total, 0);
  CU_ASSERT_EQUAL (stats (&m).snapshots, 0);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  img_close (&m);
}

/* --- copy-before-write ------------------------------------------------ */

/* Writes at unaligned offsets and lengths, across chunk boundaries and
 * into the last, partial chunk; the view keeps the old bytes throughout,
 * a chunk is saved once however often it is written, and after
 * snap_end the view is the live image.
 */
static void
test_snapshot__view_keeps_the_bytes_of_begin (void)
{
  struct img m;

  img_open (&m, 10 * CHUNK + 1234, 0, 64, NULL, 0);
  img_begin (&m);
  CU_ASSERT_EQUAL (stats (&m).snapshots, 1);
  CU_ASSERT_EQUAL (stats (&m).saved, 0);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);

  img_write (&m, CHUNK - 100, 300, 1);            /* chunks 0 and 1 */
  img_write (&m, 3 * CHUNK + 17, 5, 2);           /* inside chunk 3 */
  img_write (&m, 10 * CHUNK - 7, 20, 3);          /* 9 and the partial 10 */
  img_write (&m, 10 * CHUNK + 1000, 234, 4);      /* 10, to the end */
  CU_ASSERT (file_is_live (&m));
  CU_ASSERT_EQUAL (stats (&m).saved, 5);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);

  /* Written again: not saved again, and the view still has the bytes
   * of begin, not those of the first write.
   */
  img_write (&m, 3 * CHUNK, CHUNK, 5);
  img_write (&m, 0, 2 * CHUNK, 6);
  img_write (&m, 10 * CHUNK, 1234, 7);
  img_write (&m, 9 * CHUNK + 1, 1, 8);
  CU_ASSERT_EQUAL (stats (&m).saved, 5);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);

  img_end (&m);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);       /* the new bytes */
  CU_ASSERT_EQUAL (stats (&m).saved_total, 5);

  /* A second snapshot starts with nothing saved, and a write of the
   * whole image saves every chunk once.
   */
  img_begin (&m);
  CU_ASSERT_EQUAL (stats (&m).saved, 0);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  img_write (&m, 0, m.size, 9);
  img_write (&m, 4 * CHUNK + 4000, 200, 10);
  CU_ASSERT_EQUAL (stats (&m).saved, 11);
  CU_ASSERT_EQUAL (stats (&m).saved_total, 16);
  CU_ASSERT_EQUAL (stats (&m).snapshots, 2);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  img_end (&m);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  CU_ASSERT_EQUAL (stats (&m).broken, 0);
  img_close (&m);
}

/* --- the spill file --------------------------------------------------- */

/* With room for 4 chunks in memory, 64 written chunks go mostly to the
 * spill file; the view stays exact and the spill file is never seen in
 * the directory.
 */
static void
test_snapshot__spills_past_memory_and_leaves_no_file (void)
{
  char sd[128];
  struct img m;
  uint64_t i;

  spill_dir (sd, sizeof sd);
  img_open (&m, 80 * CHUNK + 100, 0, 4, sd, 256);
  img_begin (&m);
  for (i = 0; i < 64; i++) {
    uint64_t off = (i * 977) % (CHUNK - 64), len = 1 + (i * 131) % 63;

    img_write (&m, i * CHUNK + off, len, 1 + i % 7);
  }
  CU_ASSERT_EQUAL (stats (&m).saved, 64);
  CU_ASSERT (stats (&m).spilled > 0);
  CU_ASSERT (stats (&m).saved - stats (&m).spilled <= 4);
  CU_ASSERT_EQUAL (dir_entries (sd), 0);          /* unlinked, open */
  CU_ASSERT_EQUAL (view_check_all (&m), 0);

  /* Overwritten: the saved copies, in memory and spilled, hold. */
  img_write (&m, 0, 64 * CHUNK, 11);
  img_write (&m, 80 * CHUNK, 100, 12);            /* the partial chunk */
  CU_ASSERT_EQUAL (stats (&m).saved, 65);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  img_end (&m);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);

  /* The next snapshot uses the spill space again. */
  img_begin (&m);
  for (i = 0; i < 80; i++)
    img_write (&m, i * CHUNK + 17, CHUNK / 2, 20 + i % 5);
  CU_ASSERT_EQUAL (stats (&m).saved, 80);
  CU_ASSERT (stats (&m).spilled > 0);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  CU_ASSERT_EQUAL (dir_entries (sd), 0);
  img_end (&m);
  img_close (&m);
  CU_ASSERT_EQUAL (dir_entries (sd), 0);
  CU_ASSERT_EQUAL (rmdir (sd), 0);
}

/* --- overflow ---------------------------------------------------------- */

/* Every read of a broken view fails -ESTALE, whether its chunks were
 * saved or not.
 */
static bool
view_is_stale (struct img *m)
{
  uint8_t buf[100];

  return snap_read (&m->s, buf, sizeof buf, 0) == -ESTALE
    && snap_read (&m->s, buf, sizeof buf, 5 * CHUNK + 3) == -ESTALE
    && snap_read (&m->s, buf, sizeof buf, m->size - sizeof buf) == -ESTALE;
}

/* Room for exactly mem + spill chunks: one more breaks the snapshot,
 * not the client (the write goes through); snap_end and snap_begin
 * start afresh.
 */
static void
overflow (uint64_t mem, const char *spill, uint64_t spill_chunks)
{
  uint64_t i, room = mem + spill_chunks;
  struct img m;

  img_open (&m, 16 * CHUNK + 99, 0, mem, spill, spill_chunks);
  img_begin (&m);
  for (i = 0; i < room; i++)
    img_write (&m, i * CHUNK + 1, 10, 1);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);

  img_write (&m, room * CHUNK + 7, 2, 2);         /* one chunk too many */
  CU_ASSERT_NOT_EQUAL (snap_broken (&m.s), 0);
  CU_ASSERT (view_is_stale (&m));
  CU_ASSERT_EQUAL (stats (&m).broken, 1);
  for (i = room + 1; i < 17; i++)                 /* clients go on */
    img_write (&m, i * CHUNK, 5, 3);
  img_write (&m, 0, m.size, 4);
  CU_ASSERT (file_is_live (&m));
  CU_ASSERT (view_is_stale (&m));
  CU_ASSERT_EQUAL (stats (&m).broken, 1);         /* one broken snapshot */

  img_end (&m);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);       /* the live image */

  img_begin (&m);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  for (i = 0; i < room; i++)
    img_write (&m, i * CHUNK + CHUNK - 2, 2, 5 + i % 3);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  CU_ASSERT_EQUAL (stats (&m).snapshots, 2);
  CU_ASSERT_EQUAL (stats (&m).broken, 1);
  img_end (&m);
  img_close (&m);
}

static void
test_snapshot__memory_full_without_spill_breaks_the_view (void)
{
  overflow (2, NULL, 0);
}

static void
test_snapshot__spill_full_breaks_the_view (void)
{
  char sd[128];

  spill_dir (sd, sizeof sd);
  overflow (2, sd, 2);
  CU_ASSERT_EQUAL (dir_entries (sd), 0);
  CU_ASSERT_EQUAL (rmdir (sd), 0);
}

/* Once the room is used up, writes to chunks already saved need none:
 * the view holds, however large the write.
 */
static void
test_snapshot__rewriting_saved_chunks_needs_no_room (void)
{
  char sd[128];
  struct img m;
  uint64_t i;

  spill_dir (sd, sizeof sd);
  img_open (&m, 8 * CHUNK + 50, 0, 2, sd, 2);
  img_begin (&m);
  for (i = 0; i < 4; i++)
    img_write (&m, i * CHUNK + 9, 9, 1);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  img_write (&m, 0, 4 * CHUNK, 2);                /* all four again */
  img_write (&m, CHUNK + 1, 2 * CHUNK, 3);        /* two of them */
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  CU_ASSERT_EQUAL (stats (&m).saved, 4);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  img_end (&m);
  img_close (&m);
  CU_ASSERT_EQUAL (rmdir (sd), 0);
}

/* Chunks the pass will not read again keep no old bytes: a write there
 * saves nothing (the view shows the new bytes, which the pass never
 * reads); chunks only partly inside the exempt range are still kept;
 * the next snapshot starts with nothing exempt.
 */
static void
test_snapshot__exempt_chunks_keep_nothing (void)
{
  struct img m;
  uint8_t buf[CHUNK];

  img_open (&m, 8 * CHUNK, 0, 64, NULL, 0);
  img_begin (&m);
  snap_exempt (&m.s, 2 * CHUNK - 100, CHUNK + 200);  /* only chunk 2 whole */
  img_write (&m, 2 * CHUNK + 5, 10, 1);
  CU_ASSERT_EQUAL (stats (&m).saved, 0);
  CU_ASSERT_EQUAL (stats (&m).exempt, 1);
  CU_ASSERT_EQUAL (snap_read (&m.s, buf, CHUNK, 2 * CHUNK), 0);
  CU_ASSERT_EQUAL (memcmp (buf, m.live + 2 * CHUNK, CHUNK), 0);
  img_write (&m, CHUNK + 5, 10, 2);               /* chunk 1: partly in */
  img_write (&m, 3 * CHUNK + 5, 10, 3);           /* chunk 3: partly in */
  CU_ASSERT_EQUAL (stats (&m).saved, 2);
  CU_ASSERT_EQUAL (snap_read (&m.s, buf, CHUNK, CHUNK), 0);
  CU_ASSERT_EQUAL (memcmp (buf, m.view + CHUNK, CHUNK), 0);
  img_end (&m);
  img_begin (&m);
  img_write (&m, 2 * CHUNK, 10, 4);
  CU_ASSERT_EQUAL (stats (&m).saved, 1);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  img_end (&m);
  img_close (&m);
}

/* The spill directory is gone when the spill file is first needed: the
 * view breaks with the reason, the client's write still goes through.
 */
static void
test_snapshot__unusable_spill_dir_breaks_the_view (void)
{
  char sd[128];
  struct img m;

  spill_dir (sd, sizeof sd);
  CU_ASSERT_EQUAL_FATAL (rmdir (sd), 0);
  img_open (&m, 8 * CHUNK + 1, 0, 2, sd, 64);
  img_begin (&m);
  img_write (&m, 0, 2 * CHUNK, 1);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  img_write (&m, 2 * CHUNK, 100, 2);
  CU_ASSERT_EQUAL (snap_broken (&m.s), ENOENT);
  CU_ASSERT (view_is_stale (&m));
  CU_ASSERT (file_is_live (&m));
  img_end (&m);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  img_close (&m);
}

/* snap_broken tells why the current snapshot broke: once it has ended
 * there is none, and a drained pass that asks must not see the last
 * snapshot's reason.
 */
static void
test_snapshot__end_forgets_that_the_view_broke (void)
{
  struct img m;

  img_open (&m, 4 * CHUNK + 10, 0, 1, NULL, 0);
  img_begin (&m);
  img_write (&m, CHUNK - 1, 2, 1);        /* two chunks: room for one */
  CU_ASSERT_NOT_EQUAL (snap_broken (&m.s), 0);
  img_end (&m);
  CU_ASSERT_EQUAL (snap_broken (&m.s), 0);
  CU_ASSERT_EQUAL (view_check_all (&m), 0);
  img_close (&m);
}

/* --- the fsformat source ---------------------------------------------- */

static void
test_snapshot__source_reads_the_view_and_refuses_past_the_end (void)
{
  static const uint64_t ranges[][2] = {
    { 0, 1024 }, { 1000, 2 * SNAP_CHUNK }, { SNAP_CHUNK - 1, 2 },
    { 7 * SNAP_CHUNK, 300 }, { 7 * SNAP_CHUNK + 299, 1 },
    { 0, 7 * SNAP_CHUNK + 300 },
  };
  uint8_t a[8 * SNAP_CHUNK], b[8 * SNAP_CHUNK];
  struct fsf_source src;
  struct img m;
  size_t i;

  img_open (&m, 7 * CHUNK + 300, 0, 16, NULL, 0);
  img_begin (&m);
  img_write (&m, 500, 2 * CHUNK, 1);
  img_write (&m, 7 * CHUNK + 100, 150, 2);
  snap_source (&m.s, &src);
  CU_ASSERT_EQUAL (src.size, m.size);
  for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
    uint64_t off = ranges[i][0], len = ranges[i][1];

    memset (a, 0, sizeof a);
    memset (b, 0xff, sizeof b);
    CU_ASSERT_EQUAL (src.read (src.opaque, a, len, off), 0);
    CU_ASSERT_EQUAL (snap_read (&m.s, b, len, off), 0);
    CU_ASSERT_EQUAL (memcmp (a, b, len), 0);
    CU_ASSERT_EQUAL (memcmp (a, m.view + off, len), 0);
  }

  /* Past the end, including offsets that overflow with the length. */
  CU_ASSERT_EQUAL (snap_read (&m.s, a, 1, m.size), -EIO);
  CU_ASSERT_EQUAL (snap_read (&m.s, a, 2, m.size - 1), -EIO);
  CU_ASSERT_EQUAL (snap_read (&m.s, a, SNAP_CHUNK, m.size + CHUNK), -EIO);
  CU_ASSERT_EQUAL (snap_read (&m.s, a, 100, UINT64_MAX - 10), -EIO);
  CU_ASSERT_EQUAL (src.read (src.opaque, a, 1, m.size), -EIO);
  CU_ASSERT_EQUAL (src.read (src.opaque, a, 2, m.size - 1), -EIO);
  CU_ASSERT_EQUAL (src.read (src.opaque, a, 100, UINT64_MAX - 10), -EIO);
  img_end (&m);
  CU_ASSERT_EQUAL (snap_read (&m.s, a, 1, m.size), -EIO);
  CU_ASSERT_EQUAL (src.read (src.opaque, a, 1, m.size), -EIO);
  CU_ASSERT_EQUAL (src.read (src.opaque, a, 1, m.size - 1), 0);
  CU_ASSERT_EQUAL (a[0], m.live[m.size - 1]);
  img_close (&m);
}

/* --- concurrency --------------------------------------------------------- */

/* Writers pass the gate, call the observer and write random bytes to
 * random ranges, without pause; each snapshot is begun under a drain
 * (while writers wait at the gate) and ended while they run.  While a
 * snapshot is active a reader reads random ranges of the view, half of
 * them where a writer is writing at that moment, and compares them with
 * the image as a drain found it just before snap_begin.
 *
 * Many short snapshots rather than one long one: a reader that breaks
 * the order of snapshot.h (looks for saved chunks before it reads the
 * image) is only caught when a chunk is first written inside that gap,
 * and first writes are frequent only while a snapshot is young.
 */
#define CC_SIZE (512 * CHUNK + 555)
#define CC_WRITERS 4
#define CC_CYCLES 14
#define CC_CYCLE_NS 25000000 /* 25 ms */
#define CC_WRITE_MAX (2 * SNAP_CHUNK + 100)
#define CC_READ_MAX (4 * SNAP_CHUNK + 3)

struct cc {
  struct snapshot s;
  struct io_gate g;
  int fd;
  uint8_t *expect;            /* the image at the current snap_begin */
  uint64_t seed;
  atomic_bool stop_writers;
  atomic_bool stop_reader;
  _Atomic uint64_t hot[CC_WRITERS]; /* where each writer writes now */
  atomic_long writes;
  atomic_long reads;
  atomic_long mismatches;
  atomic_long errors;         /* failed pread, pwrite or snap_read */
  _Atomic uint64_t bad_off;   /* the first mismatching byte, +1 */
};

struct cc_thread {
  struct cc *c;
  unsigned id;
};

static uint64_t
rnd (uint64_t *x)
{
  /* xorshift64* */
  *x ^= *x >> 12;
  *x ^= *x << 25;
  *x ^= *x >> 27;
  return *x * 2685821657736338717ULL;
}

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static void *
cc_writer (void *arg)
{
  struct cc_thread *t = arg;
  struct cc *c = t->c;
  uint64_t x = c->seed ^ (0x1234567ULL * (t->id + 1));
  uint8_t buf[CC_WRITE_MAX];

  while (!atomic_load (&c->stop_writers)) {
    uint64_t off = rnd (&x) % CC_SIZE, len = 1 + rnd (&x) % CC_WRITE_MAX;
    uint64_t i;

    if (len > CC_SIZE - off)
      len = CC_SIZE - off;
    for (i = 0; i < len; i += 8) {
      uint64_t r = rnd (&x);

      memcpy (buf + i, &r, len - i < 8 ? len - i : 8);
    }
    gate_enter (&c->g);
    atomic_store (&c->hot[t->id], off);
    snap_before_write (&c->s, off, len);
    if (pwrite (c->fd, buf, len, off) != (ssize_t) len)
      atomic_fetch_add (&c->errors, 1);
    gate_leave (&c->g);
    atomic_fetch_add (&c->writes, 1);
  }
  return NULL;
}

static void *
cc_reader (void *arg)
{
  struct cc *c = arg;
  uint64_t x = c->seed ^ 0xfeedfaceULL;
  uint8_t buf[CC_READ_MAX];

  while (!atomic_load (&c->stop_reader)) {
    uint64_t off, len, i, none = 0;
    int r;

    if (rnd (&x) & 1)
      off = atomic_load (&c->hot[rnd (&x) % CC_WRITERS]);
    else
      off = rnd (&x) % CC_SIZE;
    len = 1 + rnd (&x) % CC_READ_MAX;
    if (len > CC_SIZE - off)
      len = CC_SIZE - off;
    r = snap_read (&c->s, buf, len, off);
    atomic_fetch_add (&c->reads, 1);
    if (r != 0) {
      atomic_fetch_add (&c->errors, 1);
      continue;
    }
    if (memcmp (buf, c->expect + off, len) == 0)
      continue;
    atomic_fetch_add (&c->mismatches, 1);
    for (i = 0; i < len && buf[i] == c->expect[off + i]; i++)
      ;
    atomic_compare_exchange_strong (&c->bad_off, &none, off + i + 1);
  }
  return NULL;
}

static void
concurrent (uint64_t mem_chunks, const char *spill, uint64_t spill_chunks)
{
  struct cc *c = calloc (1, sizeof *c);
  struct cc_thread wt[CC_WRITERS];
  pthread_t w[CC_WRITERS], r;
  char path[128];
  const char *env = getenv ("NBDSCRUB_TEST_SEED");
  struct snap_stats st;
  unsigned i, cycle;

  CU_ASSERT_FATAL (c != NULL);
  alarm (120);                          /* a deadlock fails, not hangs */
  c->seed = env ? strtoull (env, NULL, 0) : now_ns () ^ (uint64_t) getpid ();
  c->seed |= 1;
  fprintf (stderr, "\n  seed %llu (NBDSCRUB_TEST_SEED)\n",
           (unsigned long long) c->seed);
  scratch ();
  snprintf (path, sizeof path, "%s/image.XXXXXX", dir);
  c->fd = mkstemp (path);
  CU_ASSERT_FATAL (c->fd >= 0);
  unlink (path);
  c->expect = malloc (CC_SIZE);
  CU_ASSERT_FATAL (c->expect != NULL);
  fill (c->expect, CC_SIZE, 0, 0);
  CU_ASSERT_FATAL (pwrite (c->fd, c->expect, CC_SIZE, 0)
                   == (ssize_t) CC_SIZE);
  gate_init (&c->g);
  CU_ASSERT_EQUAL_FATAL (snap_init (&c->s, c->fd, CC_SIZE,
                                    mem_chunks * CHUNK, spill,
                                    spill_chunks * CHUNK), 0);

  for (i = 0; i < CC_WRITERS; i++) {
    wt[i] = (struct cc_thread) { .c = c, .id = i };
    CU_ASSERT_EQUAL_FATAL (pthread_create (&w[i], NULL, cc_writer, &wt[i]),
                           0);
  }
  for (cycle = 0; cycle < CC_CYCLES; cycle++) {
    uint64_t start;
    long writes0;

    /* Pin the view with no write in flight, as the plugin does. */
    gate_drain_begin (&c->g, 0);
    if (pread (c->fd, c->expect, CC_SIZE, 0) != (ssize_t) CC_SIZE)
      atomic_fetch_add (&c->errors, 1);
    CU_ASSERT_EQUAL (snap_begin (&c->s), 0);
    writes0 = atomic_load (&c->writes);
    gate_drain_end (&c->g);

    atomic_store (&c->stop_reader, false);
    CU_ASSERT_EQUAL_FATAL (pthread_create (&r, NULL, cc_reader, c), 0);
    start = now_ns ();
    while (now_ns () - start < CC_CYCLE_NS
           || atomic_load (&c->writes) - writes0 < 50)
      usleep (5000);
    atomic_store (&c->stop_reader, true);
    pthread_join (r, NULL);

    snap_get_stats (&c->s, &st);
    CU_ASSERT (st.saved > 0);
    CU_ASSERT_EQUAL (snap_broken (&c->s), 0);
    CU_ASSERT (spill == NULL ? st.spilled == 0 : st.spilled > 0);
    snap_end (&c->s);                   /* while the writers write */
  }
  atomic_store (&c->stop_writers, true);
  for (i = 0; i < CC_WRITERS; i++)
    pthread_join (w[i], NULL);
  alarm (0);

  fprintf (stderr, "  %ld writes, %ld reads\n", atomic_load (&c->writes),
           atomic_load (&c->reads));
  if (atomic_load (&c->mismatches))
    fprintf (stderr, "  %ld reads differ, first at byte %llu\n",
             atomic_load (&c->mismatches),
             (unsigned long long) atomic_load (&c->bad_off) - 1);
  CU_ASSERT_EQUAL (atomic_load (&c->mismatches), 0);
  CU_ASSERT_EQUAL (atomic_load (&c->errors), 0);
  CU_ASSERT (atomic_load (&c->reads) >= CC_CYCLES);
  snap_get_stats (&c->s, &st);
  CU_ASSERT_EQUAL (st.snapshots, CC_CYCLES);
  CU_ASSERT_EQUAL (st.broken, 0);
  snap_destroy (&c->s);
  gate_destroy (&c->g);
  close (c->fd);
  free (c->expect);
  free (c);
}

static void
test_snapshot__concurrent_writers_never_change_the_view (void)
{
  concurrent (CC_SIZE / CHUNK + 1, NULL, 0);
}

static void
test_snapshot__concurrent_writers_with_spill (void)
{
  char sd[128];

  spill_dir (sd, sizeof sd);
  concurrent (8, sd, CC_SIZE / CHUNK + 1);
  CU_ASSERT_EQUAL (dir_entries (sd), 0);
  CU_ASSERT_EQUAL (rmdir (sd), 0);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_snapshot__exempt_chunks_keep_nothing),
  UNIT_TEST (test_snapshot__without_a_snapshot_reads_the_live_image),
  UNIT_TEST (test_snapshot__view_keeps_the_bytes_of_begin),
  UNIT_TEST (test_snapshot__spills_past_memory_and_leaves_no_file),
  UNIT_TEST (test_snapshot__memory_full_without_spill_breaks_the_view),
  UNIT_TEST (test_snapshot__spill_full_breaks_the_view),
  UNIT_TEST (test_snapshot__rewriting_saved_chunks_needs_no_room),
  UNIT_TEST (test_snapshot__unusable_spill_dir_breaks_the_view),
  UNIT_TEST (test_snapshot__end_forgets_that_the_view_broke),
  UNIT_TEST (test_snapshot__source_reads_the_view_and_refuses_past_the_end),
  UNIT_TEST (test_snapshot__concurrent_writers_never_change_the_view),
  UNIT_TEST (test_snapshot__concurrent_writers_with_spill),
};

UNIT_MAIN_RMDIR ("plugin/snapshot", tests, dir, dir_made)
