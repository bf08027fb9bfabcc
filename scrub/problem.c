/* nbdscrub: the problem catalogue (see problem.h).  Keep sorted by code;
 * never renumber.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "problem.h"

const struct scrub_problem scrub_problems[] = {
  { PR_SB_BAD_MAGIC, "SB_BAD_MAGIC", SEV_CORRUPT,
    "superblock has no ext2/3/4 magic number",
    "restore from the first backup superblock that verifies", false },
  { PR_SB_BAD_GEOMETRY, "SB_BAD_GEOMETRY", SEV_CORRUPT,
    "superblock geometry is impossible (block size, group sizes or counts)",
    "restore from the first backup superblock that verifies", false },
  { PR_SB_CSUM, "SB_CSUM", SEV_CORRUPT,
    "superblock checksum is 0x%F, expected 0x%E",
    "restore from a backup that verifies, else recompute", true },
  { PR_SB_UNSUPPORTED, "SB_UNSUPPORTED", SEV_WARNING,
    "filesystem uses feature(s) this version cannot check: %n", NULL,
    false },
  { PR_SB_INODES_COUNT, "SB_INODES_COUNT", SEV_CORRUPT,
    "inode count is %f, expected %e (groups x inodes per group)",
    "set the inode count from the geometry", true },
  { PR_SB_FREE_BLOCKS_RANGE, "SB_FREE_BLOCKS_RANGE", SEV_CORRUPT,
    "free block count %f exceeds the block count %e",
    "recompute from the block bitmaps", true },
  { PR_SB_FREE_INODES_RANGE, "SB_FREE_INODES_RANGE", SEV_CORRUPT,
    "free inode count %f exceeds the inode count %e",
    "recompute from the inode bitmaps", true },
  { PR_SB_R_BLOCKS_RANGE, "SB_R_BLOCKS_RANGE", SEV_CORRUPT,
    "reserved block count %f exceeds half the block count %e",
    "set the reserved block count to 5%", false },
  { PR_SB_FIRST_INO_RANGE, "SB_FIRST_INO_RANGE", SEV_CORRUPT,
    "first non-reserved inode %f is past the inode count %e", NULL, false },
  /* e2fsck rewrites stale backups silently and e2fsck -fn exits 0 for
   * them: PREEN, so the verdicts agree.
   */
  { PR_SB_BACKUP_DIFFERS, "SB_BACKUP_DIFFERS", SEV_PREEN,
    "backup superblock in group %g disagrees with the primary",
    "rewrite the backup from the primary", true },
  { PR_SB_BACKUP_UNREADABLE, "SB_BACKUP_UNREADABLE", SEV_PREEN,
    "backup superblock in group %g is not a valid superblock",
    "rewrite the backup from the primary", true },
  { PR_SB_ERROR_STATE, "SB_ERROR_STATE", SEV_WARNING,
    "the kernel recorded filesystem errors (state 0x%F)", NULL, false },
  { PR_SB_EXTRA_ISIZE, "SB_EXTRA_ISIZE", SEV_CORRUPT,
    "extra inode size %f does not fit the %e-byte inode",
    "set it to the default", true },
  { PR_SB_JOURNAL_INUM, "SB_JOURNAL_INUM", SEV_CORRUPT,
    "has_journal is set but the journal inode %f is not valid", NULL,
    false },
  { PR_SB_LAST_ORPHAN, "SB_LAST_ORPHAN", SEV_CORRUPT,
    "first orphan inode %f is out of range", "clear the orphan list",
    true },
  { PR_GD_CSUM_MISMATCH, "GD_CSUM_MISMATCH", SEV_CORRUPT,
    "group %g descriptor checksum is 0x%F, expected 0x%E",
    "restore the descriptor from a backup that verifies, else recompute",
    true },
  { PR_GD_BBITMAP_RANGE, "GD_BBITMAP_RANGE", SEV_CORRUPT,
    "group %g block bitmap at block %b is outside the filesystem or its "
    "flex group", "relocate the bitmap and rebuild it", false },
  { PR_GD_IBITMAP_RANGE, "GD_IBITMAP_RANGE", SEV_CORRUPT,
    "group %g inode bitmap at block %b is outside the filesystem or its "
    "flex group", "relocate the bitmap and rebuild it", false },
  { PR_GD_ITABLE_RANGE, "GD_ITABLE_RANGE", SEV_CORRUPT,
    "group %g inode table at block %b runs outside the filesystem or its "
    "flex group", NULL, false },
  { PR_GD_OVERLAP, "GD_OVERLAP", SEV_CORRUPT,
    "group %g: block %b holds two pieces of group metadata", NULL, false },
  { PR_GD_FREE_BLOCKS_RANGE, "GD_FREE_BLOCKS_RANGE", SEV_CORRUPT,
    "group %g free block count %f exceeds the group's %e blocks",
    "recompute from the block bitmap", true },
  { PR_GD_FREE_INODES_RANGE, "GD_FREE_INODES_RANGE", SEV_CORRUPT,
    "group %g free inode count %f exceeds the group's %e inodes",
    "recompute from the inode bitmap", true },
  { PR_GD_DIRS_RANGE, "GD_DIRS_RANGE", SEV_CORRUPT,
    "group %g directory count %f exceeds the group's %e inodes",
    "recompute from the inode table", true },
  { PR_GD_ITABLE_UNUSED_RANGE, "GD_ITABLE_UNUSED_RANGE", SEV_CORRUPT,
    "group %g unused inode count %f exceeds the free inode count %e",
    "recompute from the inode bitmap", true },
  { PR_GD_FLAGS_WITHOUT_CSUM, "GD_FLAGS_WITHOUT_CSUM", SEV_CORRUPT,
    "group %g has uninit flags 0x%F but the filesystem has no group "
    "checksums", "clear the flags", true },
  { PR_GD_BACKUP_DIFFERS, "GD_BACKUP_DIFFERS", SEV_PREEN,
    "group %g descriptor copy in backup group %b disagrees with the "
    "primary", "rewrite the backup from the primary", true },
  { PR_GD_FREE_BLOCKS_WRONG, "GD_FREE_BLOCKS_WRONG", SEV_XCORRUPT,
    "group %g free block count %f, %e blocks are owned by nothing",
    "set it from the block bitmap", true },
  { PR_GD_FREE_INODES_WRONG, "GD_FREE_INODES_WRONG", SEV_XCORRUPT,
    "group %g free inode count %f, %e inodes are not in use",
    "set it from the inode bitmap", true },
  { PR_GD_DIRS_WRONG, "GD_DIRS_WRONG", SEV_XCORRUPT,
    "group %g directory count %f, %e directories are in use",
    "set it from the inode table", true },
  { PR_BBITMAP_CSUM, "BBITMAP_CSUM", SEV_CORRUPT,
    "group %g block bitmap checksum is 0x%F, expected 0x%E",
    "rebuild the bitmap from block ownership", true },
  { PR_BBITMAP_PADDING, "BBITMAP_PADDING", SEV_CORRUPT,
    "group %g block bitmap: padding past the end of the filesystem is "
    "not set", "set the padding bits", true },
  { PR_BBITMAP_MULTIPLY_CLAIMED, "BBITMAP_MULTIPLY_CLAIMED", SEV_XCORRUPT,
    "block %b is claimed by inode %i and by another owner (%f block(s) "
    "of this run)",
    "clone the block for each later owner, as e2fsck pass 1b", false },
  { PR_BBITMAP_USED_MARKED_FREE, "BBITMAP_USED_MARKED_FREE", SEV_XCORRUPT,
    "%f block(s) in use are marked free in the bitmap, the first %b",
    "rebuild the bitmap from block ownership", true },
  { PR_BBITMAP_FREE_MARKED_USED, "BBITMAP_FREE_MARKED_USED", SEV_XCORRUPT,
    "%f block(s) owned by nothing are marked in use in the bitmap, the "
    "first %b", "rebuild the bitmap from block ownership", true },
  { PR_IBITMAP_CSUM, "IBITMAP_CSUM", SEV_CORRUPT,
    "group %g inode bitmap checksum is 0x%F, expected 0x%E",
    "rebuild the bitmap from inode use", true },
  { PR_IBITMAP_USED_MARKED_FREE, "IBITMAP_USED_MARKED_FREE", SEV_XCORRUPT,
    "%f inode(s) in use are marked free in the bitmap, the first %i",
    "rebuild the bitmap from inode use", true },
  { PR_IBITMAP_FREE_MARKED_USED, "IBITMAP_FREE_MARKED_USED", SEV_XCORRUPT,
    "%f unused inode(s) are marked in use in the bitmap, the first %i",
    "rebuild the bitmap from inode use", true },
  /* -- inode entries: inode.c's helper appends here -- */
  /* -- extents entries: extents.c appends here -- */
  /* -- directory entries: directory.c appends here -- */
  { PR_XATTR_REFCOUNT, "XATTR_REFCOUNT", SEV_XCORRUPT,
    "xattr block %b has reference count %f, %e inode(s) refer to it",
    "set the reference count", true },
  /* -- xattr entries: xattr.c appends here -- */
  /* -- symlink entries: symlink.c appends here -- */
  /* -- journal entries: journal.c appends here -- */
  /* -- orphans entries: orphans.c appends here -- */
  /* -- links entries: links.c appends here -- */
  /* While mounted, the kernel keeps these in memory only: PREEN, as
   * e2fsck lets a stale superblock count pass.
   */
  { PR_CNT_SB_FREE_BLOCKS, "CNT_SB_FREE_BLOCKS", SEV_PREEN,
    "superblock free block count %f, the groups say %e",
    "set it from the group counts", true },
  { PR_CNT_SB_FREE_INODES, "CNT_SB_FREE_INODES", SEV_PREEN,
    "superblock free inode count %f, the groups say %e",
    "set it from the group counts", true },
};
const size_t scrub_problems_count =
  sizeof scrub_problems / sizeof scrub_problems[0];

static int
by_code (const void *key, const void *elem)
{
  int k = *(const int *) key;
  int c = ((const struct scrub_problem *) elem)->code;

  return (k > c) - (k < c);
}

const struct scrub_problem *
scrub_problem (int code)
{
  return bsearch (&code, scrub_problems, scrub_problems_count,
                  sizeof scrub_problems[0], by_code);
}

const char *
scrub_severity_name (enum scrub_severity s)
{
  switch (s) {
  case SEV_CORRUPT: return "corrupt";
  case SEV_XCORRUPT: return "xcorrupt";
  case SEV_PREEN: return "preen";
  case SEV_WARNING: return "warning";
  }
  return "unknown";
}

size_t
scrub_format (const struct scrub_finding *f, char *buf, size_t len)
{
  const struct scrub_problem *p = scrub_problem (f->code);
  const char *t = p ? p->message : "unknown problem %e";
  size_t used = 0;

#define PUT(...)                                                        \
  do {                                                                  \
    int n_ = snprintf (used < len ? buf + used : NULL,                  \
                       used < len ? len - used : 0, __VA_ARGS__);       \
    if (n_ > 0)                                                         \
      used += (size_t) n_;                                              \
  } while (0)

  if (len)
    buf[0] = '\0';
  for (; *t; t++) {
    if (*t != '%' || t[1] == '\0') {
      PUT ("%c", *t);
      continue;
    }
    switch (*++t) {
    case 'g': PUT ("%" PRIu32, f->group); break;
    case 'i': PUT ("%" PRIu32, f->ino); break;
    case 'b': PUT ("%" PRIu64, f->block); break;
    case 'e': PUT ("%" PRIu64, f->expected); break;
    case 'f': PUT ("%" PRIu64, f->found); break;
    case 'E': PUT ("%08" PRIx64, f->expected); break;
    case 'F': PUT ("%08" PRIx64, f->found); break;
    case 'n': PUT ("%s", f->name ? f->name : ""); break;
    default: PUT ("%%%c", *t); break;
    }
  }
#undef PUT
  return used;
}
