/* nbdscrub: a full pass (SPEC 6.2) and the cross-reference state the
 * scrubbers share while it runs.
 *
 * A standalone request (nbdscrub scrub inode --ino 12) checks its object
 * and nothing else: sc->pass is NULL and the scrubber skips every
 * cross-reference.  Inside a full pass, sc->pass points here, and the
 * scrubbers tell the pass what they saw:
 *
 *   - every block an object owns (scrub_claim_blocks): group metadata
 *     first, then each inode's map and xattr block, so a block claimed
 *     twice is found the moment it is claimed the second time;
 *   - every inode in use, with its type and link count
 *     (scrub_note_inode), and every directory entry
 *     (scrub_note_dirent), so the links scrubber can count links and
 *     walk each directory up to the root;
 *   - each shared xattr block and its reference count.
 *
 * Memory is bounded by what the filesystem uses, not by its size: the
 * ownership bitmap and the per-inode records are kept per group and
 * allocated the first time a group has something to record, so a 1 TiB
 * image with a few files costs a few groups' worth.  Directories are
 * kept in one array in inode order (the inode phase notes them in that
 * order), searched by bisection.
 */
#ifndef NBDSCRUB_PASS_H
#define NBDSCRUB_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include "scrub.h"

/* The phases of a full pass, in order. */
enum scrub_phase {
  SCRUB_PHASE_SUPER,       /* superblock and backups */
  SCRUB_PHASE_GROUPS,      /* descriptors, bitmap checksums, group
                            * metadata claimed */
  SCRUB_PHASE_INODES,      /* every inode: fields, maps, xattrs,
                            * symlinks */
  SCRUB_PHASE_DIRS,        /* every directory's entries */
  SCRUB_PHASE_LINKS,       /* connectivity and link counts */
  SCRUB_PHASE_SPACE,       /* ownership against bitmaps and counts */
  SCRUB_PHASE_JOURNAL,     /* the journal and the orphan list */
  SCRUB_PHASE_NR,
};

extern const char *const scrub_phase_names[SCRUB_PHASE_NR];

/* Per-type statistics (SPEC 6.1). */
struct scrub_type_stats {
  uint64_t runs, clean, corrupt, preen, warning;
  uint64_t time_ns;
};

/* What the pass knows of one inode.  links is i_links_count; refs the
 * directory entries naming it, '.' and '..' not included (saturating).
 */
#define SCRUB_ISTATE_USED 0x01     /* in use as e2fsck pass 1 decides */
#define SCRUB_ISTATE_SICK 0x02     /* a finding names it */
#define SCRUB_ISTATE_BADMAP 0x04   /* its map or type is corrupt: the
                                    * directory phase skips it */
struct scrub_istate {
  uint16_t links;
  uint16_t refs;
  uint8_t ftype;                   /* enum fsf_ftype of i_mode */
  uint8_t flags;                   /* SCRUB_ISTATE_* */
};

/* One directory: dotdot as its '..' entry says (0 until read), parent
 * the first directory found with an entry naming it (0: none yet).
 */
struct scrub_dirinfo {
  uint32_t ino;
  uint32_t dotdot;
  uint32_t parent;
};

/* Per-group health (SPEC 6.4): which types found something there. */
#define SCRUB_GHEALTH_CHECKED 0x1
#define SCRUB_GHEALTH_SICK 0x2

typedef void (*scrub_progress_fn) (void *opaque, enum scrub_phase phase,
                                   uint64_t done, uint64_t total);

/* Called between two objects of a pass: returns 0 to go on (having
 * slept, if the owner wants to give way to clients), or a negative
 * errno to stop the pass, which scrub_pass_run then returns
 * (-ECANCELED: asked to stop; -ETIMEDOUT: a drain's budget ran out).
 */
typedef int (*scrub_step_fn) (void *opaque);

/* Told of blocks the rest of the pass never reads: those free in the
 * block bitmaps (after the group phase), and the data blocks of each
 * regular file as the inode phase walks its map (scrub_note_file_data).
 */
typedef void (*scrub_data_fn) (void *opaque, uint64_t blk, uint64_t count);

struct scrub_pass {
  struct fsf_fs *fs;

  /* Who owns what: per group, one bit per block, NULL until claimed. */
  uint8_t **owned;
  /* Which blocks are owned as shared xattr blocks, with how many
   * references were seen and what the block's h_refcount says.
   */
  struct scrub_xref_ea *eas;
  size_t neas, eas_alloc;

  /* Per group, one record per inode, NULL until one is noted. */
  struct scrub_istate **inodes;
  uint64_t inodes_used;

  struct scrub_dirinfo *dirs;
  size_t ndirs, dirs_alloc;

  /* The orphans recovery will release (scrub_pass_orphan), sorted. */
  uint32_t *orphans;
  size_t norphans;

  uint8_t *group_health;           /* SCRUB_GHEALTH_*, per group */

  struct scrub_type_stats stats[SCRUB_TYPE_NR];
  uint64_t problems[4];            /* findings by enum scrub_severity */
  uint64_t blocks_claimed;

  scrub_report_fn report;          /* told of every finding */
  void *opaque;
  scrub_progress_fn progress;      /* may be NULL */
  void *progress_opaque;

  /* Called between two objects (scrub_pass_set_step); NULL: none. */
  scrub_step_fn step;
  void *step_opaque;
  /* Told of blocks not read again (scrub_pass_set_data); NULL: none. */
  scrub_data_fn data;
  void *data_opaque;
};

/* Set up a pass over fs (already open); report is told of every
 * finding, progress of each phase's advance.  Returns 0 or -ENOMEM.
 */
extern int scrub_pass_init (struct scrub_pass *p, struct fsf_fs *fs,
                            scrub_report_fn report, void *opaque,
                            scrub_progress_fn progress,
                            void *progress_opaque);
extern void scrub_pass_free (struct scrub_pass *p);

/* Install the step hook (after scrub_pass_init). */
static inline void
scrub_pass_set_step (struct scrub_pass *p, scrub_step_fn fn, void *opaque)
{
  p->step = fn;
  p->step_opaque = opaque;
}

/* Install the file-data hook (after scrub_pass_init). */
static inline void
scrub_pass_set_data (struct scrub_pass *p, scrub_data_fn fn, void *opaque)
{
  p->data = fn;
  p->data_opaque = opaque;
}

/* Run every phase.  Returns 0 or a negative errno (operational: the
 * verdict is in p->problems).
 */
extern int scrub_pass_run (struct scrub_pass *p);

/* Run one request inside the pass: as scrub_run, with sc->pass set, the
 * statistics and health kept.  raw_inode may carry the inode's bytes
 * for an inode-scope request (see scrub_ctx.inode_raw).
 */
extern int scrub_pass_request (struct scrub_pass *p, enum scrub_type type,
                               uint32_t group, uint32_t ino,
                               const uint8_t *raw_inode);

/* --- what scrubbers call (all no-ops when sc->pass is NULL) ---------- */

/* Claim count blocks from blk for inode ino (0: filesystem metadata).
 * Blocks must lie inside [first_data_block, blocks_count): a scrubber
 * range-checks before it claims.  Each block already owned is a finding
 * PR_BBITMAP_MULTIPLY_CLAIMED naming ino and the first such block of
 * the run.  Returns 0 or -ENOMEM.
 */
extern int scrub_claim_blocks (struct scrub_ctx *sc, uint32_t ino,
                               uint64_t blk, uint64_t count);

/* Inode ino references the xattr block blk whose header says refcount.
 * The first reference claims the block (as scrub_claim_blocks); later
 * ones only count.  At the end of the inode phase each block's count is
 * compared with its refcount (PR_XATTR_REFCOUNT).  Returns 0 or -ENOMEM.
 */
extern int scrub_claim_xattr_block (struct scrub_ctx *sc, uint32_t ino,
                                    uint64_t blk, uint32_t refcount);

/* Inode ino is in use, as e2fsck pass 1 decides, with this i_mode and
 * i_links_count.  A directory is added to the directory list.  Call in
 * increasing inode order.  Returns 0 or -ENOMEM.
 */
extern int scrub_note_inode (struct scrub_ctx *sc, uint32_t ino,
                             uint16_t mode, uint16_t links_count);

/* Regular file ino maps count data blocks from blk.  Unless ino is one
 * the pass reads the contents of (the journal, the orphan file, any
 * inode below s_first_ino), the pass's data hook hears of them: the
 * server's snapshot need not keep their old bytes, since nothing after
 * the inode phase reads them.
 */
extern void scrub_note_file_data (struct scrub_ctx *sc, uint32_t ino,
                                  uint64_t blk, uint64_t count);

/* Mark inode ino's map or type corrupt: the directory phase skips it,
 * the links phase does not count what it holds.
 */
extern void scrub_note_badmap (struct scrub_ctx *sc, uint32_t ino);

/* Directory dir has an entry (other than '.' and '..') naming ino.
 * Returns 0, or 1 when ino is a directory that already has a parent: a
 * second hard link to a directory, which the caller reports with the
 * entry's name (PR_DIR_LINK_TO_DIR).
 */
extern int scrub_note_dirent (struct scrub_ctx *sc, uint32_t dir,
                              uint32_t ino);

/* Directory dir's '..' names parent. */
extern void scrub_note_dotdot (struct scrub_ctx *sc, uint32_t dir,
                               uint32_t parent);

/* What is known of inode ino.  Inside a pass, after the inode phase:
 * from the pass (ftype FSF_FT_UNKNOWN and used false when not in use).
 * Standalone: read from the inode table, in use when links_count != 0.
 * Returns 0 or a negative errno.
 */
extern int scrub_inode_lookup (struct scrub_ctx *sc, uint32_t ino,
                               bool *used, enum fsf_ftype *ftype);

/* The pass's record of ino, or NULL if none (not in use). */
extern struct scrub_istate *scrub_pass_istate (struct scrub_pass *p,
                                               uint32_t ino);
/* The directory record of ino, or NULL. */
extern struct scrub_dirinfo *scrub_pass_dirinfo (struct scrub_pass *p,
                                                 uint32_t ino);
/* Is inode ino an orphan that recovery will release before the
 * filesystem is used: on the orphan list or in the orphan file of a
 * filesystem whose journal needs recovery?  Mount (and e2fsck, after
 * replay) frees such an inode, or truncates it to i_size if it still
 * has links, so its links_count of 0, its i_dtime holding the next
 * orphan and blocks past i_size are expected, not corrupt; its blocks
 * and its bitmap bit are still its own.  Filled before the inode phase
 * (orphans.c); false outside a pass.
 */
extern bool scrub_pass_orphan (const struct scrub_pass *p, uint32_t ino);
extern int scrub_pass_collect_orphans (struct scrub_pass *p);

/* Is block blk owned by anything so far? */
extern bool scrub_pass_owned (const struct scrub_pass *p, uint64_t blk);

/* --- per-inode checks the inode scrubber composes -------------------- */

/* What the walk of one inode's block map found. */
struct scrub_imap {
  uint64_t blocks;          /* blocks owned: data and tree/map blocks */
  uint64_t end;             /* one past the highest mapped logical block */
  uint64_t init_end;        /* one past the highest written (not
                             * unwritten) logical block */
  bool corrupt;             /* the map is damaged: do not judge size or
                             * i_blocks by it */
};

/* Walk inode ino's extent tree or indirect map (extents.c): structure,
 * checksums, bounds, blocks on metadata (through the claims); fill out.
 * Returns 0 or a negative errno.
 */
extern int scrub_inode_map (struct scrub_ctx *sc, uint32_t ino,
                            const struct fsf_inode *inode,
                            struct scrub_imap *out);

/* Check inode ino's extended attributes, in the inode body (raw, the
 * inode's inode_size bytes) and in its xattr block (xattr.c); *blocks
 * gets the blocks the xattrs own (0 or 1).  Returns 0 or -errno.
 */
extern int scrub_inode_xattrs (struct scrub_ctx *sc, uint32_t ino,
                               const struct fsf_inode *inode,
                               const uint8_t *raw, uint64_t *blocks);

/* Check symlink inode ino's target (symlink.c), given its map.  Returns
 * 0 or a negative errno.
 */
extern int scrub_inode_symlink (struct scrub_ctx *sc, uint32_t ino,
                                const struct fsf_inode *inode,
                                const struct scrub_imap *map);

/* Check inode ino as a whole from its raw bytes (inode.c): fields, then
 * map, xattrs and symlink, then size and i_blocks against what they
 * found; notes it with the pass when in use.  Returns 0 or -errno.
 */
extern int scrub_inode_check (struct scrub_ctx *sc, uint32_t ino,
                              const uint8_t *raw);

#endif /* NBDSCRUB_PASS_H */
