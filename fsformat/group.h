/* nbdscrub fsformat: ext2/3/4 block group descriptors, where they live,
 * and the checksums they carry.
 *
 * A descriptor is desc_size bytes (32 without 64bit, s_desc_size with
 * it), little-endian.  The first 32 bytes are struct ext2_group_desc; a
 * 64bit filesystem appends the high halves.  Offsets in the margin, as in
 * e2fsprogs' ext2_fs.h (struct ext4_group_desc).
 *
 *   000 bg_block_bitmap_lo          block number of the block bitmap
 *   004 bg_inode_bitmap_lo          block number of the inode bitmap
 *   008 bg_inode_table_lo           first block of the inode table
 *   00c bg_free_blocks_count_lo (16)
 *   00e bg_free_inodes_count_lo (16)
 *   010 bg_used_dirs_count_lo (16)
 *   012 bg_flags (16)               FSF_BG_INODE_UNINIT etc.
 *   014 bg_exclude_bitmap_lo        snapshots (never in mainline)
 *   018 bg_block_bitmap_csum_lo (16) crc32c(seed, bitmap) & 0xffff
 *   01a bg_inode_bitmap_csum_lo (16)
 *   01c bg_itable_unused_lo (16)    never-used inodes at the table's end
 *   01e bg_checksum (16)            see fsf_gd_csum
 *   --- 32 bytes: the end without 64bit ---
 *   020 bg_block_bitmap_hi          high 32 bits of the block numbers
 *   024 bg_inode_bitmap_hi
 *   028 bg_inode_table_hi
 *   02c bg_free_blocks_count_hi (16) high 16 bits of the counts
 *   02e bg_free_inodes_count_hi (16)
 *   030 bg_used_dirs_count_hi (16)
 *   032 bg_itable_unused_hi (16)
 *   034 bg_exclude_bitmap_hi
 *   038 bg_block_bitmap_csum_hi (16) crc32c(seed, bitmap) >> 16
 *   03a bg_inode_bitmap_csum_hi (16)
 *   03c bg_reserved
 *   --- 64 bytes: EXT2_MIN_DESC_SIZE_64BIT; larger s_desc_size pads ---
 *
 * Where the table lives.  Without meta_bg the descriptors run contiguously
 * from the block after the superblock (first_data_block + 1), descs_per_
 * block to a block, and every group holding a superblock backup holds a
 * copy of the whole table after it, followed by s_reserved_gdt_blocks.
 * With meta_bg the groups are cut into meta groups of descs_per_block
 * groups; meta groups numbered below s_first_meta_bg keep the old layout,
 * the others keep their one descriptor block in the first, second and
 * last group of the meta group (after the superblock backup, if that
 * group has one).
 */
#ifndef NBDSCRUB_FSF_GROUP_H
#define NBDSCRUB_FSF_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "super.h"

#define FSF_GD_CSUM_OFFSET 0x1e
#define FSF_GD_BLOCK_BITMAP_CSUM_LO 0x18
#define FSF_GD_INODE_BITMAP_CSUM_LO 0x1a
#define FSF_GD_BLOCK_BITMAP_CSUM_HI 0x38
#define FSF_GD_INODE_BITMAP_CSUM_HI 0x3a
/* The bitmap checksums have their high half only when desc_size reaches
 * the end of it (e2fsprogs' EXT4_BG_*_BITMAP_CSUM_HI_END/LOCATION).
 */
#define FSF_GD_BLOCK_BITMAP_CSUM_HI_END 0x3a
#define FSF_GD_INODE_BITMAP_CSUM_HI_END 0x3c

/* bg_flags */
#define FSF_BG_INODE_UNINIT 0x0001   /* inode table and bitmap unused */
#define FSF_BG_BLOCK_UNINIT 0x0002   /* block bitmap not written */
#define FSF_BG_ITABLE_ZEROED 0x0004  /* inode table zeroed */

struct fsf_gd {
  /* Block numbers: lo | hi << 32 (hi only when desc_size >= 64). */
  uint64_t block_bitmap;
  uint64_t inode_bitmap;
  uint64_t inode_table;
  uint64_t exclude_bitmap;
  /* Counts: lo | hi << 16 (hi only when desc_size >= 64). */
  uint32_t free_blocks_count;
  uint32_t free_inodes_count;
  uint32_t used_dirs_count;
  uint32_t itable_unused;
  uint16_t flags;
  /* Bitmap checksums: lo | hi << 16, the hi half only when desc_size
   * reaches it (FSF_GD_*_BITMAP_CSUM_HI_END).
   */
  uint32_t block_bitmap_csum;
  uint32_t inode_bitmap_csum;
  uint16_t checksum;           /* bg_checksum as stored */
};

/* Decode the sb->desc_size bytes of one descriptor.  Returns 0,
 * FSF_BAD_TRUNCATED when len < desc_size, or FSF_BAD_FIELD when sb has
 * no sane desc_size (not decoded).  Bytes past desc_size are ignored.
 * Block numbers are not range-checked here: that is the checker's.
 */
extern int fsf_gd_decode (const uint8_t *buf, size_t len,
                          const struct fsf_sb *sb, struct fsf_gd *out);

/* The descriptor checksum of group, as ext2fs_group_desc_csum: with
 * metadata_csum the low 16 bits of crc32c(csum_seed, le32 group, the
 * desc_size bytes with bg_checksum as zero); with gdt_csum (uninit_bg)
 * crc16(~0, uuid, le32 group, bytes 0..0x1e, bytes 0x20..desc_size);
 * with neither, 0.  desc holds sb->desc_size bytes.
 */
extern uint16_t fsf_gd_csum (const uint8_t *desc, const struct fsf_sb *sb,
                             uint32_t group);
/* True when the stored bg_checksum matches, or no checksum feature is on. */
extern bool fsf_gd_csum_verify (const uint8_t *desc, const struct fsf_sb *sb,
                                uint32_t group);
/* Store the checksum (nothing when no checksum feature is on). */
extern void fsf_gd_csum_set (uint8_t *desc, const struct fsf_sb *sb,
                             uint32_t group);

/* The primary copy of group's descriptor: its block and the byte offset
 * in that block.  Returns 0, or FSF_BAD_RANGE when group >= groups_count
 * or the block falls past the end of the filesystem.
 */
extern int fsf_gd_location (const struct fsf_sb *sb, uint32_t group,
                            uint64_t *block, uint32_t *offset);

/* The copy of group's descriptor kept in group backup_group.  Without
 * meta_bg (or for meta groups below s_first_meta_bg) any group with a
 * superblock backup holds one, after its superblock; with meta_bg the
 * first, second and last groups of group's meta group do.  Group 0 gives
 * the primary copy.  Returns 0, or FSF_BAD_RANGE when either group is
 * past the end or backup_group holds no copy of group's descriptor.
 */
extern int fsf_gd_backup_location (const struct fsf_sb *sb,
                                   uint32_t backup_group, uint32_t group,
                                   uint64_t *block, uint32_t *offset);

/* Blocks of descriptor table: ceil (groups_count / descs_per_block). */
extern uint32_t fsf_gd_table_blocks (const struct fsf_sb *sb);

/* How many blocks at the start of group hold the superblock backup, the
 * descriptor table (or its meta_bg block) and the reserved GDT blocks, as
 * the used-block count of ext2fs_super_and_bgd_loc2.  0 for group past
 * the end.
 */
extern uint64_t fsf_group_meta_blocks (const struct fsf_sb *sb,
                                       uint32_t group);

/* metadata_csum: the bitmap checksums, crc32c(csum_seed, bitmap) over
 * clusters_per_group / 8 bytes (block bitmap) or inodes_per_group / 8
 * bytes (inode bitmap); both sizes are at most a block, so bitmap holds
 * one block.  verify compares with gd (only the low 16 bits when
 * desc_size has no high half) and is true without metadata_csum.  set
 * stores the checksum into the raw descriptor bytes desc (lo, and hi when
 * there is room); the descriptor checksum must be set again after it.
 */
extern uint32_t fsf_block_bitmap_csum (const uint8_t *bitmap,
                                       const struct fsf_sb *sb);
extern bool fsf_block_bitmap_csum_verify (const uint8_t *bitmap,
                                          const struct fsf_sb *sb,
                                          const struct fsf_gd *gd);
extern void fsf_block_bitmap_csum_set (const uint8_t *bitmap,
                                       const struct fsf_sb *sb,
                                       uint8_t *desc);
extern uint32_t fsf_inode_bitmap_csum (const uint8_t *bitmap,
                                       const struct fsf_sb *sb);
extern bool fsf_inode_bitmap_csum_verify (const uint8_t *bitmap,
                                          const struct fsf_sb *sb,
                                          const struct fsf_gd *gd);
extern void fsf_inode_bitmap_csum_set (const uint8_t *bitmap,
                                       const struct fsf_sb *sb,
                                       uint8_t *desc);

/* The group holding block (FSF_BAD_RANGE when block < first_data_block
 * or >= blocks_count).
 */
extern int fsf_group_of_block (const struct fsf_sb *sb, uint64_t block,
                               uint32_t *group);
/* The group holding inode ino (FSF_BAD_RANGE when ino is 0, past
 * inodes_count or past the last group).
 */
extern int fsf_group_of_inode (const struct fsf_sb *sb, uint32_t ino,
                               uint32_t *group);
/* Where inode ino lies in the inode table of its group, whose descriptor
 * is gd: the block and the byte offset in it.  FSF_BAD_RANGE when ino is
 * out of range or the table block falls outside the filesystem.
 */
extern int fsf_inode_location (const struct fsf_sb *sb,
                               const struct fsf_gd *gd, uint32_t ino,
                               uint64_t *block, uint32_t *offset);

#endif /* NBDSCRUB_FSF_GROUP_H */
