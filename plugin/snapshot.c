/* nbdscrub: the point-in-time view a pass reads (see snapshot.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"

/* Memory for saved chunks comes in blocks of this many chunks (1 MiB). */
#define SNAP_MEM_BLOCK 256

struct snap_slot {
  uint64_t key;             /* chunk number + 1; 0: empty */
  uint64_t slot;            /* where its old bytes are */
};

static int
pwrite_all (int fd, const void *buf, size_t len, uint64_t off)
{
  const uint8_t *p = buf;

  while (len > 0) {
    ssize_t r = pwrite (fd, p, len, (off_t) off);

    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += r;
    len -= (size_t) r;
    off += (uint64_t) r;
  }
  return 0;
}

int
snap_init (struct snapshot *s, int fd, uint64_t size, size_t mem_bytes,
           const char *spill_dir, uint64_t spill_bytes)
{
  memset (s, 0, sizeof *s);
  s->fd = fd;
  s->size = size;
  s->spill_fd = -1;
  fsf_source_fd (&s->image, &s->fd, size);
  s->mem_limit = mem_bytes / SNAP_CHUNK;
  s->spill_limit = spill_dir ? spill_bytes / SNAP_CHUNK : 0;
  s->mem_blocks = (s->mem_limit + SNAP_MEM_BLOCK - 1) / SNAP_MEM_BLOCK;
  if (s->mem_blocks) {
    s->mem = calloc (s->mem_blocks, sizeof *s->mem);
    if (s->mem == NULL)
      return -ENOMEM;
  }
  s->regions = (size_t) ((size / SNAP_CHUNK + SNAP_REGION_CHUNKS)
                         / SNAP_REGION_CHUNKS);
  s->exempt = calloc (s->regions, sizeof *s->exempt);
  if (s->exempt == NULL) {
    free (s->mem);
    return -ENOMEM;
  }
  if (spill_dir) {
    s->spill_dir = strdup (spill_dir);
    if (s->spill_dir == NULL) {
      free (s->mem);
      free (s->exempt);
      return -ENOMEM;
    }
  }
  pthread_mutex_init (&s->lock, NULL);
  return 0;
}

/* Free what a snapshot holds.  Called with the lock held (or alone). */
static void
release (struct snapshot *s)
{
  size_t i;

  for (i = 0; i < s->mem_blocks; i++) {
    free (s->mem[i]);
    s->mem[i] = NULL;
  }
  for (i = 0; i < s->regions; i++) {
    free (s->exempt[i]);
    s->exempt[i] = NULL;
  }
  free (s->tab);
  s->tab = NULL;
  s->tab_len = s->tab_used = 0;
  s->next_slot = 0;
  if (s->spill_fd >= 0) {
    close (s->spill_fd);
    s->spill_fd = -1;
  }
}

void
snap_destroy (struct snapshot *s)
{
  release (s);
  free (s->mem);
  free (s->exempt);
  free (s->spill_dir);
  pthread_mutex_destroy (&s->lock);
}

int
snap_begin (struct snapshot *s)
{
  pthread_mutex_lock (&s->lock);
  release (s);
  s->broken = 0;
  s->st.saved = s->st.spilled = 0;
  s->st.snapshots++;
  __atomic_store_n (&s->active, true, __ATOMIC_RELEASE);
  pthread_mutex_unlock (&s->lock);
  return 0;
}

void
snap_end (struct snapshot *s)
{
  pthread_mutex_lock (&s->lock);
  __atomic_store_n (&s->active, false, __ATOMIC_RELEASE);
  release (s);
  s->broken = 0;
  pthread_mutex_unlock (&s->lock);
}

static size_t
hash (uint64_t key, size_t len)
{
  return (size_t) ((key * 0x9e3779b97f4a7c15ULL) >> 17) & (len - 1);
}

static struct snap_slot *
lookup (struct snapshot *s, uint64_t chunk)
{
  size_t i;

  if (s->tab_len == 0)
    return NULL;
  for (i = hash (chunk + 1, s->tab_len); s->tab[i].key;
       i = (i + 1) & (s->tab_len - 1))
    if (s->tab[i].key == chunk + 1)
      return &s->tab[i];
  return NULL;
}

/* Room for one more entry, keeping the table at most half full. */
static int
grow (struct snapshot *s)
{
  struct snap_slot *old = s->tab, *tab;
  size_t old_len = s->tab_len, len, i;

  if (s->tab_used + 1 <= s->tab_len / 2)
    return 0;
  len = old_len ? old_len * 2 : 1024;
  tab = calloc (len, sizeof *tab);
  if (tab == NULL)
    return -ENOMEM;
  for (i = 0; i < old_len; i++) {
    size_t j;

    if (old[i].key == 0)
      continue;
    for (j = hash (old[i].key, len); tab[j].key; j = (j + 1) & (len - 1))
      ;
    tab[j] = old[i];
  }
  free (old);
  s->tab = tab;
  s->tab_len = len;
  return 0;
}

/* Where slot n's bytes live in memory, allocating its block; NULL for a
 * spill slot or when out of memory (*err set).
 */
static uint8_t *
mem_slot (struct snapshot *s, uint64_t n, int *err)
{
  size_t b = (size_t) (n / SNAP_MEM_BLOCK);

  *err = 0;
  if (n >= s->mem_limit)
    return NULL;
  if (s->mem[b] == NULL) {
    s->mem[b] = malloc ((size_t) SNAP_MEM_BLOCK * SNAP_CHUNK);
    if (s->mem[b] == NULL) {
      *err = -ENOMEM;
      return NULL;
    }
  }
  return s->mem[b] + (size_t) (n % SNAP_MEM_BLOCK) * SNAP_CHUNK;
}

/* The spill file: unlinked from the start, so nothing is left behind
 * whatever happens to the server.
 */
static int
spill_open (struct snapshot *s)
{
  int fd;

  if (s->spill_fd >= 0)
    return 0;
  fd = open (s->spill_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd == -1) {
    char *path;

    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      return -errno;
    /* A filesystem without O_TMPFILE: make a file and unlink it. */
    if (asprintf (&path, "%s/snapshot.spill.XXXXXX", s->spill_dir) == -1)
      return -ENOMEM;
    fd = mkostemp (path, O_CLOEXEC);
    if (fd == -1) {
      int e = -errno;

      free (path);
      return e;
    }
    unlink (path);
    free (path);
  }
  s->spill_fd = fd;
  fsf_source_fd (&s->spill, &s->spill_fd, s->spill_limit * SNAP_CHUNK);
  return 0;
}

/* The old bytes of chunk c, kept.  Called with the lock held. */
static int
save_chunk (struct snapshot *s, uint64_t c)
{
  uint8_t bounce[SNAP_CHUNK];
  uint64_t off = c * SNAP_CHUNK, n = s->next_slot;
  size_t len = s->size - off < SNAP_CHUNK ? (size_t) (s->size - off)
    : SNAP_CHUNK;
  struct snap_slot *e;
  uint8_t *dst;
  size_t i;
  int r;

  if (n >= s->mem_limit + s->spill_limit)
    return -ENOSPC;
  r = grow (s);
  if (r < 0)
    return r;
  dst = mem_slot (s, n, &r);
  if (r < 0)
    return r;
  if (dst == NULL) {
    r = spill_open (s);
    if (r < 0)
      return r;
  }
  memset (dst ? dst : bounce, 0, SNAP_CHUNK);
  r = fsf_read (&s->image, dst ? dst : bounce, len, off);
  if (r < 0)
    return r;
  if (dst == NULL) {
    r = pwrite_all (s->spill_fd, bounce, SNAP_CHUNK,
                    (n - s->mem_limit) * SNAP_CHUNK);
    if (r < 0)
      return r;
    s->st.spilled++;
  }
  for (i = hash (c + 1, s->tab_len); s->tab[i].key;
       i = (i + 1) & (s->tab_len - 1))
    ;
  e = &s->tab[i];
  e->key = c + 1;
  e->slot = n;
  s->tab_used++;
  s->next_slot++;
  s->st.saved++;
  s->st.saved_total++;
  return 0;
}

static bool
is_exempt (const struct snapshot *s, uint64_t c)
{
  const uint8_t *bm = s->exempt[c / SNAP_REGION_CHUNKS];
  uint64_t bit = c % SNAP_REGION_CHUNKS;

  return bm && (bm[bit / 8] >> (bit % 8) & 1);
}

void
snap_exempt (struct snapshot *s, uint64_t offset, uint64_t count)
{
  uint64_t c, end;

  if (offset >= s->size)
    return;
  if (count > s->size - offset)
    count = s->size - offset;
  c = (offset + SNAP_CHUNK - 1) / SNAP_CHUNK;
  end = (offset + count) / SNAP_CHUNK;
  pthread_mutex_lock (&s->lock);
  for (; s->active && c < end; c++) {
    uint8_t **bm = &s->exempt[c / SNAP_REGION_CHUNKS];
    uint64_t bit = c % SNAP_REGION_CHUNKS;

    /* Out of memory: the chunk stays kept, which is only slower. */
    if (*bm == NULL && (*bm = calloc (SNAP_REGION_CHUNKS / 8, 1)) == NULL)
      break;
    (*bm)[bit / 8] |= 1 << (bit % 8);
  }
  pthread_mutex_unlock (&s->lock);
}

void
snap_before_write (struct snapshot *s, uint64_t offset, uint64_t count)
{
  uint64_t c, last;

  if (!__atomic_load_n (&s->active, __ATOMIC_ACQUIRE) || count == 0
      || offset >= s->size)
    return;
  if (count > s->size - offset)
    count = s->size - offset;
  last = (offset + count - 1) / SNAP_CHUNK;
  pthread_mutex_lock (&s->lock);
  /* A range larger than all the room left (a discard of the whole
   * device, as mkfs does) breaks the snapshot at once rather than
   * after filling the spill file.
   */
  if (s->active && !s->broken) {
    uint64_t room = s->mem_limit + s->spill_limit - s->next_slot, need = 0;

    /* Counting stops past the room: bounded however large the range. */
    for (c = offset / SNAP_CHUNK; c <= last && need <= room; c++)
      need += !is_exempt (s, c) && lookup (s, c) == NULL;
    if (need > room) {
      s->broken = ENOSPC;
      s->st.broken++;
    }
  }
  /* Bounded: save_chunk fails once the capacity is used up, and that
   * ends the loop.
   */
  for (c = offset / SNAP_CHUNK; s->active && !s->broken && c <= last; c++) {
    int r;

    if (is_exempt (s, c)) {
      s->st.exempt++;
      continue;
    }
    if (lookup (s, c))
      continue;
    r = save_chunk (s, c);
    if (r < 0) {
      s->broken = -r;
      s->st.broken++;
    }
  }
  pthread_mutex_unlock (&s->lock);
}

/* Lay the saved chunks over what was read.  Called with the lock held. */
static int
patch (struct snapshot *s, uint8_t *buf, size_t len, uint64_t off)
{
  uint64_t c, last = (off + len - 1) / SNAP_CHUNK;

  for (c = off / SNAP_CHUNK; c <= last; c++) {
    const struct snap_slot *e = lookup (s, c);
    uint64_t cstart = c * SNAP_CHUNK;
    uint64_t from = off > cstart ? off : cstart;
    uint64_t to = off + len < cstart + SNAP_CHUNK ? off + len
      : cstart + SNAP_CHUNK;
    int r;

    if (e == NULL)
      continue;
    if (e->slot < s->mem_limit) {
      const uint8_t *src = s->mem[e->slot / SNAP_MEM_BLOCK]
        + (size_t) (e->slot % SNAP_MEM_BLOCK) * SNAP_CHUNK;

      memcpy (buf + (from - off), src + (from - cstart), to - from);
      continue;
    }
    r = fsf_read (&s->spill, buf + (from - off), to - from,
                  (e->slot - s->mem_limit) * SNAP_CHUNK + (from - cstart));
    if (r < 0)
      return r;
  }
  return 0;
}

int
snap_read (struct snapshot *s, void *buf, size_t len, uint64_t off)
{
  int r;

  if (len == 0)
    return 0;
  r = fsf_read (&s->image, buf, len, off);
  if (r < 0)
    return r;
  if (!__atomic_load_n (&s->active, __ATOMIC_ACQUIRE))
    return 0;
  pthread_mutex_lock (&s->lock);
  if (s->broken)
    r = -ESTALE;
  else if (s->tab_used)
    r = patch (s, buf, len, off);
  pthread_mutex_unlock (&s->lock);
  return r;
}

static int
source_read (void *opaque, void *buf, size_t len, uint64_t off)
{
  return snap_read (opaque, buf, len, off);
}

void
snap_source (struct snapshot *s, struct fsf_source *src)
{
  src->read = source_read;
  src->opaque = s;
  src->size = s->size;
}

int
snap_broken (struct snapshot *s)
{
  int r;

  pthread_mutex_lock (&s->lock);
  r = s->broken;
  pthread_mutex_unlock (&s->lock);
  return r;
}

void
snap_get_stats (struct snapshot *s, struct snap_stats *out)
{
  pthread_mutex_lock (&s->lock);
  *out = s->st;
  pthread_mutex_unlock (&s->lock);
}
