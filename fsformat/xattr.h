/* nbdscrub fsformat: extended attributes, in the inode and in a block.
 *
 * All fields little-endian.  An xattr block (the inode's i_file_acl):
 *   000 h_magic = 0xea020000
 *   004 h_refcount        inodes sharing the block, >= 1
 *   008 h_blocks = 1
 *   00c h_hash            fsf_xattr_block_hash, or 0 when not shareable
 *   010 h_checksum        metadata_csum: crc32c(csum_seed, le64 block
 *                         number, the block with h_checksum as zero)
 *   014 h_reserved[3]
 *   020 entries, each 4-aligned, ending in 4 zero bytes; values from the
 *       block's end downwards, e_value_offs counted from the block start
 *
 * In the inode, after the 128-byte base and i_extra_isize bytes of extra
 * fields (i_extra_isize at 0x80):
 *   128 + extra_isize     magic 0xea020000
 *   + 4                   entries, then 4 zero bytes; values placed from
 *                         the inode's end, e_value_offs counted from the
 *                         first entry (just past the magic)
 *
 * Entry (ext2_ext_attr_entry):
 *   000 e_name_len (8)
 *   001 e_name_index (8)  1 user, 2 posix_acl_access, 3 posix_acl_default,
 *                         4 trusted, 6 security, 7 system, 8 richacl
 *   002 e_value_offs (16)
 *   004 e_value_inum      ea_inode: the inode holding the value, else 0
 *   008 e_value_size
 *   00c e_hash            fsf_xattr_entry_hash
 *   010 e_name[name_len]  padded to 4
 */
#ifndef NBDSCRUB_FSF_XATTR_H
#define NBDSCRUB_FSF_XATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fsf_sb;

#define FSF_XATTR_MAGIC 0xea020000U
#define FSF_XATTR_HEADER_SIZE 32
#define FSF_XATTR_ENTRY_SIZE 16
#define FSF_XATTR_CSUM_OFFSET 0x10
#define FSF_XATTR_IBODY_BASE 128        /* the base inode, before extra */
#define FSF_XATTR_EA_INODE_MAX 65536    /* a value kept in an ea_inode */

struct fsf_xattr_fmt {
  uint32_t block_size;
  bool ea_inode;          /* incompat ea_inode: values in inodes allowed */
  uint32_t csum_seed;
};

struct fsf_xattr_header {
  uint32_t magic;
  uint32_t refcount;
  uint32_t blocks;
  uint32_t hash;
  uint32_t checksum;
  uint32_t reserved[3];
};

struct fsf_xattr_entry {
  uint32_t offset;        /* of the entry, from where values count */
  uint8_t name_len;
  uint8_t name_index;
  uint16_t value_offs;
  uint32_t value_inum;
  uint32_t value_size;
  uint32_t hash;
  const uint8_t *name;    /* into the caller's buffer */
  const uint8_t *value;   /* value_size bytes; NULL with value_inum */
  uint32_t value_room;    /* bytes readable at value (>= value_size) */
};

/* Called per entry; non-zero stops the walk and is returned. */
typedef int (*fsf_xattr_fn) (const struct fsf_xattr_entry *e, void *opaque);

extern void fsf_xattr_fmt_init (struct fsf_xattr_fmt *fmt,
                                const struct fsf_sb *sb);

/* "user.", "system.posix_acl_access", ...: the name's prefix by index,
 * NULL when unknown.
 */
extern const char *fsf_xattr_prefix (uint8_t name_index);

/* Decode the 32-byte block header: FSF_BAD_TRUNCATED, FSF_BAD_MAGIC,
 * FSF_BAD_FIELD (h_blocks not 1, h_refcount 0) or 0.
 */
extern int fsf_xattr_header_decode (const uint8_t *buf, size_t len,
                                    struct fsf_xattr_header *h);

/* Walk an xattr block of fmt->block_size bytes: the header, then every
 * entry, checked: names inside the block, the 4-byte terminator present,
 * in-block values inside the block and after the terminator, ea_inode
 * values only with the feature (value_offs 0, at most 64 KiB).  Returns
 * 0, an enum fsf_bad, or the callback's non-zero return.  At most
 * block_size / 16 entries.
 */
extern int fsf_xattr_block_iterate (const uint8_t *buf, size_t len,
                                    const struct fsf_xattr_fmt *fmt,
                                    fsf_xattr_fn fn, void *opaque);

/* Walk the xattrs inside an inode of inode_size bytes, with the same
 * checks.  No magic after the extra fields (or no room for one) means no
 * in-inode xattrs: 0 without a call.  An i_extra_isize not 4-aligned or
 * past the inode is FSF_BAD_FIELD.
 */
extern int fsf_xattr_ibody_iterate (const uint8_t *inode, size_t inode_size,
                                    const struct fsf_xattr_fmt *fmt,
                                    fsf_xattr_fn fn, void *opaque);

/* e_hash as ext2fs computes it: the name, then the in-block value as
 * little-endian words (an ea_inode entry hashes its name only; the
 * caller mixes in the ea_inode's hash with fsf_xattr_hash_mix).  The
 * _signed variant takes name bytes as signed chars, as old kernels did.
 */
extern uint32_t fsf_xattr_entry_hash (const struct fsf_xattr_entry *e);
extern uint32_t fsf_xattr_entry_hash_signed (const struct fsf_xattr_entry *e);
extern uint32_t fsf_xattr_hash_mix (uint32_t hash, uint32_t ea_inode_hash);

/* h_hash: the entries' e_hash folded together, 0 if any is 0.  Returns 0
 * or an enum fsf_bad (a chain that leaves the block).
 */
extern int fsf_xattr_block_hash (const uint8_t *buf, size_t len,
                                 uint32_t block_size, uint32_t *hash);

/* metadata_csum: the block checksum, keyed by the block's number.
 * Returns 0 or FSF_BAD_TRUNCATED.
 */
extern int fsf_xattr_block_csum (const struct fsf_xattr_fmt *fmt,
                                 uint64_t block, const uint8_t *buf,
                                 size_t len, uint32_t *csum);
extern bool fsf_xattr_block_csum_verify (const struct fsf_xattr_fmt *fmt,
                                         uint64_t block, const uint8_t *buf,
                                         size_t len);
extern int fsf_xattr_block_csum_set (const struct fsf_xattr_fmt *fmt,
                                     uint64_t block, uint8_t *buf,
                                     size_t len);

#endif /* NBDSCRUB_FSF_XATTR_H */
