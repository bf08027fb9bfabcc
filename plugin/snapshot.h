/* nbdscrub: the point-in-time view a pass reads (SPEC 6.3, 6.5).
 *
 * A pass must read one state the filesystem could be in after a crash:
 * the set of writes completed at one instant.  The view gives it that
 * without holding clients off for the length of the pass:
 *
 *   - snap_begin, called under a momentary drain (no request in flight),
 *     pins the instant;
 *   - from then on, every client write, trim and zero calls
 *     snap_before_write before it touches the image; the first such call
 *     for a chunk saves the chunk's old bytes (copy-before-write), in
 *     memory up to a limit and then in a spill file in the state dir;
 *   - snap_read reads the image and lays the saved chunks over what it
 *     read, so the pass sees the image as it was at snap_begin, however
 *     clients write meanwhile;
 *   - snap_end forgets the saved chunks.
 *
 * Correctness rests on one order: a chunk is saved (under the lock)
 * before the write that changes it starts, and a reader looks for saved
 * chunks (under the lock) after its own read of the image returns.  If
 * the read saw a new byte, the save of its chunk happened before, and
 * the reader finds it.
 *
 * Nothing here fails a client: when the old bytes cannot be kept (out of
 * memory, the spill file full or failing), the snapshot is marked broken
 * and snap_read answers -ESTALE until snap_end; the pass ends
 * INCOMPLETE and the next one starts afresh.
 *
 * Without an active snapshot, snap_read reads the image as it is (the
 * caller holds a drain when that must be a consistent state).
 *
 * No nbdkit here: the unit and ThreadSanitizer tests link it alone.
 */
#ifndef NBDSCRUB_SNAPSHOT_H
#define NBDSCRUB_SNAPSHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsf.h"

/* Copy-before-write granule, in bytes, a power of two.  Reads of any
 * size and alignment are patched chunk by chunk.
 */
#define SNAP_CHUNK 4096
/* Chunks per region of the exemption bitmaps (1 GiB). */
#define SNAP_REGION_CHUNKS (1U << 18)

struct snap_stats {
  uint64_t saved;           /* chunks saved by the current snapshot */
  uint64_t spilled;         /* of which in the spill file */
  uint64_t snapshots;       /* snap_begin calls */
  uint64_t broken;          /* snapshots that could not keep old bytes */
  uint64_t saved_total;     /* chunks saved, all snapshots */
  uint64_t exempt;          /* writes to chunks the pass no longer needs */
};

struct snap_slot;

struct snapshot {
  pthread_mutex_t lock;
  int fd;                   /* the image */
  uint64_t size;            /* its size in bytes */
  struct fsf_source image;  /* fd as a source */
  struct fsf_source spill;  /* spill_fd as a source, once open */
  bool active;              /* between snap_begin and snap_end */
  int broken;               /* 0, or why old bytes were lost (errno) */

  /* Saved chunks: an open-addressing table of chunk number -> slot. */
  struct snap_slot *tab;
  size_t tab_len;           /* a power of two, or 0 */
  size_t tab_used;

  /* Slots [0, mem_limit) are in memory, in blocks of chunks allocated
   * as needed; slots from mem_limit on are in the spill file.
   */
  uint8_t **mem;            /* per block of SNAP_MEM_BLOCK chunks */
  size_t mem_blocks;
  uint64_t mem_limit;       /* chunks kept in memory */
  uint64_t spill_limit;     /* chunks the spill file may hold */
  char *spill_dir;          /* NULL: no spill file, memory only */
  int spill_fd;             /* -1 until first needed */
  uint64_t next_slot;

  /* Chunks the pass will not read again (snap_exempt): per region of
   * SNAP_REGION_CHUNKS, a bitmap allocated when first needed.
   */
  uint8_t **exempt;
  size_t regions;

  struct snap_stats st;
};

/* Set up over the image fd (not owned) of size bytes.  Up to mem_bytes
 * of old data are kept in memory, then up to spill_bytes in an unlinked
 * file made in spill_dir (NULL: none).  Returns 0 or a negative errno.
 */
extern int snap_init (struct snapshot *s, int fd, uint64_t size,
                      size_t mem_bytes, const char *spill_dir,
                      uint64_t spill_bytes);
extern void snap_destroy (struct snapshot *s);

/* Pin the view at this instant.  The caller holds a drain (no write is
 * in flight).  Returns 0 or a negative errno.
 */
extern int snap_begin (struct snapshot *s);
/* Forget the saved chunks; the view is the live image again. */
extern void snap_end (struct snapshot *s);

/* The observer point: a client is about to change [offset, offset+count)
 * by write, trim or zero.  Saves what the view still needs.  Never fails.
 */
extern void snap_before_write (struct snapshot *s, uint64_t offset,
                               uint64_t count);

/* The pass will not read [offset, offset+count) of the view again (the
 * data of a regular file, once its inode has been checked): until
 * snap_end, writes there keep no old bytes.  Only chunks wholly inside
 * the range are exempt.
 */
extern void snap_exempt (struct snapshot *s, uint64_t offset,
                         uint64_t count);

/* Read the view.  Returns 0, -EIO past the end or on a read error,
 * -ESTALE when the snapshot broke.
 */
extern int snap_read (struct snapshot *s, void *buf, size_t len,
                      uint64_t off);

/* An fsformat source over snap_read. */
extern void snap_source (struct snapshot *s, struct fsf_source *src);

/* Why the current snapshot broke (an errno), or 0. */
extern int snap_broken (struct snapshot *s);

/* A copy of the counters. */
extern void snap_get_stats (struct snapshot *s, struct snap_stats *out);

#endif /* NBDSCRUB_SNAPSHOT_H */
