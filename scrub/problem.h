/* nbdscrub: the problem catalogue, after e2fsck's problem table.
 *
 * Every problem the scrubber can report has one entry: a stable code
 * (never renumbered; new codes are appended inside their type's range),
 * a stable name (SB_BAD_MAGIC), the metadata type it belongs to, a
 * severity, a message template and the repair that will apply.  The
 * table is sorted by code; tests/unit/test-scrub-problem.c checks that,
 * and that codes and names are unique.  docs/problems.md is generated
 * from it by the build (scrub/gen-problems.c).
 *
 * Message templates take these fields of a struct scrub_finding:
 *   %g group   %i inode   %b block   %e expected   %f found   %n name
 *   %E expected and %F found in hex (checksums, flags)
 */
#ifndef NBDSCRUB_PROBLEM_H
#define NBDSCRUB_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How bad a finding is; each maps to one scrub output flag. */
enum scrub_severity {
  SEV_CORRUPT,     /* the object violates the on-disk format */
  SEV_XCORRUPT,    /* it disagrees with other metadata */
  SEV_PREEN,       /* correct but stale or suboptimal */
  SEV_WARNING,     /* suspicious, not wrong */
};

/* Codes: 0xTTNN, TT the scrub type (scrub.h), NN the problem. */
enum scrub_code {
  /* superblock (type 0x01) */
  PR_SB_BAD_MAGIC = 0x0101,
  PR_SB_BAD_GEOMETRY = 0x0102,
  PR_SB_CSUM = 0x0103,
  PR_SB_UNSUPPORTED = 0x0104,
  PR_SB_INODES_COUNT = 0x0105,
  PR_SB_FREE_BLOCKS_RANGE = 0x0106,
  PR_SB_FREE_INODES_RANGE = 0x0107,
  PR_SB_R_BLOCKS_RANGE = 0x0108,
  PR_SB_FIRST_INO_RANGE = 0x0109,
  PR_SB_BACKUP_DIFFERS = 0x010a,
  PR_SB_BACKUP_UNREADABLE = 0x010b,
  PR_SB_ERROR_STATE = 0x010c,
  PR_SB_EXTRA_ISIZE = 0x010d,
  PR_SB_JOURNAL_INUM = 0x010e,
  PR_SB_LAST_ORPHAN = 0x010f,
  /* group descriptors (type 0x02) */
  PR_GD_CSUM_MISMATCH = 0x0201,
  PR_GD_BBITMAP_RANGE = 0x0202,
  PR_GD_IBITMAP_RANGE = 0x0203,
  PR_GD_ITABLE_RANGE = 0x0204,
  PR_GD_OVERLAP = 0x0205,
  PR_GD_FREE_BLOCKS_RANGE = 0x0206,
  PR_GD_FREE_INODES_RANGE = 0x0207,
  PR_GD_DIRS_RANGE = 0x0208,
  PR_GD_ITABLE_UNUSED_RANGE = 0x0209,
  PR_GD_FLAGS_WITHOUT_CSUM = 0x020a,
  PR_GD_BACKUP_DIFFERS = 0x020b,
  PR_GD_FREE_BLOCKS_WRONG = 0x020c,
  PR_GD_FREE_INODES_WRONG = 0x020d,
  PR_GD_DIRS_WRONG = 0x020e,
  /* block bitmap (type 0x03) */
  PR_BBITMAP_CSUM = 0x0301,
  PR_BBITMAP_PADDING = 0x0302,
  PR_BBITMAP_MULTIPLY_CLAIMED = 0x0303,
  PR_BBITMAP_USED_MARKED_FREE = 0x0304,
  PR_BBITMAP_FREE_MARKED_USED = 0x0305,
  /* inode bitmap (type 0x04) */
  PR_IBITMAP_CSUM = 0x0401,
  PR_IBITMAP_USED_MARKED_FREE = 0x0402,
  PR_IBITMAP_FREE_MARKED_USED = 0x0403,
  /* inode (type 0x05) */
  /* -- inode codes: inode.c's helper appends here -- */
  PR_INODE_CSUM = 0x0501,
  PR_INODE_ZERO_DTIME = 0x0502,
  PR_INODE_SET_DTIME = 0x0503,
  PR_INODE_ORPHAN_DTIME = 0x0504,
  PR_INODE_BAD_MODE = 0x0505,
  PR_INODE_BAD_SPECIAL = 0x0506,
  PR_INODE_SPECIAL_SIZE = 0x0507,
  PR_INODE_SPECIAL_FLAGS = 0x0508,
  PR_INODE_EXTENTS_FEATURE = 0x0509,
  PR_INODE_MISSING_EXTENTS_FL = 0x050a,
  PR_INODE_INLINE_DATA = 0x050b,
  PR_INODE_HTREE_NODIR = 0x050c,
  PR_INODE_HTREE_FEATURE = 0x050d,
  PR_INODE_CASEFOLD = 0x050e,
  PR_INODE_IMAGIC = 0x050f,
  PR_INODE_EA_INODE_NONREG = 0x0510,
  PR_INODE_EXTRA_ISIZE = 0x0511,
  PR_INODE_FADDR = 0x0512,
  PR_INODE_FILE_ACL_HI = 0x0513,
  PR_INODE_BLOCKS_HI = 0x0514,
  PR_INODE_DIR_SIZE_HIGH = 0x0515,
  PR_INODE_SIZE = 0x0516,
  PR_INODE_I_BLOCKS = 0x0517,
  PR_INODE_ZERO_LENGTH_DIR = 0x0518,
  PR_INODE_ROOT_NOT_DIR = 0x0519,
  PR_INODE_RESERVED_MODE = 0x051a,
  PR_INODE_RESERVED_NOT_CLEAR = 0x051b,
  PR_INODE_BAD_BLOCKS_INODE = 0x051c,
  PR_INODE_RESIZE_INVALID = 0x051d,
  PR_INODE_RESIZE_NOT_CLEAR = 0x051e,
  PR_INODE_TIME_EPOCH = 0x051f,
  PR_INODE_LARGE_FILE = 0x0520,
  PR_INODE_ENCRYPT = 0x0521,
  /* extents and block maps (type 0x06) */
  /* -- extents codes: extents.c appends here -- */
  PR_EXTENT_HEADER = 0x0601,
  PR_EXTENT_CSUM = 0x0602,
  PR_EXTENT_BAD_START = 0x0603,
  PR_EXTENT_ENDS_BEYOND = 0x0604,
  PR_EXTENT_ZERO_LEN = 0x0605,
  PR_EXTENT_ORDER = 0x0606,
  PR_EXTENT_INDEX_START = 0x0607,
  PR_EXTENT_END_BOUNDS = 0x0608,
  PR_EXTENT_DEPTH = 0x0609,
  PR_EXTENT_UNINIT_DIR = 0x060a,
  PR_MAP_TOO_BIG = 0x060b,
  PR_BLOCKMAP_BAD_BLOCK = 0x060c,
  PR_BLOCKMAP_LOOP = 0x060d,
  PR_MAP_DIR_HOLE = 0x060e,
  PR_MAP_TOO_MANY = 0x060f,
  /* directory (type 0x07) */
  /* -- directory codes: directory.c appends here -- */
  PR_DIR_NO_BLOCKS = 0x0701,
  PR_DIR_HOLE = 0x0702,
  PR_DIR_REC_LEN_SMALL = 0x0703,
  PR_DIR_REC_LEN_ALIGN = 0x0704,
  PR_DIR_REC_LEN_PAST_END = 0x0705,
  PR_DIR_NAME_LEN = 0x0706,
  PR_DIR_LEAF_NO_TAIL = 0x0707,
  PR_DIR_LEAF_CSUM = 0x0708,
  PR_DIR_NO_DOT = 0x0709,
  PR_DIR_DOT_INODE = 0x070a,
  PR_DIR_DOT_SPLIT = 0x070b,
  PR_DIR_NO_DOTDOT = 0x070c,
  PR_DIR_BAD_INODE = 0x070d,
  PR_DIR_DUP_DOT = 0x070e,
  PR_DIR_DUP_DOTDOT = 0x070f,
  PR_DIR_LINK_ROOT = 0x0710,
  PR_DIR_NULL_NAME = 0x0711,
  PR_DIR_LINK_DOT = 0x0712,
  PR_DIR_INOREF_UNINIT = 0x0713,
  PR_DIR_UNUSED_INODE = 0x0714,
  PR_DIR_BAD_FILETYPE = 0x0715,
  PR_DIR_FILETYPE_UNSET = 0x0716,
  PR_DIR_FILETYPE_NO_FEATURE = 0x0717,
  PR_DIR_BAD_NAME = 0x0718,
  PR_DIR_LINK_DIR = 0x0719,
  PR_DIR_DUP_NAME = 0x071a,
  PR_DIR_HTREE_NO_FEATURE = 0x071b,
  PR_DIR_DX_ROOT_BAD = 0x071c,
  PR_DIR_DX_HASH_VERSION = 0x071d,
  PR_DIR_DX_INCOMPAT = 0x071e,
  PR_DIR_DX_DEPTH = 0x071f,
  PR_DIR_DX_CSUM = 0x0720,
  PR_DIR_DX_LIMIT = 0x0721,
  PR_DIR_DX_COUNT = 0x0722,
  PR_DIR_DX_BAD_BLOCK = 0x0723,
  PR_DIR_DX_HASH_ORDER = 0x0724,
  PR_DIR_DX_MIN_HASH = 0x0725,
  PR_DIR_DX_MAX_HASH = 0x0726,
  PR_DIR_DX_LEAF_DEPTH = 0x0727,
  PR_DIR_DX_NOTREF = 0x0728,
  PR_DIR_DX_DUPREF = 0x0729,
  /* xattr (type 0x08) */
  PR_XATTR_REFCOUNT = 0x0801,
  /* -- xattr codes: xattr.c appends here (from 0x0802) -- */
  PR_XATTR_IBODY = 0x0802,
  PR_XATTR_IBODY_HASH = 0x0803,
  PR_XATTR_BLOCK_RANGE = 0x0804,
  PR_XATTR_BLOCK_NO_FEATURE = 0x0805,
  PR_XATTR_BLOCK_MAGIC = 0x0806,
  PR_XATTR_BLOCK_HBLOCKS = 0x0807,
  PR_XATTR_BLOCK_CSUM = 0x0808,
  PR_XATTR_BLOCK_ENTRY = 0x0809,
  PR_XATTR_BLOCK_NAME = 0x080a,
  PR_XATTR_BLOCK_HASH = 0x080b,
  /* symlink (type 0x09) */
  /* -- symlink codes: symlink.c appends here -- */
  PR_SYMLINK_SIZE = 0x0901,
  PR_SYMLINK_FLAGS = 0x0902,
  PR_SYMLINK_MAP = 0x0903,
  PR_SYMLINK_TARGET = 0x0904,
  /* journal (type 0x0a) */
  PR_JNL_INODE_INVALID = 0x0a01,
  PR_JNL_INODE_BACKUP = 0x0a02,
  PR_JNL_INODE_MODE = 0x0a03,
  PR_JNL_SB_MAGIC = 0x0a04,
  PR_JNL_SB_TYPE = 0x0a05,
  PR_JNL_SB_FEATURES = 0x0a06,
  PR_JNL_SB_CSUM = 0x0a07,
  PR_JNL_SB_BLOCKSIZE = 0x0a08,
  PR_JNL_SB_MAXLEN = 0x0a09,
  PR_JNL_SB_USERS = 0x0a0a,
  PR_JNL_FC_BLOCKS = 0x0a0b,
  PR_JNL_FEATURE_OFF = 0x0a0c,
  PR_JNL_RECOVER_NO_JOURNAL = 0x0a0d,
  PR_JNL_UUID_INTERNAL = 0x0a0e,
  PR_JNL_INODE8_NOT_CLEAR = 0x0a0f,
  PR_JNL_BACKUP_DIFFERS = 0x0a10,
  PR_JNL_DATA_NO_RECOVERY = 0x0a11,
  PR_JNL_ERRNO = 0x0a12,
  PR_JNL_TXN_CORRUPT = 0x0a13,
  PR_JNL_REPLAY_SKIPPED = 0x0a14,
  PR_JNL_SB_LAYOUT = 0x0a15,
  /* -- journal codes: journal.c appends here -- */
  /* orphans (type 0x0b) */
  PR_ORPHAN_LINK_RANGE = 0x0b01,
  PR_ORPHAN_LIST_LOOP = 0x0b02,
  PR_ORPHAN_NOT_IN_USE = 0x0b03,
  PR_ORPHAN_UNRECOVERED = 0x0b04,
  PR_ORPHAN_FILE_MAGIC = 0x0b05,
  PR_ORPHAN_FILE_CSUM = 0x0b06,
  PR_ORPHAN_FILE_INODE = 0x0b07,
  PR_ORPHAN_FILE_ENTRY_RANGE = 0x0b08,
  PR_ORPHAN_FILE_UNRECOVERED = 0x0b09,
  PR_ORPHAN_PRESENT_NO_FILE = 0x0b0a,
  PR_ORPHAN_PRESENT_CLEAN = 0x0b0b,
  PR_ORPHAN_FILE_NO_JOURNAL = 0x0b0c,
  /* -- orphans codes: orphans.c appends here -- */
  /* links (type 0x0c) */
  /* -- links codes: links.c appends here -- */
  PR_LINKS_NO_ROOT = 0x0c01,
  PR_LINKS_ROOT_NOT_DIR = 0x0c02,
  PR_LINKS_UNCONNECTED_DIR = 0x0c03,
  PR_LINKS_BAD_DOTDOT = 0x0c04,
  PR_LINKS_UNATTACHED = 0x0c05,
  PR_LINKS_UNATTACHED_EMPTY = 0x0c06,
  PR_LINKS_COUNT = 0x0c07,
  PR_LINKS_DIR_NLINK = 0x0c08,
  PR_LINKS_DIR_OVERFLOW = 0x0c09,
  PR_LINKS_DIR_LOOP = 0x0c0a,
  /* counters (type 0x0d) */
  PR_CNT_SB_FREE_BLOCKS = 0x0d01,
  PR_CNT_SB_FREE_INODES = 0x0d02,
};

struct scrub_problem {
  int code;                   /* enum scrub_code */
  const char *name;           /* "SB_BAD_MAGIC" */
  enum scrub_severity severity;
  const char *message;        /* template, see above */
  const char *repair;         /* what a repair does, or NULL for none */
  bool unattended;            /* may be repaired without an operator */
};

extern const struct scrub_problem scrub_problems[];
extern const size_t scrub_problems_count;

/* The entry for code, or NULL. */
extern const struct scrub_problem *scrub_problem (int code);

/* What a checker found, the fields a message template refers to. */
struct scrub_finding {
  int code;
  uint32_t group;
  uint32_t ino;
  uint64_t block;
  uint64_t expected;
  uint64_t found;
  const char *name;
};

/* Fill buf with the finding's message, snprintf-style. */
extern size_t scrub_format (const struct scrub_finding *f, char *buf,
                            size_t len);

extern const char *scrub_severity_name (enum scrub_severity s);

#endif /* NBDSCRUB_PROBLEM_H */
