/* nbdscrub fsformat: the ext2/ext3/ext4 on-disk format, decoded from bytes.
 *
 * Layering (see STYLE.md): fsformat decodes bytes and nothing else.  It
 * has no nbdkit, no scrub engine and no I/O of its own: what it reads, it
 * reads through a struct fsf_source, so that the same code runs over the
 * image file (nbdscrub dump, check), over the plugin's snapshot view, and
 * over the replayed journal laid on top of either.
 *
 * Conventions, for every function in fsformat/:
 *
 *   1. Decode, never cast.  fsf_<obj>_decode (buf, len, &out) fills a host
 *      struct from little-endian (jbd2: big-endian) bytes through the
 *      accessors of bytes.h; every offset is checked against len.
 *   2. The int a function returns is 0 on success, a negative errno for an
 *      operational failure (-EIO from the source, -ENOMEM), or a positive
 *      enum fsf_bad value when the bytes break the format.  Bad on-disk
 *      data is never an assert, a crash or an unbounded loop.
 *   3. Every count that comes from disk is bounded before it sizes a loop,
 *      a recursion or an allocation; cycles end as FSF_BAD_LOOP.
 *   4. Checksums come in triplets: <obj>_csum (compute), <obj>_csum_verify,
 *      <obj>_csum_set.
 *   5. Prefix fsf_ for everything exported.
 */
#ifndef NBDSCRUB_FSF_H
#define NBDSCRUB_FSF_H

#include <stddef.h>
#include <stdint.h>

/* Why some bytes are not a valid instance of what they should be. */
enum fsf_bad {
  FSF_BAD_TRUNCATED = 1,  /* the buffer ends before the structure does */
  FSF_BAD_MAGIC,          /* wrong magic number */
  FSF_BAD_CSUM,           /* checksum does not match */
  FSF_BAD_FIELD,          /* a field holds an impossible value */
  FSF_BAD_RANGE,          /* a block or inode number outside the fs */
  FSF_BAD_LOOP,           /* a cycle, or a depth/count past its bound */
  FSF_BAD_UNSUPPORTED,    /* a feature this code does not implement */
};

/* Logical block numbers are 32-bit: files end by 2^32 blocks. */
#define FSF_LOGICAL_END ((uint64_t) 1 << 32)

/* Name of an enum fsf_bad value ("bad checksum"), for messages. */
extern const char *fsf_bad_name (int bad);

/* Where fsformat reads from.  read() fills len bytes at byte offset off
 * and returns 0 or a negative errno; a read past size is -EIO.
 */
struct fsf_source {
  int (*read) (void *opaque, void *buf, size_t len, uint64_t off);
  void *opaque;
  uint64_t size;          /* bytes */
};

/* Read through a source, refusing ranges past its end. */
extern int fsf_read (const struct fsf_source *src, void *buf, size_t len,
                     uint64_t off);

/* A source over a file descriptor (pread, EINTR retried). */
extern void fsf_source_fd (struct fsf_source *src, int *fd, uint64_t size);

#endif /* NBDSCRUB_FSF_H */
