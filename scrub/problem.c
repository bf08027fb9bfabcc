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
  /* e2fsck -fn never reads s_last_orphan, and its recovery drops a
   * head out of range ("illegal orphan inode in superblock") and goes
   * on: e2fsck -fn exits 0 either way.  Suspicious, not corrupt.
   */
  { PR_SB_LAST_ORPHAN, "SB_LAST_ORPHAN", SEV_WARNING,
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
  /* The journal (e2fsck_check_ext3_journal).  e2fsck -fn stops with
   * "cannot proceed" (exit 12) on the CORRUPT ones below; what it asks
   * and is told no there is forgotten once the check proper starts
   * (ext2fs_mark_valid), so those are WARNING.
   */
  { PR_JNL_INODE_INVALID, "JNL_INODE_INVALID", SEV_CORRUPT,
    "journal inode %i is not a valid journal: %n", NULL, false },
  /* e2fsck falls back to the superblock's copy of the block map and
   * goes on; the inode's own faults are the inode scrubber's.
   */
  { PR_JNL_INODE_BACKUP, "JNL_INODE_BACKUP", SEV_WARNING,
    "journal inode %i is not a valid journal (%n); the superblock's "
    "backup of its block map is used", NULL, false },
  { PR_JNL_INODE_MODE, "JNL_INODE_MODE", SEV_CORRUPT,
    "journal inode %i is not a regular file (mode 0x%F)", NULL, false },
  { PR_JNL_SB_MAGIC, "JNL_SB_MAGIC", SEV_CORRUPT,
    "journal superblock at block %b has no jbd2 magic number", NULL,
    false },
  { PR_JNL_SB_TYPE, "JNL_SB_TYPE", SEV_CORRUPT,
    "journal superblock at block %b has block type %f, not a superblock",
    NULL, false },
  { PR_JNL_SB_FEATURES, "JNL_SB_FEATURES", SEV_CORRUPT,
    "journal superblock features are unknown or conflict: %n", NULL,
    false },
  { PR_JNL_SB_CSUM, "JNL_SB_CSUM", SEV_CORRUPT,
    "journal superblock checksum is 0x%F, expected 0x%E", NULL, false },
  { PR_JNL_SB_BLOCKSIZE, "JNL_SB_BLOCKSIZE", SEV_CORRUPT,
    "journal block size is %f, the filesystem's is %e", NULL, false },
  { PR_JNL_SB_MAXLEN, "JNL_SB_MAXLEN", SEV_CORRUPT,
    "journal length %f blocks is more than the journal inode's %e", NULL,
    false },
  { PR_JNL_SB_USERS, "JNL_SB_USERS", SEV_CORRUPT,
    "journal superblock lists %f filesystems as users", NULL, false },
  { PR_JNL_FC_BLOCKS, "JNL_FC_BLOCKS", SEV_CORRUPT,
    "journal of %e blocks keeps fewer than 1024 beside %f fast-commit "
    "blocks", NULL, false },
  /* e2fsck asks to clear the journal fields and, told no, goes on. */
  { PR_JNL_FEATURE_OFF, "JNL_FEATURE_OFF", SEV_WARNING,
    "has_journal is clear but inode %i holds a journal", NULL, false },
  { PR_JNL_RECOVER_NO_JOURNAL, "JNL_RECOVER_NO_JOURNAL", SEV_CORRUPT,
    "needs_recovery is set but there is no journal", NULL, false },
  { PR_JNL_UUID_INTERNAL, "JNL_UUID_INTERNAL", SEV_CORRUPT,
    "journal UUID is set beside internal journal inode %i: the journal "
    "is looked for on another device", NULL, false },
  { PR_JNL_INODE8_NOT_CLEAR, "JNL_INODE8_NOT_CLEAR", SEV_CORRUPT,
    "inode 8 holds data but is not the journal (s_journal_inum is %f)",
    NULL,
    false },
  /* e2fsck -n leaves the backup alone (it is rewritten, silently, only
   * when e2fsck may write), so this never changes its verdict.
   */
  { PR_JNL_BACKUP_DIFFERS, "JNL_BACKUP_DIFFERS", SEV_PREEN,
    "the superblock's backup of journal inode %i's block map is missing "
    "or stale", "copy the journal inode's block map into the superblock",
    true },
  /* e2fsck -n skips replay and says so; the kernel would replay it. */
  { PR_JNL_DATA_NO_RECOVERY, "JNL_DATA_NO_RECOVERY", SEV_WARNING,
    "journal holds transactions from block %b but needs_recovery is clear: "
    "they are not replayed here", NULL, false },
  /* The journal recorded an abort; e2fsck marks the filesystem as having
   * errors, which decides nothing by itself.
   */
  { PR_JNL_ERRNO, "JNL_ERRNO", SEV_WARNING,
    "the journal recorded error -%f (it was aborted)", NULL, false },
  /* Recovery replays what came before and reports the rest. */
  { PR_JNL_TXN_CORRUPT, "JNL_TXN_CORRUPT", SEV_WARNING,
    "journal transaction %f failed its commit checksum; replay stopped "
    "before it", NULL, false },
  { PR_JNL_REPLAY_SKIPPED, "JNL_REPLAY_SKIPPED", SEV_WARNING,
    "journal replay skipped %f logged block(s): bad data checksum or a "
    "block past the filesystem", NULL, false },
  /* e2fsck does not look at s_first and s_start; the kernel's journal
   * load refuses them, so mount would fail.
   */
  { PR_JNL_SB_LAYOUT, "JNL_SB_LAYOUT", SEV_WARNING,
    "journal log bounds are impossible (first block %f, start %b, "
    "length %e): the kernel will not load the journal", NULL, false },
  /* -- journal entries: journal.c appends here -- */
  /* The orphan list and the orphan file.  While the journal needs
   * recovery they are what the kernel left for mount to release, and
   * e2fsck's recovery releases them: only what would make that go wrong
   * is CORRUPT.  Without pending recovery, e2fsck -fn never follows them
   * and judges each inode as pass 1 does.
   */
  { PR_ORPHAN_LINK_RANGE, "ORPHAN_LINK_RANGE", SEV_CORRUPT,
    "orphan inode %i links to inode %f, which is not a valid orphan",
    "clear the orphan list", false },
  /* Releasing an inode changes its link, so recovery leaves a loop. */
  { PR_ORPHAN_LIST_LOOP, "ORPHAN_LIST_LOOP", SEV_WARNING,
    "the orphan list loops back to inode %i", NULL, false },
  { PR_ORPHAN_NOT_IN_USE, "ORPHAN_NOT_IN_USE", SEV_CORRUPT,
    "orphan inode %i is not in use: releasing it again would corrupt the "
    "free inode counts", "drop it from the orphan list", false },
  { PR_ORPHAN_UNRECOVERED, "ORPHAN_UNRECOVERED", SEV_CORRUPT,
    "inode %i is on the orphan list but no recovery is pending: %n",
    "release the orphan inodes", false },
  { PR_ORPHAN_FILE_MAGIC, "ORPHAN_FILE_MAGIC", SEV_CORRUPT,
    "orphan file block %b has no orphan-block magic number",
    "recreate the orphan file", false },
  { PR_ORPHAN_FILE_CSUM, "ORPHAN_FILE_CSUM", SEV_CORRUPT,
    "orphan file block %b fails its checksum", "recreate the orphan file",
    false },
  { PR_ORPHAN_FILE_INODE, "ORPHAN_FILE_INODE", SEV_CORRUPT,
    "orphan file inode %i is not a regular extent-mapped file of whole "
    "blocks", "recreate the orphan file", false },
  { PR_ORPHAN_FILE_ENTRY_RANGE, "ORPHAN_FILE_ENTRY_RANGE", SEV_CORRUPT,
    "orphan file block %b names inode %f, which is not a valid orphan",
    "clear the entry", false },
  { PR_ORPHAN_FILE_UNRECOVERED, "ORPHAN_FILE_UNRECOVERED", SEV_CORRUPT,
    "orphan file block %b names inode %f but no recovery is pending",
    "release the orphan inodes", false },
  { PR_ORPHAN_PRESENT_NO_FILE, "ORPHAN_PRESENT_NO_FILE", SEV_CORRUPT,
    "orphan_present is set without orphan_file", "clear orphan_present",
    true },
  /* e2fsck 1.47.0 (Debian 12) asks to clear the flag and counts the
   * refusal; later versions let it pass (PR_NO_OK).  The kernel clears
   * it at a clean unmount, and recovery with the orphans.
   */
  { PR_ORPHAN_PRESENT_CLEAN, "ORPHAN_PRESENT_CLEAN", SEV_CORRUPT,
    "orphan_present is set but the orphan file is empty",
    "clear orphan_present", true },
  { PR_ORPHAN_FILE_NO_JOURNAL, "ORPHAN_FILE_NO_JOURNAL", SEV_CORRUPT,
    "the filesystem has an orphan file but no journal",
    "remove the orphan file", false },
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
