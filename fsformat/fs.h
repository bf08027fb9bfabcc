/* nbdscrub fsformat: a filesystem opened for reading.
 *
 * fsf_fs_open reads the superblock from a raw source and, when the
 * journal needs recovery, replays it in memory the way the kernel would
 * at mount (replay.h): fs->src then reads the image with the committed
 * transactions laid on top.  Nothing is ever written.  Every decoder
 * that should see the filesystem as the kernel would reads through
 * fs->src; fs->raw stays the image as it is.
 */
#ifndef NBDSCRUB_FSF_FS_H
#define NBDSCRUB_FSF_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsf.h"
#include "group.h"
#include "inode.h"
#include "replay.h"
#include "super.h"

/* fsf_fs_open flags */
#define FSF_FS_NO_REPLAY 0x1   /* read the raw image even if it needs recovery */

/* The journal may hold at most this many blocks (the largest mke2fs
 * makes is 2^30 bytes; this is 64 GiB at 4 KiB blocks).
 */
#define FSF_FS_JOURNAL_MAX_BLOCKS (1U << 24)

struct fsf_fs {
  struct fsf_source raw;      /* the image as it is */
  struct fsf_source src;      /* what to read: raw, or raw + replay */
  struct fsf_sb sb;           /* the superblock as src shows it */
  uint8_t sb_buf[FSF_SB_SIZE];
  uint32_t sb_group;          /* 0: the primary superblock; else the
                               * group whose backup superblock and
                               * descriptor copy are read instead */
  bool needs_recovery;        /* the raw superblock says so */
  bool replayed;              /* and the journal was replayed into src */
  struct fsf_jreplay jr;      /* what replay found (if replayed) */
  struct fsf_replay_view view;
  uint64_t *jmap;             /* journal block -> fs block */
  uint64_t jmap_len;
};

/* Open.  Returns 0, a negative errno, or an enum fsf_bad for a
 * superblock or journal that cannot be read; FSF_BAD_RANGE for a
 * filesystem larger than its device (the superblock is decoded but not
 * checked against its checksum: see fsf_sb_csum_verify).
 */
extern int fsf_fs_open (struct fsf_fs *fs, const struct fsf_source *raw,
                        unsigned flags);
extern void fsf_fs_close (struct fsf_fs *fs);

/* Open through the backup superblock of group 1, as e2fsck does when the
 * primary is unusable: for each block size, the copy where mke2fs would
 * put it, accepted when it decodes, has that block size and places
 * group 1 there.  Descriptors are then read from group 1's copy of the
 * table.  Nothing is replayed.  Returns 0, a negative errno, or
 * FSF_BAD_MAGIC when no backup is found.
 */
extern int fsf_fs_open_backup (struct fsf_fs *fs,
                               const struct fsf_source *raw);

/* How many filesystem blocks the device really holds.  No file, journal
 * or directory can have more, whatever its inode or the superblock
 * says: size anything by a block count from disk only up to this.
 */
static inline uint64_t
fsf_fs_device_blocks (const struct fsf_fs *fs)
{
  return fs->raw.size / fs->sb.block_size;
}

/* Group descriptor g, decoded from the primary table; raw (desc_size
 * bytes) may be NULL.
 */
extern int fsf_fs_read_gd (const struct fsf_fs *fs, uint32_t g,
                           struct fsf_gd *gd, uint8_t *raw);

/* The journal superblock (internal journal), read from the raw image;
 * maps the journal inode first if open did not need to.
 */
extern int fsf_fs_journal_sb (struct fsf_fs *fs, struct fsf_jsb *jsb);

/* Inode ino, decoded; raw (inode_size bytes) may be NULL. */
extern int fsf_fs_read_inode (const struct fsf_fs *fs, uint32_t ino,
                              struct fsf_inode *inode, uint8_t *raw);

#endif /* NBDSCRUB_FSF_FS_H */
