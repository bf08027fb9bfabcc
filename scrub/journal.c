/* nbdscrub: the journal scrubber (SCRUB_TYPE_JOURNAL), the whole
 * filesystem.
 *
 * It asks what e2fsck_check_ext3_journal asks before e2fsck's passes
 * (e2fsck/journal.c), in the same order, because the verdicts must be
 * e2fsck -fn's:
 *
 *   1. The superblock's journal fields: a journal UUID means an external
 *      journal; needs_recovery wants a journal; inode 8 must be clear
 *      when it is not the journal.
 *   2. The journal inode (e2fsck_get_journal): in use, a regular file,
 *      not encrypted, at least 1024 blocks, its map covering its size
 *      with blocks inside the filesystem.  If it is not, e2fsck tries the
 *      copy of its block map kept in the superblock (s_jnl_blocks), read
 *      as an indirect map; only if that fails too does it stop.
 *   3. The journal superblock (e2fsck_journal_load): magic, block type,
 *      users, features, checksum, block size, length.
 *   4. What e2fsck asks about and, told no by -n, forgets when pass 1
 *      starts (ext2fs_mark_valid): has_journal clear, a log with data but
 *      no needs_recovery, a recorded abort.  Those are WARNING.
 *
 * e2fsck -fn stops on every failure of 1-3 ("cannot proceed with file
 * system check", exit 12 with the problem left): those are CORRUPT.
 * Checks e2fsck does not make (s_first, s_start within the log) are
 * WARNING only, however odd, so that the verdicts agree.
 *
 * Then what recovery found, when the journal was replayed into fs->src:
 * a log that ends at a torn or uncommitted transaction is normal; a
 * commit block that fails its checksum, or logged blocks recovery had to
 * skip, are reported as e2fsck's recovery reports them, as WARNING.
 *
 * The journal inode's blocks are claimed by the inode scrubber, not here.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blockmap.h"
#include "bytes.h"
#include "extent.h"
#include "journal.h"
#include "scrub.h"

#define JBD2_MIN_JOURNAL_BLOCKS 1024
#define JNL_BACKUP_BLOCKS 1          /* s_jnl_backup_type: i_block copied */
#define ENCRYPT_FL 0x00000800

static bool
uuid_null (const uint8_t *u)
{
  static const uint8_t zero[16];

  return memcmp (u, zero, sizeof zero) == 0;
}

/* Anything e2fsck's journal check would look at. */
static bool
journal_has (const struct fsf_sb *sb)
{
  return fsf_has_compat (sb, FSF_COMPAT_HAS_JOURNAL)
    || fsf_has_incompat (sb, FSF_INCOMPAT_RECOVER)
    || sb->journal_inum != 0 || sb->journal_dev != 0
    || !uuid_null (sb->journal_uuid);
}

/* A journal inode as e2fsck_get_journal sees it: the fields it reads. */
struct jinode {
  uint16_t mode, links_count;
  uint32_t flags;
  uint64_t size;
  uint8_t i_block[FSF_I_BLOCK_SIZE];
};

/* What walking its map found, as ext2fs_block_iterate3 with
 * process_journal_block sees it: the walk stops at the first block
 * outside the filesystem (or, in an indirect map, at the first hole).
 */
struct jwalk {
  const struct fsf_sb *sb;
  uint64_t want;              /* blocks the size asks for */
  uint64_t end;               /* one past the last logical block seen */
  uint64_t first;             /* physical block of logical 0, or 0 */
};

static int
walk_extent (void *opaque, const struct fsf_extent *ex)
{
  struct jwalk *w = opaque;

  if (ex->start == 0)
    return 1;
  if (ex->block == 0)
    w->first = ex->start;
  if ((uint64_t) ex->block + ex->len > w->end)
    w->end = (uint64_t) ex->block + ex->len;
  return w->end >= w->want ? 1 : 0;
}

static int
walk_data (void *opaque, uint32_t logical, uint64_t physical)
{
  struct jwalk *w = opaque;

  /* The iteration reports holes too, and the first one ends it. */
  if (logical != w->end)
    return 1;
  if (logical == 0)
    w->first = physical;
  w->end = (uint64_t) logical + 1;
  return w->end >= w->want ? 1 : 0;
}

/* Is this a journal e2fsck can use?  NULL if so (*first the block of
 * the journal superblock), else why not.  *err gets an operational
 * error.
 */
static const char *
jinode_fault (const struct scrub_ctx *sc, uint32_t ino,
              const struct jinode *j, uint32_t generation, uint64_t *first,
              int *err)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct jwalk w = { sb, 0, 0, 0 };
  int r;

  *err = 0;
  if (j->links_count == 0)
    return "not in use";
  if ((j->mode & FSF_S_IFMT) != FSF_S_IFREG)
    return "not a regular file";
  if (j->flags & ENCRYPT_FL)
    return "encrypted";
  w.want = j->size / sb->block_size;
  if (w.want < JBD2_MIN_JOURNAL_BLOCKS)
    return "smaller than 1024 blocks";
  if (j->flags & FSF_EXTENTS_FL) {
    struct fsf_extent_visitor v = { .extent = walk_extent, .opaque = &w };

    r = fsf_extent_walk (&sc->fs->src, sb, ino, generation, j->i_block, &v,
                         0);
  }
  else {
    struct fsf_blockmap_visitor v = { .data = walk_data, .opaque = &w };

    r = fsf_blockmap_walk (&sc->fs->src, sb, j->i_block, &v, 0);
  }
  if (r < 0) {
    *err = r;
    return NULL;
  }
  if (w.end < w.want)
    return "its blocks do not cover its size";
  if (w.first == 0)
    return "its first block is not mapped";
  *first = w.first;
  return NULL;
}

/* The journal inode e2fsck falls back to: the superblock's copy of the
 * block map and size, read as an indirect map (e2fsck sets no flags).
 */
static void
backup_jinode (const struct fsf_sb *sb, struct jinode *j)
{
  unsigned i;

  memset (j, 0, sizeof *j);
  for (i = 0; i < FSF_N_BLOCKS; i++)
    fsf_put_le32 (j->i_block + 4 * i, sb->jnl_blocks[i]);
  j->size = (uint64_t) sb->jnl_blocks[15] << 32 | sb->jnl_blocks[16];
  j->links_count = 1;
  j->mode = FSF_S_IFREG | 0600;
}

/* The superblock's backup against the inode, as e2fsck compares them
 * (the 15 map words only) when it may write.
 */
static void
check_backup (struct scrub_ctx *sc, uint32_t ino, const struct fsf_inode *in)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  unsigned i;

  if (sb->jnl_backup_type != JNL_BACKUP_BLOCKS) {
    chk_set_corrupt (sc, PR_JNL_BACKUP_DIFFERS, 0, ino, 0,
                     JNL_BACKUP_BLOCKS, sb->jnl_backup_type);
    return;
  }
  for (i = 0; i < FSF_N_BLOCKS; i++)
    if (sb->jnl_blocks[i] != fsf_inode_i_block (in, i)) {
      chk_set_corrupt (sc, PR_JNL_BACKUP_DIFFERS, 0, ino, 0,
                       fsf_inode_i_block (in, i), sb->jnl_blocks[i]);
      return;
    }
}

/* The journal superblock, as e2fsck_journal_load checks it; total is
 * the journal inode's length in blocks.  Returns true when it loads.
 */
static bool
check_jsb (struct scrub_ctx *sc, uint64_t at, const uint8_t *buf,
           uint64_t total, struct fsf_jsb *jsb)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  uint32_t inc, fc;
  char names[256];
  struct scrub_finding f = { PR_JNL_SB_FEATURES, 0, sb->journal_inum, at,
                             0, 0, names };

  if (fsf_jsb_decode (buf, FSF_JSB_SIZE, jsb) == FSF_BAD_MAGIC) {
    chk_set_corrupt (sc, PR_JNL_SB_MAGIC, 0, sb->journal_inum, at, 0, 0);
    return false;
  }
  /* fsf_jsb_decode filled the fields before judging them; the judging
   * here is e2fsck's, which is more lenient about s_first and s_start.
   */
  if (jsb->blocktype != FSF_JBT_SB_V1 && jsb->blocktype != FSF_JBT_SB_V2) {
    chk_set_corrupt (sc, PR_JNL_SB_TYPE, 0, sb->journal_inum, at, 0,
                     jsb->blocktype);
    return false;
  }
  if (jsb->nr_users > 1) {
    chk_set_corrupt (sc, PR_JNL_SB_USERS, 0, sb->journal_inum, at, 1,
                     jsb->nr_users);
    return false;
  }
  inc = jsb->feature_incompat;
  if (fsf_jsb_unsupported (jsb, names, sizeof names) > 0) {
    chk_set (sc, &f);
    return false;
  }
  if ((inc & FSF_JINCOMPAT_CSUM_V2) && (inc & FSF_JINCOMPAT_CSUM_V3)) {
    f.name = "journal_checksum_v2 with journal_checksum_v3";
    chk_set (sc, &f);
    return false;
  }
  jsb->csum = (inc & (FSF_JINCOMPAT_CSUM_V2 | FSF_JINCOMPAT_CSUM_V3)) != 0;
  if (jsb->csum && (jsb->feature_compat & FSF_JCOMPAT_CHECKSUM)) {
    f.name = "journal_checksum with journal_checksum_v2/v3";
    chk_set (sc, &f);
    return false;
  }
  if (jsb->csum && jsb->checksum_type != FSF_JCSUM_CRC32C) {
    f.name = "a checksum type other than crc32c";
    chk_set (sc, &f);
    return false;
  }
  if (jsb->csum && !fsf_jsb_csum_verify (buf)) {
    chk_set_corrupt (sc, PR_JNL_SB_CSUM, 0, sb->journal_inum, at,
                     fsf_jsb_csum (buf), jsb->checksum);
    return false;
  }
  if (jsb->blocksize != sb->block_size) {
    chk_set_corrupt (sc, PR_JNL_SB_BLOCKSIZE, 0, sb->journal_inum, at,
                     sb->block_size, jsb->blocksize);
    return false;
  }
  if (jsb->maxlen > total) {
    chk_set_corrupt (sc, PR_JNL_SB_MAXLEN, 0, sb->journal_inum, at, total,
                     jsb->maxlen);
    return false;
  }
  /* As e2fsck computes it, in 32 bits: a count past maxlen wraps. */
  fc = jsb->num_fc_blks ? jsb->num_fc_blks : FSF_JDEFAULT_FC_BLOCKS;
  if ((inc & FSF_JINCOMPAT_FAST_COMMIT)
      && jsb->maxlen - fc < JBD2_MIN_JOURNAL_BLOCKS) {
    chk_set_corrupt (sc, PR_JNL_FC_BLOCKS, 0, sb->journal_inum, at,
                     jsb->maxlen, fc);
    return false;
  }
  return true;
}

/* What recovery found, when the journal was replayed. */
static void
check_replay (struct scrub_ctx *sc)
{
  const struct fsf_jreplay *jr = &sc->fs->jr;
  uint64_t skipped = jr->nr_bad_tags + jr->nr_out_of_range;

  if (!sc->fs->replayed)
    return;
  /* A log that stops at a block of another transaction, or without the
   * magic, is a torn or uncommitted last transaction: what a crash
   * leaves, nothing to report.
   */
  if (jr->stop == FSF_JSTOP_COMMIT_CSUM)
    chk_set_corrupt (sc, PR_JNL_TXN_CORRUPT, 0, sc->fs->sb.journal_inum,
                     jr->stop_jblock, 0, jr->end_tid);
  if (skipped)
    chk_set_corrupt (sc, PR_JNL_REPLAY_SKIPPED, 0, sc->fs->sb.journal_inum,
                     0, 0, skipped);
}

/* Inode 8 when another inode is the journal: pass 1 wants it clear. */
static int
check_inode8 (struct scrub_ctx *sc)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct fsf_inode in;
  int r;

  if (sb->journal_inum == FSF_JOURNAL_INO
      || sb->inodes_count < FSF_JOURNAL_INO)
    return 0;
  /* An inode that cannot be located reads as zeroes: the gdt
   * scrubber's finding, not ours.
   */
  memset (&in, 0, sizeof in);
  r = fsf_fs_read_inode (sc->fs, FSF_JOURNAL_INO, &in, NULL);
  if (r < 0)
    return r;
  if (in.links_count || in.blocks || fsf_inode_i_block (&in, 0))
    chk_set_corrupt (sc, PR_JNL_INODE8_NOT_CLEAR, 0, FSF_JOURNAL_INO, 0, 0,
                     sb->journal_inum);
  return 0;
}

static int
scrub_journal (struct scrub_ctx *sc)
{
  const struct fsf_fs *fs = sc->fs;
  const struct fsf_sb *sb = &fs->sb;
  uint32_t ino = sb->journal_inum;
  bool has = fsf_has_compat (sb, FSF_COMPAT_HAS_JOURNAL);
  bool recover = fsf_has_incompat (sb, FSF_INCOMPAT_RECOVER);
  uint8_t raw[FSF_JSB_SIZE];
  struct fsf_inode in;
  struct jinode j;
  struct fsf_jsb jsb;
  const char *why, *why_backup;
  uint64_t first = 0;
  int r;

  r = check_inode8 (sc);
  if (r < 0)
    return r;
  if (!uuid_null (sb->journal_uuid)) {
    if (ino != 0)
      chk_set_corrupt (sc, PR_JNL_UUID_INTERNAL, 0, ino, 0, 0, 0);
    else {
      /* An external journal: this version cannot check it. */
      struct scrub_finding f = { PR_SB_UNSUPPORTED, 0, 0, 0, 0, 0,
                                 "external journal" };

      chk_set (sc, &f);
    }
    return 0;
  }
  if (ino == 0 || ino > sb->inodes_count) {
    struct scrub_finding f = { PR_JNL_INODE_INVALID, 0, ino, 0, 0, 0,
                               "no such inode, and no journal UUID" };

    /* With has_journal and no journal_dev, the superblock scrubber's
     * SB_JOURNAL_INUM; with a journal_dev but no UUID, e2fsck still
     * looks for an internal journal.
     */
    if (has && sb->journal_dev != 0)
      chk_set (sc, &f);
    else if (!has && recover)
      chk_set_corrupt (sc, PR_JNL_RECOVER_NO_JOURNAL, 0, 0, 0, 0, 0);
    return 0;
  }

  /* An inode that cannot be located reads as zeroes, "not in use", as
   * e2fsck goes to the backup when ext2fs_read_inode fails.
   */
  memset (&in, 0, sizeof in);
  r = fsf_fs_read_inode (fs, ino, &in, NULL);
  if (r < 0)
    return r;
  if (r != 0 && r != FSF_BAD_FIELD)
    memset (&in, 0, sizeof in);
  j.mode = in.mode;
  j.links_count = in.links_count;
  j.flags = in.flags;
  j.size = in.size;
  memcpy (j.i_block, in.i_block, sizeof j.i_block);
  why = jinode_fault (sc, ino, &j, in.generation, &first, &r);
  if (r < 0)
    return r;
  if (why) {
    why_backup = "no backup";
    if (sb->jnl_backup_type == JNL_BACKUP_BLOCKS) {
      backup_jinode (sb, &j);
      why_backup = jinode_fault (sc, ino, &j, 0, &first, &r);
      if (r < 0)
        return r;
    }
    if (why_backup) {
      struct scrub_finding f = { PR_JNL_INODE_INVALID, 0, ino, 0, 0, 0,
                                 why };

      chk_set (sc, &f);
      return 0;
    }
    /* The backup serves; the inode stays as it is.  Pass 1 still
     * wants the journal a regular file.
     */
    if ((in.mode & FSF_S_IFMT) != FSF_S_IFREG && ino == FSF_JOURNAL_INO)
      chk_set_corrupt (sc, PR_JNL_INODE_MODE, 0, ino, 0, FSF_S_IFREG,
                       in.mode);
    else {
      struct scrub_finding f = { PR_JNL_INODE_BACKUP, 0, ino, 0, 0, 0,
                                 why };

      chk_set (sc, &f);
    }
  }
  else if (has)
    check_backup (sc, ino, &in);

  r = fsf_read (&fs->src, raw, sizeof raw, first * sb->block_size);
  if (r < 0)
    return r;
  if (!check_jsb (sc, first, raw, j.size / sb->block_size, &jsb))
    return 0;

  if (jsb.first == 0 || jsb.first >= jsb.maxlen
      || (jsb.start != 0
          && (jsb.start < jsb.first || jsb.start >= jsb.maxlen)))
    chk_set_corrupt (sc, PR_JNL_SB_LAYOUT, 0, ino, jsb.start, jsb.maxlen,
                     jsb.first);
  if (!has)
    chk_set_corrupt (sc, PR_JNL_FEATURE_OFF, 0, ino, 0, 0, 0);
  if (has && !fs->needs_recovery && !recover && jsb.start != 0)
    chk_set_corrupt (sc, PR_JNL_DATA_NO_RECOVERY, 0, ino, jsb.start, 0,
                     jsb.sequence);
  if (!recover && jsb.errno_ != 0)
    chk_set_corrupt (sc, PR_JNL_ERRNO, 0, ino, 0, 0,
                     (uint64_t) -(int64_t) jsb.errno_);
  check_replay (sc);
  return 0;
}

const struct scrub_ops scrub_journal_ops = {
  .scope = SCRUB_SCOPE_FS,
  .has = journal_has,
  .scrub = scrub_journal,
};
