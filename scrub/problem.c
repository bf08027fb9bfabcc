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
  { PR_INODE_CSUM, "INODE_CSUM", SEV_CORRUPT,
    "inode %i checksum is 0x%F, expected 0x%E",
    "recompute the checksum once the inode passes every check", false },
  { PR_INODE_ZERO_DTIME, "INODE_ZERO_DTIME", SEV_CORRUPT,
    "deleted inode %i (no links, mode set) has zero dtime",
    "set dtime", true },
  { PR_INODE_SET_DTIME, "INODE_SET_DTIME", SEV_CORRUPT,
    "inode %i is in use but has dtime %f", "clear dtime", true },
  { PR_INODE_ORPHAN_DTIME, "INODE_ORPHAN_DTIME", SEV_CORRUPT,
    "inode %i was part of the orphan list (dtime %f)",
    "clear dtime, as e2fsck does for orphan list refugees", true },
  { PR_INODE_BAD_MODE, "INODE_BAD_MODE", SEV_CORRUPT,
    "inode %i has an invalid file type (mode 0%f)", "clear the inode",
    false },
  { PR_INODE_BAD_SPECIAL, "INODE_BAD_SPECIAL", SEV_CORRUPT,
    "device, fifo or socket inode %i has block-map flags or blocks (flags "
    "0x%F)", "clear the inode", false },
  { PR_INODE_SPECIAL_SIZE, "INODE_SPECIAL_SIZE", SEV_CORRUPT,
    "device, fifo or socket inode %i has non-zero size %f",
    "set the size to 0", true },
  /* e2fsck offers to clear these flags but -n lets them pass (PR_NO_OK):
   * PREEN, so the verdicts agree.
   */
  { PR_INODE_SPECIAL_FLAGS, "INODE_SPECIAL_FLAGS", SEV_PREEN,
    "special inode %i has immutable, append-only or inline-data flags "
    "(0x%F)", "clear the flags", true },
  { PR_INODE_EXTENTS_FEATURE, "INODE_EXTENTS_FEATURE", SEV_CORRUPT,
    "inode %i has EXTENTS_FL but the filesystem has no extents feature",
    NULL, false },
  { PR_INODE_MISSING_EXTENTS_FL, "INODE_MISSING_EXTENTS_FL", SEV_CORRUPT,
    "inode %i holds an extent header but lacks EXTENTS_FL",
    "set EXTENTS_FL", true },
  { PR_INODE_INLINE_DATA, "INODE_INLINE_DATA", SEV_CORRUPT,
    "inode %i has INLINE_DATA_FL on a filesystem without inline data "
    "(flags 0x%F)", "clear the inode", false },
  { PR_INODE_HTREE_NODIR, "INODE_HTREE_NODIR", SEV_CORRUPT,
    "inode %i has INDEX_FL but is not a directory", "clear INDEX_FL",
    true },
  { PR_INODE_HTREE_FEATURE, "INODE_HTREE_FEATURE", SEV_CORRUPT,
    "directory %i has INDEX_FL on a filesystem without dir_index",
    "clear INDEX_FL", true },
  { PR_INODE_CASEFOLD, "INODE_CASEFOLD", SEV_CORRUPT,
    "inode %i has the casefold flag but is not a directory or the "
    "filesystem lacks casefold", "clear the flag", true },
  { PR_INODE_IMAGIC, "INODE_IMAGIC", SEV_CORRUPT,
    "inode %i has the imagic flag on a filesystem without imagic inodes",
    "clear the flag", true },
  /* e2fsck 1.47.1 and later flag it; 1.47.0 (Debian 12's, the oracle)
   * lets it pass: WARNING.
   */
  { PR_INODE_EA_INODE_NONREG, "INODE_EA_INODE_NONREG", SEV_WARNING,
    "inode %i has EA_INODE_FL but is not a regular file", "clear the flag",
    true },
  { PR_INODE_EXTRA_ISIZE, "INODE_EXTRA_ISIZE", SEV_CORRUPT,
    "inode %i has invalid extra size %f", "set it to the default", true },
  { PR_INODE_FADDR, "INODE_FADDR", SEV_CORRUPT,
    "inode %i has i_faddr %f, should be zero", "clear it", true },
  { PR_INODE_FILE_ACL_HI, "INODE_FILE_ACL_HI", SEV_CORRUPT,
    "inode %i has i_file_acl_hi %f without the 64bit feature", "clear it",
    true },
  { PR_INODE_BLOCKS_HI, "INODE_BLOCKS_HI", SEV_CORRUPT,
    "inode %i has i_blocks_hi %f without the huge_file feature", "clear it",
    true },
  { PR_INODE_DIR_SIZE_HIGH, "INODE_DIR_SIZE_HIGH", SEV_CORRUPT,
    "directory %i has i_size_high %f without the large_dir feature",
    "clear it", true },
  { PR_INODE_SIZE, "INODE_SIZE", SEV_CORRUPT,
    "inode %i has i_size %f, its blocks say %e", "set i_size from the map",
    true },
  { PR_INODE_I_BLOCKS, "INODE_I_BLOCKS", SEV_CORRUPT,
    "inode %i has i_blocks %f, it owns %e", "set i_blocks from the map",
    true },
  { PR_INODE_ZERO_LENGTH_DIR, "INODE_ZERO_LENGTH_DIR", SEV_CORRUPT,
    "directory %i has no blocks", "clear the inode", false },
  { PR_INODE_ROOT_NOT_DIR, "INODE_ROOT_NOT_DIR", SEV_CORRUPT,
    "the root inode is not a directory (mode 0%f)",
    "clear it and recreate the root", false },
  { PR_INODE_RESERVED_MODE, "INODE_RESERVED_MODE", SEV_CORRUPT,
    "reserved inode %i has an invalid mode 0%f", "clear the mode", true },
  { PR_INODE_RESERVED_NOT_CLEAR, "INODE_RESERVED_NOT_CLEAR", SEV_CORRUPT,
    "reserved inode %i is not in use but holds data", "clear the inode",
    true },
  { PR_INODE_BAD_BLOCKS_INODE, "INODE_BAD_BLOCKS_INODE", SEV_CORRUPT,
    "the bad blocks inode looks invalid", "clear it", true },
  /* e2fsck reports these before it marks the filesystem valid "'til
   * proven otherwise", so -n exits 0 for them alone; what a broken
   * resize inode does to i_blocks and block ownership is CORRUPT under
   * its own codes.  PREEN.
   */
  { PR_INODE_RESIZE_INVALID, "INODE_RESIZE_INVALID", SEV_PREEN,
    "the resize inode is not valid (%n)", "recreate the resize inode",
    true },
  { PR_INODE_RESIZE_NOT_CLEAR, "INODE_RESIZE_NOT_CLEAR", SEV_PREEN,
    "resize_inode is not enabled but the resize inode holds blocks",
    "clear the resize inode", true },
  /* e2fsck fixes these pre-1970 times but -n lets them pass (PR_NO_OK):
   * PREEN.
   */
  { PR_INODE_TIME_EPOCH, "INODE_TIME_EPOCH", SEV_PREEN,
    "inode %i has timestamps beyond 2310 that are likely pre-1970",
    "clear the epoch bits", true },
  { PR_INODE_LARGE_FILE, "INODE_LARGE_FILE", SEV_CORRUPT,
    "regular file %i is %f bytes but the filesystem lacks large_file",
    "set the large_file feature", true },
  { PR_INODE_ENCRYPT, "INODE_ENCRYPT", SEV_CORRUPT,
    "inode %i has the encrypt flag on a filesystem without encryption",
    "clear the flag", true },
  /* -- extents entries: extents.c appends here -- */
  { PR_EXTENT_HEADER, "EXTENT_HEADER", SEV_CORRUPT,
    "inode %i has an invalid extent node header at block %b (0 for the "
    "root)", "clear the inode", false },
  { PR_EXTENT_CSUM, "EXTENT_CSUM", SEV_CORRUPT,
    "inode %i extent block %b checksum does not match",
    "recompute the checksum", true },
  { PR_EXTENT_BAD_START, "EXTENT_BAD_START", SEV_CORRUPT,
    "inode %i has an extent or index in node %b (entry %e) pointing outside "
    "the filesystem", "remove the extent", false },
  { PR_EXTENT_ENDS_BEYOND, "EXTENT_ENDS_BEYOND", SEV_CORRUPT,
    "inode %i has an extent in node %b (entry %e) running past the end of "
    "the filesystem", "remove the extent", false },
  { PR_EXTENT_ZERO_LEN, "EXTENT_ZERO_LEN", SEV_CORRUPT,
    "inode %i has a zero-length extent in node %b (entry %e)",
    "remove the extent", false },
  { PR_EXTENT_ORDER, "EXTENT_ORDER", SEV_CORRUPT,
    "inode %i has out of order or overlapping extents in node %b (entry "
    "%e)", "remove the extent", false },
  { PR_EXTENT_INDEX_START, "EXTENT_INDEX_START", SEV_CORRUPT,
    "inode %i extent node %b does not start where its index says",
    "fix the index", true },
  { PR_EXTENT_END_BOUNDS, "EXTENT_END_BOUNDS", SEV_CORRUPT,
    "inode %i has an extent in node %b (entry %e) past its parent's range",
    "remove the extent", false },
  { PR_EXTENT_DEPTH, "EXTENT_DEPTH", SEV_CORRUPT,
    "inode %i extent tree is too deep or too large at node %b",
    "clear the inode", false },
  { PR_EXTENT_UNINIT_DIR, "EXTENT_UNINIT_DIR", SEV_CORRUPT,
    "directory %i has an unwritten extent at logical block %b",
    "mark the extent written", true },
  { PR_MAP_TOO_BIG, "MAP_TOO_BIG", SEV_CORRUPT,
    "inode %i maps logical block %b, too far for its file type",
    "remove the block", false },
  { PR_BLOCKMAP_BAD_BLOCK, "BLOCKMAP_BAD_BLOCK", SEV_CORRUPT,
    "inode %i block map entry %e of block %b (0: i_block) is outside the "
    "filesystem", "clear the entry", false },
  { PR_BLOCKMAP_LOOP, "BLOCKMAP_LOOP", SEV_CORRUPT,
    "inode %i block map loops or is too large at block %b",
    "clear the entry", false },
  { PR_MAP_DIR_HOLE, "MAP_DIR_HOLE", SEV_CORRUPT,
    "directory %i has a hole before logical block %b",
    "allocate an empty directory block there", true },
  /* -- directory entries: directory.c appends here -- */
  { PR_XATTR_REFCOUNT, "XATTR_REFCOUNT", SEV_XCORRUPT,
    "xattr block %b has reference count %f, %e inode(s) refer to it",
    "set the reference count", true },
  /* -- xattr entries: xattr.c appends here -- */
  { PR_XATTR_IBODY, "XATTR_IBODY", SEV_CORRUPT,
    "inode %i in-inode extended attributes are corrupt",
    "remove the in-inode attributes", false },
  { PR_XATTR_IBODY_HASH, "XATTR_IBODY_HASH", SEV_CORRUPT,
    "inode %i in-inode attribute hash is 0x%F, expected 0x%E",
    "remove the in-inode attributes", false },
  { PR_XATTR_BLOCK_RANGE, "XATTR_BLOCK_RANGE", SEV_CORRUPT,
    "inode %i xattr block %b is outside the filesystem",
    "clear i_file_acl", true },
  { PR_XATTR_BLOCK_NO_FEATURE, "XATTR_BLOCK_NO_FEATURE", SEV_CORRUPT,
    "inode %i has xattr block %b but the filesystem lacks ext_attr",
    "clear i_file_acl", true },
  { PR_XATTR_BLOCK_MAGIC, "XATTR_BLOCK_MAGIC", SEV_CORRUPT,
    "xattr block %b of inode %i has bad magic 0x%F", "clear i_file_acl",
    false },
  { PR_XATTR_BLOCK_HBLOCKS, "XATTR_BLOCK_HBLOCKS", SEV_CORRUPT,
    "xattr block %b of inode %i has h_blocks %f, not 1", "clear i_file_acl",
    false },
  { PR_XATTR_BLOCK_CSUM, "XATTR_BLOCK_CSUM", SEV_CORRUPT,
    "xattr block %b of inode %i checksum is 0x%F, expected 0x%E",
    "recompute the checksum", true },
  { PR_XATTR_BLOCK_ENTRY, "XATTR_BLOCK_ENTRY", SEV_CORRUPT,
    "xattr block %b of inode %i has corrupt entries", "clear i_file_acl",
    false },
  { PR_XATTR_BLOCK_NAME, "XATTR_BLOCK_NAME", SEV_CORRUPT,
    "xattr block %b of inode %i has an entry with name index 0",
    "clear i_file_acl", false },
  { PR_XATTR_BLOCK_HASH, "XATTR_BLOCK_HASH", SEV_CORRUPT,
    "xattr block %b of inode %i has entry hash 0x%F, expected 0x%E",
    "clear i_file_acl", false },
  /* -- symlink entries: symlink.c appends here -- */
  { PR_SYMLINK_SIZE, "SYMLINK_SIZE", SEV_CORRUPT,
    "symlink %i has size %f, its target is %e bytes", "clear the inode",
    false },
  { PR_SYMLINK_FLAGS, "SYMLINK_FLAGS", SEV_CORRUPT,
    "symlink %i has flags 0x%F it cannot have", "clear the inode", false },
  { PR_SYMLINK_MAP, "SYMLINK_MAP", SEV_CORRUPT,
    "slow symlink %i does not map exactly one block at logical 0",
    "clear the inode", false },
  { PR_SYMLINK_TARGET, "SYMLINK_TARGET", SEV_CORRUPT,
    "symlink %i target is not NUL-terminated within %e bytes",
    "clear the inode", false },
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
