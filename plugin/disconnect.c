/* nbdscrub: disconnect every client (see disconnect.h). */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "disconnect.h"

/* A connected stream socket: the server side of some client. */
static bool
is_client_socket (int fd)
{
  struct sockaddr_storage peer;
  socklen_t len = sizeof peer;
  struct stat st;
  int listening = 0, type = 0;
  socklen_t optlen = sizeof listening;

  if (fstat (fd, &st) == -1 || !S_ISSOCK (st.st_mode))
    return false;
  if (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) == -1
      || listening)
    return false;
  optlen = sizeof type;
  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &optlen) == -1
      || type != SOCK_STREAM)
    return false;
  return getpeername (fd, (struct sockaddr *) &peer, &len) == 0;
}

static bool
kept (int fd, const int *keep, size_t nkeep)
{
  size_t i;

  for (i = 0; i < nkeep; i++)
    if (keep[i] == fd)
      return true;
  return false;
}

int
disconnect_clients (const int *keep, size_t nkeep)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *d;
  int n = 0;

  if (dir == NULL)
    return -errno;
  while ((d = readdir (dir)) != NULL) {
    char *end;
    long fd = strtol (d->d_name, &end, 10);

    if (*end != '\0' || end == d->d_name || fd == dirfd (dir))
      continue;
    if (kept ((int) fd, keep, nkeep) || !is_client_socket ((int) fd))
      continue;
    if (shutdown ((int) fd, SHUT_RD) == 0)
      n++;
  }
  closedir (dir);
  return n;
}
