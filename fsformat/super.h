/* nbdscrub fsformat: the ext2/3/4 superblock.
 *
 * The superblock is 1024 bytes at byte 1024 of the filesystem (and at the
 * start of each backup group).  All fields little-endian.  Offsets in the
 * margin, as in e2fsprogs' ext2_fs.h.
 *
 *   000 s_inodes_count            004 s_blocks_count_lo
 *   008 s_r_blocks_count_lo       00c s_free_blocks_count_lo
 *   010 s_free_inodes_count       014 s_first_data_block
 *   018 s_log_block_size          01c s_log_cluster_size
 *   020 s_blocks_per_group        024 s_clusters_per_group
 *   028 s_inodes_per_group        02c s_mtime
 *   030 s_wtime                   034 s_mnt_count (16)
 *   036 s_max_mnt_count (16)      038 s_magic (16) = 0xef53
 *   03a s_state (16)              03c s_errors (16)
 *   03e s_minor_rev_level (16)    040 s_lastcheck
 *   044 s_checkinterval           048 s_creator_os
 *   04c s_rev_level               050 s_def_resuid (16)
 *   052 s_def_resgid (16)         054 s_first_ino
 *   058 s_inode_size (16)         05a s_block_group_nr (16)
 *   05c s_feature_compat          060 s_feature_incompat
 *   064 s_feature_ro_compat       068 s_uuid[16]
 *   078 s_volume_name[16]         088 s_last_mounted[64]
 *   0c8 s_algorithm_usage_bitmap  0cc s_prealloc_blocks (8)
 *   0cd s_prealloc_dir_blocks (8) 0ce s_reserved_gdt_blocks (16)
 *   0d0 s_journal_uuid[16]        0e0 s_journal_inum
 *   0e4 s_journal_dev             0e8 s_last_orphan
 *   0ec s_hash_seed[4]            0fc s_def_hash_version (8)
 *   0fd s_jnl_backup_type (8)     0fe s_desc_size (16)
 *   100 s_default_mount_opts      104 s_first_meta_bg
 *   108 s_mkfs_time               10c s_jnl_blocks[17]
 *   150 s_blocks_count_hi         154 s_r_blocks_count_hi
 *   158 s_free_blocks_hi          15c s_min_extra_isize (16)
 *   15e s_want_extra_isize (16)   160 s_flags
 *   164 s_raid_stride (16)        166 s_mmp_update_interval (16)
 *   168 s_mmp_block (64)          170 s_raid_stripe_width
 *   174 s_log_groups_per_flex (8) 175 s_checksum_type (8)
 *   176 s_encryption_level (8)    178 s_kbytes_written (64)
 *   180 s_snapshot_inum           184 s_snapshot_id
 *   188 s_snapshot_r_blocks_count (64)
 *   190 s_snapshot_list           194 s_error_count
 *   198 s_first_error_time        19c s_first_error_ino
 *   1a0 s_first_error_block (64)  1a8 s_first_error_func[32]
 *   1c8 s_first_error_line        1cc s_last_error_time
 *   1d0 s_last_error_ino          1d4 s_last_error_line
 *   1d8 s_last_error_block (64)   1e0 s_last_error_func[32]
 *   200 s_mount_opts[64]          240 s_usr_quota_inum
 *   244 s_grp_quota_inum          248 s_overhead_clusters
 *   24c s_backup_bgs[2]           254 s_encrypt_algos[4]
 *   258 s_encrypt_pw_salt[16]     268 s_lpf_ino
 *   26c s_prj_quota_inum          270 s_checksum_seed
 *   274 s_wtime_hi .. s_last_error_time_hi, s_first/last_error_errcode (8)
 *   27c s_encoding (16)           27e s_encoding_flags (16)
 *   280 s_orphan_file_inum        284 s_reserved[94]
 *   3fc s_checksum                crc32c(~0, sb[0..0x3fc))
 */
#ifndef NBDSCRUB_FSF_SUPER_H
#define NBDSCRUB_FSF_SUPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSF_SB_OFFSET 1024
#define FSF_SB_SIZE 1024
#define FSF_SB_MAGIC 0xef53
#define FSF_SB_CSUM_OFFSET 0x3fc

/* s_state */
#define FSF_STATE_VALID 0x0001
#define FSF_STATE_ERROR 0x0002
#define FSF_STATE_ORPHANS 0x0004

/* s_feature_compat */
#define FSF_COMPAT_DIR_PREALLOC 0x0001
#define FSF_COMPAT_IMAGIC_INODES 0x0002
#define FSF_COMPAT_HAS_JOURNAL 0x0004
#define FSF_COMPAT_EXT_ATTR 0x0008
#define FSF_COMPAT_RESIZE_INODE 0x0010
#define FSF_COMPAT_DIR_INDEX 0x0020
#define FSF_COMPAT_LAZY_BG 0x0040
#define FSF_COMPAT_EXCLUDE_INODE 0x0080
#define FSF_COMPAT_EXCLUDE_BITMAP 0x0100
#define FSF_COMPAT_SPARSE_SUPER2 0x0200
#define FSF_COMPAT_FAST_COMMIT 0x0400
#define FSF_COMPAT_STABLE_INODES 0x0800
#define FSF_COMPAT_ORPHAN_FILE 0x1000

/* s_feature_incompat */
#define FSF_INCOMPAT_COMPRESSION 0x0001
#define FSF_INCOMPAT_FILETYPE 0x0002
#define FSF_INCOMPAT_RECOVER 0x0004
#define FSF_INCOMPAT_JOURNAL_DEV 0x0008
#define FSF_INCOMPAT_META_BG 0x0010
#define FSF_INCOMPAT_EXTENTS 0x0040
#define FSF_INCOMPAT_64BIT 0x0080
#define FSF_INCOMPAT_MMP 0x0100
#define FSF_INCOMPAT_FLEX_BG 0x0200
#define FSF_INCOMPAT_EA_INODE 0x0400
#define FSF_INCOMPAT_DIRDATA 0x1000
#define FSF_INCOMPAT_CSUM_SEED 0x2000
#define FSF_INCOMPAT_LARGEDIR 0x4000
#define FSF_INCOMPAT_INLINE_DATA 0x8000
#define FSF_INCOMPAT_ENCRYPT 0x10000
#define FSF_INCOMPAT_CASEFOLD 0x20000

/* s_feature_ro_compat */
#define FSF_RO_COMPAT_SPARSE_SUPER 0x0001
#define FSF_RO_COMPAT_LARGE_FILE 0x0002
#define FSF_RO_COMPAT_BTREE_DIR 0x0004
#define FSF_RO_COMPAT_HUGE_FILE 0x0008
#define FSF_RO_COMPAT_GDT_CSUM 0x0010
#define FSF_RO_COMPAT_DIR_NLINK 0x0020
#define FSF_RO_COMPAT_EXTRA_ISIZE 0x0040
#define FSF_RO_COMPAT_HAS_SNAPSHOT 0x0080
#define FSF_RO_COMPAT_QUOTA 0x0100
#define FSF_RO_COMPAT_BIGALLOC 0x0200
#define FSF_RO_COMPAT_METADATA_CSUM 0x0400
#define FSF_RO_COMPAT_REPLICA 0x0800
#define FSF_RO_COMPAT_READONLY 0x1000
#define FSF_RO_COMPAT_PROJECT 0x2000
#define FSF_RO_COMPAT_SHARED_BLOCKS 0x4000
#define FSF_RO_COMPAT_VERITY 0x8000
#define FSF_RO_COMPAT_ORPHAN_PRESENT 0x10000

/* What this code reads.  Anything else in incompat or ro_compat is named
 * and refused (fsf_sb_unsupported); compat features never change how the
 * disk reads, except fast_commit, whose journal blocks we do not replay.
 */
#define FSF_INCOMPAT_SUPPORTED                                          \
  (FSF_INCOMPAT_FILETYPE | FSF_INCOMPAT_RECOVER | FSF_INCOMPAT_META_BG   \
   | FSF_INCOMPAT_EXTENTS | FSF_INCOMPAT_64BIT | FSF_INCOMPAT_FLEX_BG     \
   | FSF_INCOMPAT_CSUM_SEED)
#define FSF_RO_COMPAT_SUPPORTED                                          \
  (FSF_RO_COMPAT_SPARSE_SUPER | FSF_RO_COMPAT_LARGE_FILE                 \
   | FSF_RO_COMPAT_HUGE_FILE | FSF_RO_COMPAT_GDT_CSUM                    \
   | FSF_RO_COMPAT_DIR_NLINK | FSF_RO_COMPAT_EXTRA_ISIZE                 \
   | FSF_RO_COMPAT_METADATA_CSUM | FSF_RO_COMPAT_READONLY                \
   | FSF_RO_COMPAT_ORPHAN_PRESENT)
#define FSF_COMPAT_UNSUPPORTED FSF_COMPAT_FAST_COMMIT

#define FSF_GOOD_OLD_REV 0
#define FSF_DYNAMIC_REV 1
#define FSF_GOOD_OLD_INODE_SIZE 128
#define FSF_GOOD_OLD_FIRST_INO 11
#define FSF_MIN_BLOCK_LOG 10        /* 1 KiB */
#define FSF_MAX_BLOCK_LOG 16        /* 64 KiB */
#define FSF_MIN_DESC_SIZE 32
#define FSF_MIN_DESC_SIZE_64BIT 64
#define FSF_MAX_DESC_SIZE 1024
#define FSF_CRC32C_CHKSUM 1         /* s_checksum_type */

struct fsf_sb {
  /* Fields as on disk (hi and lo halves joined where ext4 splits them). */
  uint32_t inodes_count;
  uint64_t blocks_count;      /* lo | hi << 32 (hi only with 64bit) */
  uint64_t r_blocks_count;
  uint64_t free_blocks_count;
  uint32_t free_inodes_count;
  uint32_t first_data_block;
  uint32_t log_block_size;
  uint32_t log_cluster_size;
  uint32_t blocks_per_group;
  uint32_t clusters_per_group;
  uint32_t inodes_per_group;
  uint64_t mtime, wtime;      /* with their _hi bytes */
  uint16_t mnt_count;
  int16_t max_mnt_count;
  uint16_t magic;
  uint16_t state;
  uint16_t errors;
  uint16_t minor_rev_level;
  uint64_t lastcheck;
  uint32_t checkinterval;
  uint32_t creator_os;
  uint32_t rev_level;
  uint16_t def_resuid, def_resgid;
  uint32_t first_ino;         /* 11 for rev 0 */
  uint16_t inode_size;        /* 128 for rev 0 */
  uint16_t block_group_nr;
  uint32_t feature_compat, feature_incompat, feature_ro_compat;
  uint8_t uuid[16];
  char volume_name[17];       /* NUL-terminated copy */
  char last_mounted[65];
  uint32_t algorithm_usage_bitmap;
  uint8_t prealloc_blocks, prealloc_dir_blocks;
  uint16_t reserved_gdt_blocks;
  uint8_t journal_uuid[16];
  uint32_t journal_inum;
  uint32_t journal_dev;
  uint32_t last_orphan;
  uint32_t hash_seed[4];
  uint8_t def_hash_version;
  uint8_t jnl_backup_type;
  uint16_t desc_size_raw;     /* s_desc_size as stored */
  uint32_t default_mount_opts;
  uint32_t first_meta_bg;
  uint64_t mkfs_time;
  uint32_t jnl_blocks[17];
  uint16_t min_extra_isize, want_extra_isize;
  uint32_t flags;
  uint16_t raid_stride;
  uint16_t mmp_update_interval;
  uint64_t mmp_block;
  uint32_t raid_stripe_width;
  uint8_t log_groups_per_flex;
  uint8_t checksum_type;
  uint8_t encryption_level;
  uint64_t kbytes_written;
  uint32_t snapshot_inum, snapshot_id;
  uint64_t snapshot_r_blocks_count;
  uint32_t snapshot_list;
  uint32_t error_count;
  uint64_t first_error_time;
  uint32_t first_error_ino;
  uint64_t first_error_block;
  uint32_t first_error_line;
  uint64_t last_error_time;
  uint32_t last_error_ino, last_error_line;
  uint64_t last_error_block;
  uint32_t usr_quota_inum, grp_quota_inum;
  uint32_t overhead_clusters;
  uint32_t backup_bgs[2];
  uint32_t lpf_ino;
  uint32_t prj_quota_inum;
  uint32_t checksum_seed;
  uint16_t encoding, encoding_flags;
  uint32_t orphan_file_inum;
  uint32_t checksum;

  /* Derived geometry, valid once fsf_sb_decode returned 0. */
  uint32_t block_size;        /* 1024 << log_block_size */
  uint32_t groups_count;      /* block groups */
  uint32_t desc_size;         /* 32, or s_desc_size with 64bit */
  uint32_t descs_per_block;
  uint32_t inodes_per_block;
  uint32_t itable_blocks;     /* inode-table blocks per group */
  uint32_t csum_seed;         /* seed of every metadata_csum checksum */
};

/* Decode 1024 bytes of superblock.  Checks what the geometry rests on
 * (magic, block and inode sizes, per-group counts, group count, desc
 * size); returns 0, FSF_BAD_TRUNCATED, FSF_BAD_MAGIC or FSF_BAD_FIELD.
 * The checksum is not checked here: see fsf_sb_csum_verify.
 */
extern int fsf_sb_decode (const uint8_t *buf, size_t len, struct fsf_sb *sb);

/* metadata_csum: the superblock checksum. */
extern uint32_t fsf_sb_csum (const uint8_t *buf);
extern bool fsf_sb_csum_verify (const uint8_t *buf);
extern void fsf_sb_csum_set (uint8_t *buf);

static inline bool
fsf_has_compat (const struct fsf_sb *sb, uint32_t f)
{
  return (sb->feature_compat & f) != 0;
}

static inline bool
fsf_has_incompat (const struct fsf_sb *sb, uint32_t f)
{
  return (sb->feature_incompat & f) != 0;
}

static inline bool
fsf_has_ro_compat (const struct fsf_sb *sb, uint32_t f)
{
  return (sb->feature_ro_compat & f) != 0;
}

static inline bool
fsf_has_metadata_csum (const struct fsf_sb *sb)
{
  return fsf_has_ro_compat (sb, FSF_RO_COMPAT_METADATA_CSUM);
}

/* The feature list as dumpe2fs prints it: e2fsprogs names, compat then
 * incompat then ro_compat, bit by bit; unknown bits as FEATURE_C12,
 * FEATURE_I20, FEATURE_R30.  Returns the length it wanted (like snprintf).
 */
extern size_t fsf_sb_features (const struct fsf_sb *sb, char *buf,
                               size_t len);

/* Name of one feature bit (type 0 compat, 1 incompat, 2 ro_compat), or
 * NULL if unknown.
 */
extern const char *fsf_feature_name (int type, uint32_t bit);

/* The features present that this code cannot read, space-separated into
 * buf ("" when none).  Returns how many there are.
 */
extern int fsf_sb_unsupported (const struct fsf_sb *sb, char *buf,
                               size_t len);

/* Does group g hold a superblock backup (and group descriptor copy)?
 * sparse_super: groups 0, 1 and powers of 3, 5 and 7; sparse_super2: 0
 * and s_backup_bgs[]; neither: every group.
 */
extern bool fsf_sb_group_has_super (const struct fsf_sb *sb, uint32_t g);

/* First block of group g. */
extern uint64_t fsf_sb_group_first_block (const struct fsf_sb *sb,
                                          uint32_t g);
/* Blocks in group g (the last group may be short). */
extern uint32_t fsf_sb_group_blocks (const struct fsf_sb *sb, uint32_t g);

#endif /* NBDSCRUB_FSF_SUPER_H */
