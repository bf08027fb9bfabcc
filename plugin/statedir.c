/* nbdscrub: the state directory (see statedir.h). */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statedir.h"

int
statedir_create (const char *dir)
{
  struct stat st;

  if (mkdir (dir, 0700) == 0)
    return 0;
  if (errno != EEXIST)
    return -errno;
  if (stat (dir, &st) == -1)
    return -errno;
  return S_ISDIR (st.st_mode) ? 0 : -ENOTDIR;
}

char *
statedir_path (const char *dir, const char *name)
{
  size_t a = strlen (dir), b = strlen (name);
  char *p = malloc (a + b + 2);

  if (p == NULL)
    return NULL;
  memcpy (p, dir, a);
  p[a] = '/';
  memcpy (p + a + 1, name, b + 1);
  return p;
}

static int
write_all (int fd, const char *p, size_t len)
{
  while (len > 0) {
    ssize_t r = write (fd, p, len);

    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += r;
    len -= r;
  }
  return 0;
}

static int
fsync_dir_of (const char *path)
{
  char *copy = strdup (path);
  int fd, r = 0;

  if (copy == NULL)
    return -ENOMEM;
  fd = open (dirname (copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd == -1)
    r = -errno;
  else {
    if (fsync (fd) == -1)
      r = -errno;
    close (fd);
  }
  free (copy);
  return r;
}

int
statedir_write_atomic (const char *path, const void *data, size_t len)
{
  size_t plen = strlen (path);
  char *tmp = malloc (plen + 8);
  int fd, r;

  if (tmp == NULL)
    return -ENOMEM;
  snprintf (tmp, plen + 8, "%s.XXXXXX", path);
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd == -1) {
    r = -errno;
    free (tmp);
    return r;
  }
  r = write_all (fd, data, len);
  if (r == 0 && fsync (fd) == -1)
    r = -errno;
  if (close (fd) == -1 && r == 0)
    r = -errno;
  if (r == 0 && rename (tmp, path) == -1)
    r = -errno;
  if (r != 0)
    unlink (tmp);
  else
    r = fsync_dir_of (path);
  free (tmp);
  return r;
}
