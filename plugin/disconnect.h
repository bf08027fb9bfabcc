/* nbdscrub: disconnect every client (the instance-fatal class).
 *
 * nbdkit 1.32 has no nbdkit_disconnect (it arrived in 1.34), and
 * nbdkit_shutdown only sets a flag: a connection thread blocked reading
 * the next request from an idle client never sees it, so a dead export
 * would stay up for as long as its clients stay connected.  To end those
 * connections we shut down the read side of every connected socket the
 * process holds: each worker reads end-of-file and its connection ends,
 * while replies already under way can still be sent.  Listening sockets
 * are left alone, and so are the descriptors in keep[].
 */
#ifndef NBDSCRUB_DISCONNECT_H
#define NBDSCRUB_DISCONNECT_H

#include <stddef.h>

/* Returns how many sockets were shut down, or a negative errno. */
extern int disconnect_clients (const int *keep, size_t nkeep);

#endif /* NBDSCRUB_DISCONNECT_H */
