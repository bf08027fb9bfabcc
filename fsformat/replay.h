/* nbdscrub fsformat: journal recovery, in memory.
 *
 * fsf_jreplay_scan reads a jbd2 journal the way the kernel's recovery
 * (e2fsck/recovery.c) does and keeps, instead of writing the filesystem,
 * an overlay: for each filesystem block some committed transaction
 * logged, the content recovery would leave there.  fsf_source_replay then
 * reads the filesystem with that overlay on top.  Nothing is written.
 *
 * Recovery, as the kernel does it:
 *
 *   1. From s_start, expecting tid s_sequence, walk the log: a block
 *      without the magic, or whose h_sequence is not the expected tid,
 *      ends it.  A descriptor is followed by one data block per tag
 *      (skipped over); a commit block ends the transaction (tid + 1); a
 *      revoke block is noted.  The log wraps at s_maxlen to s_first.
 *   2. With csum_v2/v3 a commit block whose checksum fails ends the log
 *      before that transaction (with async_commit the walk goes on, but
 *      replay still stops at the failed one).  A descriptor or revoke
 *      block whose tail checksum fails makes the next commit block the
 *      end: if its commit time is older than the previous transaction's,
 *      it is stale data and the log ends; if not, the journal is corrupt
 *      and recovery fails (FSF_BAD_CSUM), as the kernel's -EFSBADCRC.
 *   3. Transactions from s_sequence up to (excluding) the end are
 *      committed.  Their revoke records are collected (each block keeps
 *      the newest revoking tid); a revoke block whose r_count overflows
 *      fails recovery (FSF_BAD_FIELD), as the kernel's -EINVAL.
 *   4. Each tag of a committed transaction is replayed in log order
 *      unless revoked by a tid >= its own, or its data block fails its
 *      tag checksum (then skipped, the kernel goes on too); the ESCAPE
 *      flag puts the magic back in the first 4 bytes.  The last replay
 *      of a block wins.
 *
 * Bounds: at most s_maxlen - s_first blocks are walked (a log that
 * would go further ends there, the open transaction uncommitted); tags
 * per descriptor are bounded by the block size; the overlay holds at most
 * one block per tag walked, so at most the journal's size; revoke records
 * take 16 bytes each while the walk lasts, at most (block size - 16) / 4
 * per journal block.
 *
 * Not done: the v1 COMPAT_CHECKSUM (crc32 over the transaction) is not
 * verified, and fast-commit blocks are not replayed (their presence is
 * reported: fc_present).
 */
#ifndef NBDSCRUB_FSF_REPLAY_H
#define NBDSCRUB_FSF_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsf.h"
#include "journal.h"

/* Map journal block jblock (0 .. s_maxlen-1) to the filesystem block
 * that holds it.  Returns 0, a negative errno or a positive fsf_bad.
 */
typedef int (*fsf_jbmap_fn) (void *opaque, uint64_t jblock,
                             uint64_t *fsblock);

/* Why the walk of the log stopped. */
enum fsf_jstop {
  FSF_JSTOP_CLEAN = 0,        /* s_start == 0: nothing to recover */
  FSF_JSTOP_NO_MAGIC,         /* a block without the jbd2 magic */
  FSF_JSTOP_SEQUENCE,         /* a block of another transaction */
  FSF_JSTOP_BLOCKTYPE,        /* a block type recovery does not know */
  FSF_JSTOP_COMMIT_CSUM,      /* a commit block failed its checksum */
  FSF_JSTOP_STALE,            /* bad descriptor/revoke checksum, stale */
  FSF_JSTOP_BOUND,            /* walked the whole ring */
};

struct fsf_jreplay {
  struct fsf_jsb jsb;
  uint32_t block_size;

  /* The overlay: nblocks filesystem blocks, sorted, and their content
   * (block i at data + i * block_size).
   */
  size_t nblocks;
  uint64_t *blocknr;
  uint8_t *data;

  /* What recovery found. */
  uint32_t first_tid;         /* s_sequence */
  uint32_t end_tid;           /* first tid not replayed */
  uint32_t transactions;      /* end_tid - first_tid */
  enum fsf_jstop stop;
  uint64_t stop_jblock;       /* the journal block where the walk ended */
  uint64_t blocks_walked;
  uint64_t nr_replays;        /* tags replayed (a block may count twice) */
  uint64_t nr_revokes;        /* revoke records in committed transactions */
  uint64_t nr_revoke_hits;    /* tags not replayed because revoked */
  uint64_t nr_bad_tags;       /* tags skipped: bad data checksum */
  uint64_t nr_out_of_range;   /* tags naming a block past the source */
  bool fc_present;            /* fast_commit blocks not replayed */
};

/* Read the journal superblock (journal block 0), check it and its
 * checksum, and recover into jr.  fs is the filesystem, fs_block_size its
 * block size (the journal's must equal it).  Returns 0 (jr filled; free
 * it with fsf_jreplay_free), a negative errno, or a positive fsf_bad when
 * the journal cannot be recovered (jr then holds nothing to free).
 */
extern int fsf_jreplay_scan (fsf_jbmap_fn bmap, void *opaque,
                             const struct fsf_source *fs,
                             uint32_t fs_block_size,
                             struct fsf_jreplay *jr);
extern void fsf_jreplay_free (struct fsf_jreplay *jr);

/* The replayed content of filesystem block fsblock, or NULL if recovery
 * leaves it alone.
 */
extern const uint8_t *fsf_jreplay_lookup (const struct fsf_jreplay *jr,
                                          uint64_t fsblock);

extern const char *fsf_jstop_name (enum fsf_jstop stop);

/* A source reading base with jr on top; view must outlive src. */
struct fsf_replay_view {
  const struct fsf_source *base;
  const struct fsf_jreplay *jr;
};
extern void fsf_source_replay (struct fsf_source *src,
                               struct fsf_replay_view *view);

#endif /* NBDSCRUB_FSF_REPLAY_H */
