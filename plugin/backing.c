/* nbdscrub: the backing file (see backing.h for the retry policy). */


#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backing.h"
#include "errclass.h"

#define COUNT(field) __atomic_add_fetch (&b->stats.field, 1, __ATOMIC_RELAXED)

/* Retry state of one call. */
struct retry {
  unsigned eintr;
  unsigned eagain;
};

static void
sleep_ns (uint64_t ns)
{
  struct timespec ts = { .tv_sec = ns / 1000000000,
                         .tv_nsec = ns % 1000000000 };

  while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
    ;
}

/* A call just failed with *err.  Returns true to make it again; false
 * with *err set to what the caller returns.
 */
static bool
retry_again (struct backing *b, struct retry *rt, int *err)
{
  if (*err == EINTR) {
    if (++rt->eintr <= BACKING_EINTR_MAX) {
      COUNT (eintr_retries);
      return true;
    }
  }
  else if (errclass_of (*err) == ERR_TRANSIENT) {
    if (rt->eagain < b->retries) {
      uint64_t ns = 1000000ULL << (rt->eagain < 6 ? rt->eagain : 6);

      sleep_ns (ns < BACKING_BACKOFF_MAX_NS ? ns : BACKING_BACKOFF_MAX_NS);
      rt->eagain++;
      COUNT (eagain_retries);
      return true;
    }
  }
  else {
    COUNT (failures);
    return false;
  }
  /* A transient failure that did not go away. */
  COUNT (exhausted);
  COUNT (failures);
  *err = EIO;
  return false;
}

static int
inject (struct backing *b, enum errortag_op op, uint64_t offset,
        uint64_t count)
{
  return b->tags ? errortag_check (b->tags, op, offset, count) : 0;
}

int
backing_open (struct backing *b, const char *path, bool want_write,
              unsigned retries, struct errortag_set *tags)
{
  struct stat st;
  int flags = O_CLOEXEC | O_NOCTTY;

  memset (b, 0, sizeof *b);
  b->fd = -1;
  b->retries = retries;
  b->tags = tags;

  if (want_write) {
    b->fd = open (path, flags | O_RDWR);
    if (b->fd == -1 && (errno == EACCES || errno == EROFS || errno == EPERM))
      want_write = false;
  }
  if (!want_write)
    b->fd = open (path, flags | O_RDONLY);
  if (b->fd == -1)
    return -errno;
  b->readonly = !want_write;
  pthread_mutex_init (&b->lseek_lock, NULL);

  if (fstat (b->fd, &st) == -1) {
    int r = -errno;

    backing_close (b);
    return r;
  }
  if (!S_ISREG (st.st_mode) && !S_ISBLK (st.st_mode)) {
    backing_close (b);
    return -EINVAL;
  }
  b->is_block = S_ISBLK (st.st_mode);
  b->can_punch_hole = b->can_zero_range = b->can_fallocate = !b->is_block;
  b->can_zeroout = b->is_block;
  return 0;
}

void
backing_close (struct backing *b)
{
  if (b->fd >= 0)
    close (b->fd);
  b->fd = -1;
  pthread_mutex_destroy (&b->lseek_lock);
}

int64_t
backing_size (struct backing *b)
{
  struct stat st;

  if (b->is_block) {
    uint64_t size;

    if (ioctl (b->fd, BLKGETSIZE64, &size) == -1)
      return -errno;
    return (int64_t) size;
  }
  if (fstat (b->fd, &st) == -1)
    return -errno;
  return st.st_size;
}

/* pread or pwrite the whole range, looping over short transfers, with
 * the retry policy.  Returns 0 or a negative errno.
 */
static int
transfer (struct backing *b, enum errortag_op op, char *p, uint32_t count,
          uint64_t offset)
{
  struct retry rt = { 0 };

  while (count > 0) {
    int err = inject (b, op, offset, count);

    if (err == 0) {
      ssize_t r = op == ERRTAG_OP_READ ? pread (b->fd, p, count, offset)
                                       : pwrite (b->fd, p, count, offset);

      if (r > 0) {
        p += r;
        count -= r;
        offset += r;
        continue;
      }
      /* End of file inside the export: the file shrank under us. */
      err = r == 0 ? EIO : errno;
    }
    if (!retry_again (b, &rt, &err))
      return -err;
  }
  return 0;
}

int
backing_pread (struct backing *b, void *buf, uint32_t count, uint64_t offset)
{
  return transfer (b, ERRTAG_OP_READ, buf, count, offset);
}

int
backing_pwrite (struct backing *b, const void *buf, uint32_t count,
                uint64_t offset)
{
  /* transfer only reads from buf when writing. */
  return transfer (b, ERRTAG_OP_WRITE, (char *) buf, count, offset);
}

int
backing_fdatasync (struct backing *b)
{
  struct retry rt = { 0 };

  for (;;) {
    int err = inject (b, ERRTAG_OP_FSYNC, 0, 0);

    if (err == 0) {
      if (fdatasync (b->fd) == 0)
        return 0;
      err = errno;
    }
    if (!retry_again (b, &rt, &err))
      return -err;
  }
}

/* fallocate with the retry policy.  Returns 0 or a negative errno. */
static int
do_fallocate (struct backing *b, enum errortag_op op, int mode,
              uint64_t offset, uint32_t count)
{
  struct retry rt = { 0 };

  for (;;) {
    int err = inject (b, op, offset, count);

    if (err == 0) {
      if (fallocate (b->fd, mode, offset, count) == 0)
        return 0;
      err = errno;
    }
    if (!retry_again (b, &rt, &err))
      return -err;
  }
}

static bool
is_unsupported (int err)
{
  return err == EOPNOTSUPP || err == ENOTSUP || err == ENODEV
    || err == ENOSYS;
}

int
backing_trim (struct backing *b, uint32_t count, uint64_t offset)
{
  int r;

  if (!__atomic_load_n (&b->can_punch_hole, __ATOMIC_RELAXED))
    return 0;
  r = do_fallocate (b, ERRTAG_OP_TRIM,
                    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                    count);
  if (r == 0 || r == -EIO || r == -EPERM
      || errclass_of (-r) == ERR_FATAL)
    return r;
  if (is_unsupported (-r))
    __atomic_store_n (&b->can_punch_hole, false, __ATOMIC_RELAXED);
  /* Trim is advisory: the data may stay, which is allowed. */
  return 0;
}

/* Try one zeroing method.  Returns 1 if it zeroed, 0 if the method is
 * unsupported (and is switched off), or a negative errno.
 */
static int
try_method (struct backing *b, bool *can, int mode, uint64_t offset,
            uint32_t count)
{
  int r;

  if (!__atomic_load_n (can, __ATOMIC_RELAXED))
    return 0;
  r = do_fallocate (b, ERRTAG_OP_ZERO, mode, offset, count);
  if (r == 0)
    return 1;
  if (is_unsupported (-r)) {
    __atomic_store_n (can, false, __ATOMIC_RELAXED);
    return 0;
  }
  return r;
}

int
backing_zero (struct backing *b, uint32_t count, uint64_t offset,
              bool may_trim, bool fast)
{
  int r;

  if (may_trim) {
    r = try_method (b, &b->can_punch_hole,
                    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                    count);
    if (r != 0)
      return r < 0 ? r : 0;
  }

  r = try_method (b, &b->can_zero_range,
                  FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, count);
  if (r != 0)
    return r < 0 ? r : 0;

  /* Punch a hole, then allocate it again: zeroes that stay allocated. */
  if (__atomic_load_n (&b->can_punch_hole, __ATOMIC_RELAXED)
      && __atomic_load_n (&b->can_fallocate, __ATOMIC_RELAXED)) {
    r = try_method (b, &b->can_punch_hole,
                    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                    count);
    if (r < 0)
      return r;
    if (r == 1) {
      /* The hole reads as zeroes already; allocating it is a bonus. */
      r = try_method (b, &b->can_fallocate, 0, offset, count);
      return r < 0 ? r : 0;
    }
  }

  if (b->is_block && __atomic_load_n (&b->can_zeroout, __ATOMIC_RELAXED)) {
    uint64_t range[2] = { offset, count };
    int err = inject (b, ERRTAG_OP_ZERO, offset, count);

    if (err == 0 && ioctl (b->fd, BLKZEROOUT, range) == 0)
      return 0;
    if (err == 0)
      err = errno;
    if (err != ENOTTY && !is_unsupported (err))
      return -err;
    __atomic_store_n (&b->can_zeroout, false, __ATOMIC_RELAXED);
  }

  /* Only writing zeroes is left, which is not fast. */
  return fast ? -ENOTSUP : -EOPNOTSUPP;
}

bool
backing_can_extents (struct backing *b)
{
  off_t r;

  pthread_mutex_lock (&b->lseek_lock);
  r = lseek (b->fd, 0, SEEK_HOLE);
  pthread_mutex_unlock (&b->lseek_lock);
  return r != -1;
}

static int
extents_locked (struct backing *b, uint32_t count, uint64_t offset,
                bool one_only, backing_extent_fn add, void *opaque)
{
  const uint64_t end = offset + count;

  while (offset < end) {
    off_t pos = lseek (b->fd, offset, SEEK_DATA);

    if (pos == -1) {
      /* ENXIO: offset is in the hole that ends the file. */
      if (errno != ENXIO)
        return -errno;
      pos = end;
    }
    if ((uint64_t) pos > offset) {
      if (add (opaque, offset, pos - offset,
               BACKING_EXTENT_HOLE | BACKING_EXTENT_ZERO) == -1)
        return -ENOMEM;
      if (one_only)
        return 0;
    }
    offset = pos;
    if (offset >= end)
      break;

    pos = lseek (b->fd, offset, SEEK_HOLE);
    if (pos == -1)
      return -errno;
    if ((uint64_t) pos > offset) {
      if (add (opaque, offset, pos - offset, 0) == -1)
        return -ENOMEM;
      if (one_only)
        return 0;
    }
    offset = pos;
  }
  return 0;
}

int
backing_extents (struct backing *b, uint32_t count, uint64_t offset,
                 bool one_only, backing_extent_fn add, void *opaque)
{
  int r;

  pthread_mutex_lock (&b->lseek_lock);
  r = extents_locked (b, count, offset, one_only, add, opaque);
  pthread_mutex_unlock (&b->lseek_lock);
  return r;
}

int
backing_cache (struct backing *b, uint32_t count, uint64_t offset)
{
  int r = posix_fadvise (b->fd, offset, count, POSIX_FADV_WILLNEED);

  return -r;
}

struct backing_stats
backing_get_stats (struct backing *b)
{
  struct backing_stats s;

  s.eintr_retries = __atomic_load_n (&b->stats.eintr_retries,
                                     __ATOMIC_RELAXED);
  s.eagain_retries = __atomic_load_n (&b->stats.eagain_retries,
                                      __ATOMIC_RELAXED);
  s.exhausted = __atomic_load_n (&b->stats.exhausted, __ATOMIC_RELAXED);
  s.failures = __atomic_load_n (&b->stats.failures, __ATOMIC_RELAXED);
  return s;
}
