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
  { PR_DIR_NO_BLOCKS, "DIR_NO_BLOCKS", SEV_CORRUPT,
    "directory inode %i has no blocks", NULL, false },
  { PR_DIR_HOLE, "DIR_HOLE", SEV_CORRUPT,
    "directory inode %i has a hole at logical block %f", NULL, false },
  { PR_DIR_REC_LEN_SMALL, "DIR_REC_LEN_SMALL", SEV_CORRUPT,
    "directory inode %i block %b: the entry at offset %e has rec_len %f, "
    "below the 12 bytes an entry needs", "salvage the block", false },
  { PR_DIR_REC_LEN_ALIGN, "DIR_REC_LEN_ALIGN", SEV_CORRUPT,
    "directory inode %i block %b: the entry at offset %e has rec_len %f, "
    "not a multiple of 4", "salvage the block", false },
  { PR_DIR_REC_LEN_PAST_END, "DIR_REC_LEN_PAST_END", SEV_CORRUPT,
    "directory inode %i block %b: the entry at offset %e has rec_len %f, "
    "past the end of the block", "salvage the block", false },
  { PR_DIR_NAME_LEN, "DIR_NAME_LEN", SEV_CORRUPT,
    "directory inode %i block %b: the entry at offset %e has name_len %f, "
    "longer than its rec_len holds", "salvage the block", false },
  { PR_DIR_LEAF_NO_TAIL, "DIR_LEAF_NO_TAIL", SEV_CORRUPT,
    "directory inode %i block %b has no checksum tail",
    "rebuild the directory", false },
  { PR_DIR_LEAF_CSUM, "DIR_LEAF_CSUM", SEV_CORRUPT,
    "directory inode %i block %b checksum is 0x%F, expected 0x%E",
    "recompute the checksum", true },
  { PR_DIR_NO_DOT, "DIR_NO_DOT", SEV_CORRUPT,
    "directory inode %i: the first entry is not '.'",
    "write a '.' entry", false },
  { PR_DIR_DOT_INODE, "DIR_DOT_INODE", SEV_CORRUPT,
    "directory inode %i: '.' names inode %f", "point '.' at the directory",
    true },
  /* e2fsck -n answers no to splitting a big '.' entry and calls that
   * fine (PR_2_SPLIT_DOT is PR_NO_OK): exit 0, so PREEN.
   */
  { PR_DIR_DOT_SPLIT, "DIR_DOT_SPLIT", SEV_PREEN,
    "directory inode %i: the '.' entry has rec_len %f, room for more "
    "entries", "split the '.' entry", true },
  { PR_DIR_NO_DOTDOT, "DIR_NO_DOTDOT", SEV_CORRUPT,
    "directory inode %i: the second entry is not '..'",
    "write a '..' entry", false },
  { PR_DIR_BAD_INODE, "DIR_BAD_INODE", SEV_CORRUPT,
    "directory inode %i: entry '%n' names inode %f, out of range or "
    "reserved", "clear the entry", false },
  { PR_DIR_DUP_DOT, "DIR_DUP_DOT", SEV_CORRUPT,
    "directory inode %i block %b: a second '.' entry", "clear the entry",
    false },
  { PR_DIR_DUP_DOTDOT, "DIR_DUP_DOTDOT", SEV_CORRUPT,
    "directory inode %i block %b: a second '..' entry", "clear the entry",
    false },
  { PR_DIR_LINK_ROOT, "DIR_LINK_ROOT", SEV_CORRUPT,
    "directory inode %i: entry '%n' links to the root directory",
    "clear the entry", false },
  { PR_DIR_NULL_NAME, "DIR_NULL_NAME", SEV_CORRUPT,
    "directory inode %i block %b: an entry for inode %f has an empty name",
    "clear the entry", false },
  { PR_DIR_LINK_DOT, "DIR_LINK_DOT", SEV_CORRUPT,
    "directory inode %i: entry '%n' links to the directory itself",
    "clear the entry", false },
  { PR_DIR_INOREF_UNINIT, "DIR_INOREF_UNINIT", SEV_XCORRUPT,
    "directory inode %i: entry '%n' names inode %f, which group %g "
    "marks uninitialised or never used", NULL, false },
  { PR_DIR_UNUSED_INODE, "DIR_UNUSED_INODE", SEV_XCORRUPT,
    "directory inode %i: entry '%n' names inode %f, which is not in use",
    "clear the entry", false },
  { PR_DIR_BAD_FILETYPE, "DIR_BAD_FILETYPE", SEV_XCORRUPT,
    "directory inode %i: entry '%n' has file type %f, its inode is type %e",
    "set the file type from the inode", true },
  /* e2fsck sets a missing file type silently and e2fsck -n exits 0 for
   * it (PR_2_SET_FILETYPE is PROMPT_NONE, PR_NO_OK): PREEN.
   */
  { PR_DIR_FILETYPE_UNSET, "DIR_FILETYPE_UNSET", SEV_PREEN,
    "directory inode %i: entry '%n' has no file type, its inode is type %e",
    "set the file type from the inode", true },
  { PR_DIR_FILETYPE_NO_FEATURE, "DIR_FILETYPE_NO_FEATURE", SEV_CORRUPT,
    "directory inode %i: entry '%n' has file type %f but the filesystem "
    "has no filetype feature", "clear the file type", true },
  { PR_DIR_BAD_NAME, "DIR_BAD_NAME", SEV_CORRUPT,
    "directory inode %i: entry '%n' has '/' or NUL in its name",
    "replace those bytes with '.'", false },
  { PR_DIR_LINK_DIR, "DIR_LINK_DIR", SEV_XCORRUPT,
    "directory inode %i: entry '%n' is a second hard link to directory %f",
    "clear the entry", false },
  { PR_DIR_DUP_NAME, "DIR_DUP_NAME", SEV_CORRUPT,
    "directory inode %i block %b: two entries are named '%n'",
    "rebuild the directory without the duplicate", false },
  { PR_DIR_HTREE_NO_FEATURE, "DIR_HTREE_NO_FEATURE", SEV_CORRUPT,
    "directory inode %i is indexed but the filesystem has no dir_index",
    "clear the index flag", true },
  { PR_DIR_DX_ROOT_BAD, "DIR_DX_ROOT_BAD", SEV_CORRUPT,
    "directory inode %i: the htree root at block %b is malformed "
    "(reserved 0x%F, info length %f)", "rebuild the index", false },
  { PR_DIR_DX_HASH_VERSION, "DIR_DX_HASH_VERSION", SEV_CORRUPT,
    "directory inode %i: htree hash version %f is not one this "
    "filesystem can use", "rebuild the index", false },
  { PR_DIR_DX_INCOMPAT, "DIR_DX_INCOMPAT", SEV_CORRUPT,
    "directory inode %i: htree root has incompatible flags 0x%F",
    "rebuild the index", false },
  { PR_DIR_DX_DEPTH, "DIR_DX_DEPTH", SEV_CORRUPT,
    "directory inode %i: htree has %f indirect levels, at most %e allowed",
    "rebuild the index", false },
  { PR_DIR_DX_CSUM, "DIR_DX_CSUM", SEV_CORRUPT,
    "directory inode %i: htree index block %b fails its checksum",
    "rebuild the index", false },
  { PR_DIR_DX_LIMIT, "DIR_DX_LIMIT", SEV_CORRUPT,
    "directory inode %i: htree index block %b has limit %f, expected %e",
    "rebuild the index", false },
  { PR_DIR_DX_COUNT, "DIR_DX_COUNT", SEV_CORRUPT,
    "directory inode %i: htree index block %b has count %f, above the "
    "limit %e", "rebuild the index", false },
  { PR_DIR_DX_BAD_BLOCK, "DIR_DX_BAD_BLOCK", SEV_CORRUPT,
    "directory inode %i: htree index block %b points to logical block %f "
    "of a %e-block directory", "rebuild the index", false },
  { PR_DIR_DX_HASH_ORDER, "DIR_DX_HASH_ORDER", SEV_CORRUPT,
    "directory inode %i: htree index block %b has hash 0x%F after 0x%E",
    "rebuild the index", false },
  { PR_DIR_DX_MIN_HASH, "DIR_DX_MIN_HASH", SEV_CORRUPT,
    "directory inode %i: block %b holds hash 0x%F, below its index range "
    "from 0x%E", "rebuild the index", false },
  { PR_DIR_DX_MAX_HASH, "DIR_DX_MAX_HASH", SEV_CORRUPT,
    "directory inode %i: block %b holds hash 0x%F, above its index range "
    "to 0x%E", "rebuild the index", false },
  { PR_DIR_DX_LEAF_DEPTH, "DIR_DX_LEAF_DEPTH", SEV_CORRUPT,
    "directory inode %i: htree leaf block %b is at depth %f, the tree has "
    "depth %e", "rebuild the index", false },
  { PR_DIR_DX_NOTREF, "DIR_DX_NOTREF", SEV_CORRUPT,
    "directory inode %i: block %b is not referenced by the htree index",
    "rebuild the index", false },
  { PR_DIR_DX_DUPREF, "DIR_DX_DUPREF", SEV_CORRUPT,
    "directory inode %i: block %b is referenced more than once by the "
    "htree index", "rebuild the index", false },
  { PR_XATTR_REFCOUNT, "XATTR_REFCOUNT", SEV_XCORRUPT,
    "xattr block %b has reference count %f, %e inode(s) refer to it",
    "set the reference count", true },
  /* -- xattr entries: xattr.c appends here -- */
  /* -- symlink entries: symlink.c appends here -- */
  /* -- journal entries: journal.c appends here -- */
  /* -- orphans entries: orphans.c appends here -- */
  /* -- links entries: links.c appends here -- */
  { PR_LINKS_NO_ROOT, "LINKS_NO_ROOT", SEV_CORRUPT,
    "the root directory (inode 2) is not in use", NULL, false },
  { PR_LINKS_ROOT_NOT_DIR, "LINKS_ROOT_NOT_DIR", SEV_CORRUPT,
    "the root inode 2 is not a directory", NULL, false },
  { PR_LINKS_UNCONNECTED_DIR, "LINKS_UNCONNECTED_DIR", SEV_XCORRUPT,
    "directory inode %i is not reachable from the root ('..' names %f)",
    "reconnect it to lost+found", false },
  { PR_LINKS_BAD_DOTDOT, "LINKS_BAD_DOTDOT", SEV_XCORRUPT,
    "directory inode %i: '..' names inode %f, its parent is %e",
    "point '..' at the parent", true },
  { PR_LINKS_UNATTACHED, "LINKS_UNATTACHED", SEV_XCORRUPT,
    "inode %i (link count %f) is in no directory",
    "reconnect it to lost+found", false },
  { PR_LINKS_UNATTACHED_EMPTY, "LINKS_UNATTACHED_EMPTY", SEV_XCORRUPT,
    "inode %i is empty and in no directory", "clear the inode", false },
  { PR_LINKS_COUNT, "LINKS_COUNT", SEV_XCORRUPT,
    "inode %i has link count %f, %e link(s) found",
    "set the link count", true },
  { PR_LINKS_DIR_NLINK, "LINKS_DIR_NLINK", SEV_XCORRUPT,
    "directory inode %i has %e links, more than 65000, and the "
    "filesystem has no dir_nlink", "set dir_nlink", true },
  /* An indexed directory whose link count stayed 1 after its
   * subdirectories fell below 65000: e2fsck -n does not even ask
   * (PR_4_DIR_OVERFLOW_REF_COUNT only when writing), exit 0: PREEN.
   */
  { PR_LINKS_DIR_OVERFLOW, "LINKS_DIR_OVERFLOW", SEV_PREEN,
    "indexed directory inode %i has link count 1, %e links found",
    "set the link count", true },
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
