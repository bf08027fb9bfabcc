/* nbdscrub: the scrub engine's API (SPEC section 6.1); the design essay
 * is at the top of scrub.c.
 *
 * A request names one object: {type, group, ino, gen, flags}.  It is
 * validated (scrub_validate), then the type's scrubber runs against a
 * struct scrub_ctx and records what it finds through the chk_* setters;
 * the int it returns carries only operational failures (-ENOMEM, -EIO).
 * The result is that int plus output flags (SCRUB_OFLAG_*).
 */
#ifndef NBDSCRUB_SCRUB_H
#define NBDSCRUB_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs.h"
#include "problem.h"

/* The metadata types, one scrubber each.  The values are the high byte
 * of their problem codes (problem.h); never renumber.
 */
enum scrub_type {
  SCRUB_TYPE_PROBE = 0,
  SCRUB_TYPE_SUPERBLOCK = 1,
  SCRUB_TYPE_GDT = 2,
  SCRUB_TYPE_BBITMAP = 3,
  SCRUB_TYPE_IBITMAP = 4,
  SCRUB_TYPE_INODE = 5,
  SCRUB_TYPE_EXTENTS = 6,
  SCRUB_TYPE_DIRECTORY = 7,
  SCRUB_TYPE_XATTR = 8,
  SCRUB_TYPE_SYMLINK = 9,
  SCRUB_TYPE_JOURNAL = 10,
  SCRUB_TYPE_ORPHANS = 11,
  SCRUB_TYPE_LINKS = 12,
  SCRUB_TYPE_COUNTERS = 13,
  SCRUB_TYPE_NR = 14,
};

/* What a request must name. */
enum scrub_scope {
  SCRUB_SCOPE_FS,      /* the whole filesystem: group and ino are 0 */
  SCRUB_SCOPE_GROUP,   /* one group: group < groups_count, ino 0 */
  SCRUB_SCOPE_INODE,   /* one inode: 1 <= ino <= inodes_count, group 0 */
};

/* Input flags. */
#define SCRUB_IFLAG_REPAIR 0x1

/* Output flags (SPEC 6.1). */
#define SCRUB_OFLAG_CORRUPT 0x01
#define SCRUB_OFLAG_PREEN 0x02
#define SCRUB_OFLAG_XCORRUPT 0x04
#define SCRUB_OFLAG_XFAIL 0x08
#define SCRUB_OFLAG_INCOMPLETE 0x10
#define SCRUB_OFLAG_WARNING 0x20
#define SCRUB_OFLAG_NO_REPAIR_NEEDED 0x40
#define SCRUB_OFLAG_REPAIRED 0x80

struct scrub_request {
  enum scrub_type type;
  uint32_t group;
  uint32_t ino;
  uint32_t gen;
  uint32_t flags;           /* SCRUB_IFLAG_* */
};

struct scrub_ctx;

/* Told of each finding as it is recorded. */
typedef void (*scrub_report_fn) (void *opaque, const struct scrub_ctx *sc,
                                  const struct scrub_finding *f);

struct scrub_pass;

struct scrub_ctx {
  const struct fsf_fs *fs;
  struct scrub_pass *pass;  /* the full pass this request runs in, or
                             * NULL: no cross-references (pass.h) */
  const uint8_t *inode_raw; /* an inode request: the inode's bytes when
                             * the caller has read them, else NULL */
  struct scrub_request req;
  uint32_t oflags;          /* SCRUB_OFLAG_* so far */
  unsigned findings;        /* recorded so far */
  scrub_report_fn report;   /* may be NULL */
  void *opaque;
};

struct scrub_ops {
  enum scrub_scope scope;
  /* Does this filesystem have the object type at all?  NULL: always. */
  bool (*has) (const struct fsf_sb *sb);
  /* Check the object; record findings with chk_*; return 0 or -errno. */
  int (*scrub) (struct scrub_ctx *sc);
  /* Repairs come with SPEC section 7; NULL until then. */
  int (*repair) (struct scrub_ctx *sc);
};

/* Names of every type, indexed by enum scrub_type ("gdt"). */
extern const char *const scrub_type_names[SCRUB_TYPE_NR];

/* The dispatch table, indexed by enum scrub_type; NULL for a type whose
 * scrubber this version does not have yet.  Each scrubber is one file
 * exporting one const ops struct.
 */
extern const struct scrub_ops *const scrub_ops[SCRUB_TYPE_NR];
extern const struct scrub_ops scrub_superblock_ops;
extern const struct scrub_ops scrub_gdt_ops;
extern const struct scrub_ops scrub_bbitmap_ops;
extern const struct scrub_ops scrub_ibitmap_ops;
extern const struct scrub_ops scrub_counters_ops;
extern const struct scrub_ops scrub_probe_ops;
extern const struct scrub_ops scrub_inode_ops;
extern const struct scrub_ops scrub_extents_ops;
extern const struct scrub_ops scrub_directory_ops;
extern const struct scrub_ops scrub_xattr_ops;
extern const struct scrub_ops scrub_symlink_ops;
extern const struct scrub_ops scrub_journal_ops;
extern const struct scrub_ops scrub_orphans_ops;
extern const struct scrub_ops scrub_links_ops;

/* By name ("gdt"), for the command line; SCRUB_TYPE_NR if unknown. */
extern enum scrub_type scrub_type_by_name (const char *name);

/* Validate a request (SPEC 6.1): an unknown type, a type this filesystem
 * lacks, or one this version cannot scrub yet: -ENOENT; fields that do
 * not fit the type's scope, or a group or inode out of range: -EINVAL;
 * a repair on a read-only export: -EROFS.  Returns 0 when it may run.
 */
extern int scrub_validate (const struct fsf_fs *fs,
                           const struct scrub_request *req, bool readonly);

/* Validate and run one request.  Returns 0 or a negative errno; the
 * findings go to report, the verdict to sc->oflags.
 */
extern int scrub_run (struct scrub_ctx *sc, const struct fsf_fs *fs,
                      const struct scrub_request *req, bool readonly,
                      scrub_report_fn report, void *opaque);

/* The verdict setters a checker uses: each records one finding and sets
 * the output flag of the problem's severity.
 */
extern void chk_set (struct scrub_ctx *sc, const struct scrub_finding *f);

/* Shorthand for the common case: a code and where. */
static inline void
chk_set_corrupt (struct scrub_ctx *sc, int code, uint32_t group,
                 uint32_t ino, uint64_t block, uint64_t expected,
                 uint64_t found)
{
  struct scrub_finding f = { code, group, ino, block, expected, found,
                             NULL };

  chk_set (sc, &f);
}

#endif /* NBDSCRUB_SCRUB_H */
