/* nbdscrub fsformat: the ext2/3/4 inode.
 *
 * An inode is s_inode_size bytes (128 with rev 0, a power of two up to
 * the block size otherwise) in its group's inode table.  The first 128
 * bytes are the base inode; after them come i_extra_isize bytes of
 * extra fields (ext4), and the rest up to s_inode_size holds in-inode
 * extended attributes.  All fields little-endian; offsets in the margin,
 * as in e2fsprogs' ext2_fs.h (struct ext2_inode_large, Linux osd2).
 *
 *   000 i_mode (16)               002 i_uid (16, low half)
 *   004 i_size_lo                 008 i_atime
 *   00c i_ctime                   010 i_mtime
 *   014 i_dtime                   018 i_gid (16, low half)
 *   01a i_links_count (16)        01c i_blocks_lo
 *   020 i_flags                   024 l_i_version (osd1)
 *   028 i_block[15]               60 bytes: extent root, block map or
 *                                 the target of a fast symlink
 *   064 i_generation              068 i_file_acl_lo
 *   06c i_size_high               070 i_faddr (obsolete)
 *   074 l_i_blocks_hi (16)        076 l_i_file_acl_high (16)
 *   078 l_i_uid_high (16)         07a l_i_gid_high (16)
 *   07c l_i_checksum_lo (16)      07e l_i_reserved (16)
 *   --- end of the base inode (128 bytes) ---
 *   080 i_extra_isize (16)        bytes of extra fields after 0x80
 *   082 i_checksum_hi (16)        084 i_ctime_extra
 *   088 i_mtime_extra             08c i_atime_extra
 *   090 i_crtime                  094 i_crtime_extra
 *   098 i_version_hi              09c i_projid
 *   0a0 end of the extra fields known here
 *
 * An extra field exists only when 0x80 + i_extra_isize reaches its end.
 * A time's _extra word holds the epoch in its low 2 bits (seconds bits
 * 32 and 33, added to the sign-extended 32-bit seconds) and nanoseconds
 * in the upper 30.
 *
 * The checksum (metadata_csum) is crc32c (csum_seed, le32 inode number),
 * continued over le32 i_generation, then over all s_inode_size bytes with
 * l_i_checksum_lo and, when present, i_checksum_hi read as zero.  The low
 * 16 bits are stored at 0x7c; the high 16 bits at 0x82 when i_extra_isize
 * >= 4 (else only the low half is compared).
 */
#ifndef NBDSCRUB_FSF_INODE_H
#define NBDSCRUB_FSF_INODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "super.h"

#define FSF_INODE_BASE_SIZE 128
#define FSF_INODE_EXTRA_END 0xa0      /* end of the extra fields we know */
#define FSF_INODE_CSUM_LO_OFFSET 0x7c
#define FSF_INODE_CSUM_HI_OFFSET 0x82
#define FSF_INODE_CSUM_HI_EXTRA_END 4 /* i_extra_isize that holds csum hi */
#define FSF_N_BLOCKS 15               /* i_block[] entries */
#define FSF_I_BLOCK_SIZE 60           /* bytes of i_block[] */
#define FSF_NDIR_BLOCKS 12            /* direct entries of a block map */

/* Reserved inode numbers. */
#define FSF_BAD_INO 1
#define FSF_ROOT_INO 2
#define FSF_RESIZE_INO 7
#define FSF_JOURNAL_INO 8

/* i_mode: the file type in the top four bits. */
#define FSF_S_IFMT 0xf000
#define FSF_S_IFSOCK 0xc000
#define FSF_S_IFLNK 0xa000
#define FSF_S_IFREG 0x8000
#define FSF_S_IFBLK 0x6000
#define FSF_S_IFDIR 0x4000
#define FSF_S_IFCHR 0x2000
#define FSF_S_IFIFO 0x1000

/* i_flags (those this layer reads; the rest are kept in flags). */
#define FSF_SECRM_FL 0x00000001
#define FSF_SYNC_FL 0x00000008
#define FSF_IMMUTABLE_FL 0x00000010
#define FSF_APPEND_FL 0x00000020
#define FSF_NOATIME_FL 0x00000080
#define FSF_INDEX_FL 0x00001000       /* hashed (htree) directory */
#define FSF_JOURNAL_DATA_FL 0x00004000
#define FSF_DIRSYNC_FL 0x00010000
#define FSF_TOPDIR_FL 0x00020000
#define FSF_HUGE_FILE_FL 0x00040000   /* i_blocks counts fs blocks */
#define FSF_EXTENTS_FL 0x00080000     /* i_block holds an extent tree */
#define FSF_VERITY_FL 0x00100000
#define FSF_EA_INODE_FL 0x00200000
#define FSF_INLINE_DATA_FL 0x10000000
#define FSF_PROJINHERIT_FL 0x20000000
#define FSF_CASEFOLD_FL 0x40000000

/* The file type of i_mode.  The values are also the on-disk file_type
 * codes of directory entries (ext2's EXT2_FT_*), so dir.h uses them too.
 */
enum fsf_ftype {
  FSF_FT_UNKNOWN = 0,  /* a type bit pattern no file has */
  FSF_FT_REG = 1,
  FSF_FT_DIR = 2,
  FSF_FT_CHR = 3,
  FSF_FT_BLK = 4,
  FSF_FT_FIFO = 5,
  FSF_FT_SOCK = 6,
  FSF_FT_SYMLINK = 7,
  FSF_FT_MAX = 8,      /* directory entries: codes from here on are bad */
};

/* A timestamp: seconds since the epoch with the epoch bits of _extra
 * applied, and nanoseconds (0 when there is no _extra field).
 */
struct fsf_itime {
  int64_t sec;
  uint32_t nsec;
};

struct fsf_inode {
  uint16_t mode;
  uint32_t uid;               /* i_uid | l_i_uid_high << 16 */
  uint32_t gid;               /* i_gid | l_i_gid_high << 16 */
  uint64_t size;              /* i_size_lo | i_size_high << 32 */
  struct fsf_itime atime, ctime, mtime, crtime;
  uint32_t dtime;
  uint16_t links_count;
  uint64_t blocks;            /* i_blocks_lo | l_i_blocks_hi << 32, raw:
                               * the unit depends on huge_file, see
                               * fsf_inode_blocks_bytes */
  uint32_t flags;
  uint64_t version;           /* l_i_version | i_version_hi << 32 */
  uint8_t i_block[FSF_I_BLOCK_SIZE]; /* raw bytes, little-endian */
  uint32_t generation;
  uint64_t file_acl;          /* i_file_acl_lo | l_i_file_acl_high << 32 */
  uint32_t faddr;
  uint16_t blocks_hi;         /* l_i_blocks_hi as stored */
  uint32_t checksum;          /* lo, | hi << 16 when has_csum_hi */
  uint16_t extra_isize;       /* as stored (0 for a 128-byte inode) */
  uint32_t projid;

  /* Which extra fields the inode has (i_extra_isize reaches them). */
  bool has_csum_hi;
  bool has_ctime_extra, has_mtime_extra, has_atime_extra;
  bool has_crtime, has_crtime_extra;
  bool has_version_hi;
  bool has_projid;
};

/* Decode one inode from buf, which must hold sb->inode_size bytes (more
 * are ignored).  Returns 0, FSF_BAD_TRUNCATED (len < inode_size), or
 * FSF_BAD_FIELD when i_extra_isize does not fit inode_size or is not a
 * multiple of 4: the base inode is decoded then, and no extra field.
 * The checksum is not checked here: see fsf_inode_csum_verify.
 */
extern int fsf_inode_decode (const uint8_t *buf, size_t len,
                             const struct fsf_sb *sb, struct fsf_inode *out);

/* metadata_csum: the inode checksum, as ext2fs_inode_csum.  buf holds
 * sb->inode_size bytes of inode number ino.  fsf_inode_csum returns the
 * full 32 bits; verify compares the low half only when the inode has no
 * room for i_checksum_hi.  As e2fsck does, verify also accepts an inode
 * whose 128 base bytes are all zero (never used, checksum never set).
 */
extern uint32_t fsf_inode_csum (const struct fsf_sb *sb, uint32_t ino,
                                const uint8_t *buf);
extern bool fsf_inode_csum_verify (const struct fsf_sb *sb, uint32_t ino,
                                   const uint8_t *buf);
extern void fsf_inode_csum_set (const struct fsf_sb *sb, uint32_t ino,
                                uint8_t *buf);

/* The file type of a mode. */
extern enum fsf_ftype fsf_inode_ftype (uint16_t mode);
/* Its name ("regular", "directory", "symlink", ...). */
extern const char *fsf_ftype_name (enum fsf_ftype t);

/* i_blocks in bytes: 512-byte sectors, or with huge_file and
 * FSF_HUGE_FILE_FL fs blocks; blocks_hi counts only with huge_file.
 * Saturates at UINT64_MAX.
 */
extern uint64_t fsf_inode_blocks_bytes (const struct fsf_sb *sb,
                                        const struct fsf_inode *ino);

/* i_blocks in 512-byte units less the extended-attribute block (one
 * cluster when file_acl is set), as ext2fs_inode_data_blocks2.  Returns
 * 0 rather than wrapping below it.
 */
extern uint64_t fsf_inode_data_sectors (const struct fsf_sb *sb,
                                        const struct fsf_inode *ino);

/* A symlink whose target lives in i_block: size below 60 and no data
 * blocks.  Inline-data symlinks are not fast symlinks.
 */
extern bool fsf_inode_is_fast_symlink (const struct fsf_sb *sb,
                                       const struct fsf_inode *ino);

/* The 32-bit entry i of i_block (0 <= i < 15). */
extern uint32_t fsf_inode_i_block (const struct fsf_inode *ino, unsigned i);

#endif /* NBDSCRUB_FSF_INODE_H */
