/* nbdscrub fsformat: reading through a source (see fsf.h). */

#include <errno.h>
#include <unistd.h>

#include "fsf.h"

const char *
fsf_bad_name (int bad)
{
  switch (bad) {
  case FSF_BAD_TRUNCATED: return "truncated";
  case FSF_BAD_MAGIC: return "bad magic";
  case FSF_BAD_CSUM: return "bad checksum";
  case FSF_BAD_FIELD: return "bad field";
  case FSF_BAD_RANGE: return "out of range";
  case FSF_BAD_LOOP: return "loop or bound exceeded";
  case FSF_BAD_UNSUPPORTED: return "unsupported";
  }
  return "unknown";
}

int
fsf_read (const struct fsf_source *src, void *buf, size_t len, uint64_t off)
{
  if (off > src->size || len > src->size - off)
    return -EIO;
  return src->read (src->opaque, buf, len, off);
}

static int
fd_read (void *opaque, void *buf, size_t len, uint64_t off)
{
  int fd = *(int *) opaque;
  char *p = buf;

  while (len > 0) {
    ssize_t r = pread (fd, p, len, off);

    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    if (r == 0)
      return -EIO;
    p += r;
    len -= r;
    off += r;
  }
  return 0;
}

void
fsf_source_fd (struct fsf_source *src, int *fd, uint64_t size)
{
  src->read = fd_read;
  src->opaque = fd;
  src->size = size;
}
