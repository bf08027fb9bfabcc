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
  /* The kernel sums the group counts at mount and never reads these;
   * e2fsck -n lets them pass (pass 5's count problems are PR_NO_OK).
   */
  { PR_SB_FREE_BLOCKS_RANGE, "SB_FREE_BLOCKS_RANGE", SEV_PREEN,
    "free block count %f exceeds the block count %e",
    "recompute from the block bitmaps", true },
  { PR_SB_FREE_INODES_RANGE, "SB_FREE_INODES_RANGE", SEV_PREEN,
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
  /* The kernel falls back to the default with a message; e2fsck -n
   * reports it before pass 1 and exits 0.
   */
  { PR_SB_EXTRA_ISIZE, "SB_EXTRA_ISIZE", SEV_WARNING,
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
  /* Deliberately CORRUPT where e2fsck -n exits 0 (it reports it before
   * pass 1, then marks the filesystem valid again): the kernel refuses to
   * mount read-write a filesystem with a bad descriptor checksum.
   */
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
  /* e2fsck -n reports these two before pass 1 and exits 0 (unix.c
   * marks the filesystem valid again after check_super_block); an inode
   * really lost to a bad itable_unused shows in the inode phase, and the
   * kernel ignores uninit flags without group checksums.
   */
  { PR_GD_ITABLE_UNUSED_RANGE, "GD_ITABLE_UNUSED_RANGE", SEV_WARNING,
    "group %g unused inode count %f exceeds the free inode count %e",
    "recompute from the inode bitmap", true },
  { PR_GD_FLAGS_WITHOUT_CSUM, "GD_FLAGS_WITHOUT_CSUM", SEV_WARNING,
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
    "inode %i has an invalid file type (mode 0x%F)", "clear the inode",
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
    "the root inode is not a directory (mode 0x%F)",
    "clear it and recreate the root", false },
  { PR_INODE_RESERVED_MODE, "INODE_RESERVED_MODE", SEV_CORRUPT,
    "reserved inode %i has an invalid mode 0x%F", "clear the mode", true },
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
  { PR_MAP_TOO_MANY, "MAP_TOO_MANY", SEV_CORRUPT,
    "inode %i: more than %e findings in its map; the rest is not walked",
    "clear the inode", false },
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
  /* Directories that name each other as parent, their '..' agreeing,
   * and none reachable from the root: e2fsck pass 3 stops at a
   * directory it has seen and calls them connected, and e2fsck -n exits
   * 0.  Not CORRUPT, then, but said.
   */
  { PR_LINKS_DIR_LOOP, "LINKS_DIR_LOOP", SEV_WARNING,
    "directory inode %i is in a cycle of parents not reachable from the "
    "root", "reconnect it to lost+found", false },
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
