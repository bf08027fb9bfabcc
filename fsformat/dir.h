/* nbdscrub fsformat: directory blocks, linear and htree.
 *
 * A directory is a file of blocks; each leaf block is a chain of
 * variable-length entries that exactly covers it.  All fields
 * little-endian.
 *
 * Directory entry (ext2_dir_entry_2):
 *   000 inode             0 for an unused entry
 *   004 rec_len (16)      bytes to the next entry; see fsf_dir_rec_len
 *   006 name_len (8)      with filetype; without it, name_len is 16 bits
 *   007 file_type (8)     with filetype (FSF_FT_*)
 *   008 name[name_len]    not NUL-terminated; rec_len >= 8 + name_len
 *                         rounded up to 4
 *
 * Leaf checksum tail (metadata_csum), the last 12 bytes of a leaf block,
 * dressed as an unused entry so that old code skips it:
 *   000 det_reserved_zero1 = 0
 *   004 det_rec_len (16) = 12
 *   006 det_reserved_name_len (8) = 0
 *   007 det_reserved_ft (8) = 0xde
 *   008 det_checksum      crc32c(csum_seed, le32 ino, le32 i_generation,
 *                         block[0 .. bs - 12))
 *
 * htree (dir_index).  Block 0 of an indexed directory is the dx_root:
 *   000 "." entry         inode, rec_len 12, name_len 1, ft 2, ".\0\0\0"
 *   00c ".." entry        inode, rec_len bs - 12, name_len 2, ft 2, "..\0\0"
 *   018 dx_root_info.reserved_zero = 0
 *   01c hash_version (8)  FSF_HASH_* (dirhash.h)
 *   01d info_length (8) = 8
 *   01e indirect_levels (8)  0 or 1 (2 with large_dir)
 *   01f unused_flags (8)
 *   020 dx_countlimit     limit (16), count (16); they overlay the hash
 *                         of entry 0, whose block (32) follows at 024
 *   028 dx_entry[1..count)   hash (32), block (32): logical blocks of the
 *                         directory, hashes non-decreasing (bit 0 masked)
 * An interior dx_node is a block-sized unused entry:
 *   000 inode = 0, rec_len = bs, name_len = 0, file_type = 0
 *   008 dx_countlimit, then dx_entry[1..count) as above
 * limit is how many entries fit: (bs - count_offset) / 8, less one (8
 * bytes) for the dx_tail with metadata_csum:
 *   count_offset + 8 * limit: dx_tail
 *   000 dt_reserved
 *   004 dt_checksum       crc32c(csum_seed, le32 ino, le32 i_generation,
 *                         block[0 .. count_offset + 8 * count),
 *                         dt_reserved, 4 zero bytes)
 */
#ifndef NBDSCRUB_FSF_DIR_H
#define NBDSCRUB_FSF_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inode.h"

struct fsf_sb;

#define FSF_DIRENT_HEADER 8     /* inode, rec_len, name_len, file_type */
#define FSF_DIR_TAIL_SIZE 12
#define FSF_DIR_TAIL_FT 0xde
#define FSF_DX_ROOT_INFO_LEN 8
#define FSF_DX_ROOT_COUNT_OFFSET 0x20
#define FSF_DX_NODE_COUNT_OFFSET 0x08
#define FSF_DX_ENTRY_SIZE 8
#define FSF_DX_TAIL_SIZE 8
#define FSF_DIR_MAX_BLOCK 65536

/* file_type: the codes of enum fsf_ftype (inode.h). */

/* How this filesystem lays out directories (fsf_dir_fmt_init). */
struct fsf_dir_fmt {
  uint32_t block_size;
  bool filetype;          /* incompat filetype: 8-bit name_len + type */
  bool csum;              /* metadata_csum: leaf tails and dx tails */
  bool large_dir;         /* up to 2 indirect htree levels */
  uint32_t csum_seed;     /* struct fsf_sb's csum_seed */
};

/* One directory entry, decoded. */
struct fsf_dirent {
  uint32_t offset;        /* in the block */
  uint32_t inode;
  uint32_t rec_len;       /* decoded (fsf_dir_rec_len) */
  uint16_t name_len;
  uint8_t file_type;      /* 0 without filetype */
  const uint8_t *name;    /* into the caller's block, name_len bytes */
};

/* Called per entry, unused ones (inode 0) included, the checksum tail
 * excluded.  Non-zero stops the walk and is returned.
 */
typedef int (*fsf_dirent_fn) (const struct fsf_dirent *de, void *opaque);

extern void fsf_dir_fmt_init (struct fsf_dir_fmt *fmt,
                              const struct fsf_sb *sb);

/* rec_len as stored to bytes: below 64 KiB blocks, itself; at 64 KiB and
 * up, 65535 and 0 mean the whole block and bits 0-1 carry bits 16-17.
 */
extern uint32_t fsf_dir_rec_len (uint16_t raw, uint32_t block_size);
/* The inverse; returns 0 or FSF_BAD_FIELD (unaligned, past the block). */
extern int fsf_dir_rec_len_put (uint8_t *p, uint32_t rec_len,
                                uint32_t block_size);

/* Decode the entry at byte off of a block of fmt->block_size bytes and
 * check it against end (the block size, or where the tail starts):
 * rec_len at least 8 + name_len rounded up to 4, 4-aligned, not past
 * end; name_len at most 255.  Returns 0, FSF_BAD_TRUNCATED (len short of
 * the header or name) or FSF_BAD_FIELD.
 */
extern int fsf_dirent_decode (const uint8_t *buf, size_t len, uint32_t off,
                              uint32_t end, const struct fsf_dir_fmt *fmt,
                              struct fsf_dirent *de);

/* Is there a well-formed checksum tail at the end of the block? */
extern bool fsf_dir_tail_present (const uint8_t *buf, size_t len,
                                  uint32_t block_size);

/* Walk a leaf block.  With fmt->csum the block must end in a checksum
 * tail (else FSF_BAD_FIELD) and the entries must reach it exactly;
 * without, they reach the block end exactly.  Returns 0, the first bad
 * entry's verdict (its offset in *bad_off when bad_off is not NULL), or
 * the callback's non-zero return.  At most block_size / 8 entries.
 */
extern int fsf_dir_block_iterate (const uint8_t *buf, size_t len,
                                  const struct fsf_dir_fmt *fmt,
                                  fsf_dirent_fn fn, void *opaque,
                                  uint32_t *bad_off);

/* The leaf checksum of directory inode ino (generation gen).  Returns 0,
 * FSF_BAD_TRUNCATED or FSF_BAD_FIELD (no tail to hold it).
 */
extern int fsf_dir_block_csum (const struct fsf_dir_fmt *fmt, uint32_t ino,
                               uint32_t gen, const uint8_t *buf, size_t len,
                               uint32_t *csum);
extern bool fsf_dir_block_csum_verify (const struct fsf_dir_fmt *fmt,
                                       uint32_t ino, uint32_t gen,
                                       const uint8_t *buf, size_t len);
extern int fsf_dir_block_csum_set (const struct fsf_dir_fmt *fmt,
                                   uint32_t ino, uint32_t gen, uint8_t *buf,
                                   size_t len);

/* An htree index block, root or interior node. */
struct fsf_dx_block {
  bool root;
  /* dx_root_info, root only */
  uint32_t reserved_zero;
  uint8_t hash_version;
  uint8_t info_length;
  uint8_t indirect_levels;
  uint8_t unused_flags;
  /* both */
  uint32_t count_offset;  /* 0x20 root, 0x08 node */
  uint16_t limit;
  uint16_t count;
};

struct fsf_dx_entry {
  uint32_t hash;          /* 0 for entry 0, whose hash field is countlimit */
  uint32_t block;         /* logical block in the directory */
};

/* Decode a dx_root: the fake "." and "..", the root info (hash version
 * known: siphash and unknown are FSF_BAD_UNSUPPORTED; indirect_levels
 * at most 1, or 2 with large_dir) and the countlimit (limit exactly what
 * fits beside the tail, 1 <= count <= limit, hashes non-decreasing,
 * no entry pointing at block 0).  Returns 0 or an enum fsf_bad.
 */
extern int fsf_dx_root_decode (const uint8_t *buf, size_t len,
                               const struct fsf_dir_fmt *fmt,
                               struct fsf_dx_block *dx);
/* The same for an interior dx_node. */
extern int fsf_dx_node_decode (const uint8_t *buf, size_t len,
                               const struct fsf_dir_fmt *fmt,
                               struct fsf_dx_block *dx);
/* The countlimit stored at count_offset of an index block (the root's
 * FSF_DX_ROOT_COUNT_OFFSET, or 0x18 + info_length; a node's
 * FSF_DX_NODE_COUNT_OFFSET), whatever the decoders think of it: a
 * checker reports a bad limit or count precisely, as e2fsck does.
 * count_offset + 4 must lie inside buf (a block is at least 1 KiB).
 */
extern void fsf_dx_countlimit_get (const uint8_t *buf, uint32_t count_offset,
                                   uint16_t *limit, uint16_t *count);
/* The limit a well-formed index block has at count_offset: the entries
 * that fit, less the dx tail with metadata_csum.
 */
extern uint32_t fsf_dx_limit (const struct fsf_dir_fmt *fmt,
                              uint32_t count_offset);

/* Entry i (< dx->count) of a block that decoded into dx. */
extern void fsf_dx_entry_get (const uint8_t *buf,
                              const struct fsf_dx_block *dx, unsigned i,
                              struct fsf_dx_entry *e);

/* Do all the entries of a decoded index block point inside a directory
 * of nblocks blocks?  Returns 0 or FSF_BAD_RANGE.
 */
extern int fsf_dx_blocks_in_range (const uint8_t *buf,
                                   const struct fsf_dx_block *dx,
                                   uint32_t nblocks);

/* The dx tail checksum of a root or node block.  Locates the countlimit
 * itself (as ext2fs_dx_csum); returns 0, FSF_BAD_TRUNCATED or
 * FSF_BAD_FIELD (not an index block, or no room for the tail).
 */
extern int fsf_dx_csum (const struct fsf_dir_fmt *fmt, uint32_t ino,
                        uint32_t gen, const uint8_t *buf, size_t len,
                        uint32_t *csum);
extern bool fsf_dx_csum_verify (const struct fsf_dir_fmt *fmt, uint32_t ino,
                                uint32_t gen, const uint8_t *buf,
                                size_t len);
extern int fsf_dx_csum_set (const struct fsf_dir_fmt *fmt, uint32_t ino,
                            uint32_t gen, uint8_t *buf, size_t len);

#endif /* NBDSCRUB_FSF_DIR_H */
