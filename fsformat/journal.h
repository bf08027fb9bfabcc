/* nbdscrub fsformat: the jbd2 journal's on-disk blocks.
 *
 * The journal is a ring of s_maxlen blocks (the blocks of inode 8, or an
 * external device), numbered 0 .. s_maxlen-1; block 0 is the journal
 * superblock, the log runs from s_first and wraps back to it.  Every
 * field is BIG-endian (fsf_be32), unlike the rest of ext4.  Offsets in
 * the margin, as in e2fsprogs' kernel-jbd.h.
 *
 * Every block of the log starts with a 12-byte header:
 *
 *   000 h_magic = 0xc03b3998      004 h_blocktype
 *   008 h_sequence                (the transaction id, "tid")
 *
 * The superblock (h_blocktype 3 = v1, 4 = v2; 1024 bytes):
 *
 *   00c s_blocksize               010 s_maxlen (blocks in the journal)
 *   014 s_first (first log block) 018 s_sequence (first tid expected)
 *   01c s_start (log start, 0 = clean, nothing to recover)
 *   020 s_errno (signed)
 *   v2 only, zero and ignored in v1:
 *   024 s_feature_compat          028 s_feature_incompat
 *   02c s_feature_ro_compat       030 s_uuid[16]
 *   040 s_nr_users                044 s_dynsuper
 *   048 s_max_transaction         04c s_max_trans_data
 *   050 s_checksum_type (8)       051 s_padding2[3]
 *   054 s_num_fc_blks             058 s_head, s_padding
 *   0fc s_checksum                crc32c(~0, sb[0..0x400) with it zeroed)
 *   100 s_users[16 * 48]
 *
 * A descriptor block (type 1): the header, then tags, one per data block
 * that follows it in the log, in order:
 *
 *   tag (no csum_v3)                tag3 (csum_v3), 16 bytes
 *   000 t_blocknr                   000 t_blocknr
 *   004 t_checksum (16, csum_v2)    004 t_flags (32)
 *   006 t_flags (16)                008 t_blocknr_high
 *   008 t_blocknr_high (64bit)      00c t_checksum
 *
 * A tag is 8 bytes, +4 with 64bit, +2 with csum_v2 (fsf_jsb_tag_bytes);
 * the 16 bits of flags are at 006 in both forms.  A tag without
 * SAME_UUID is followed by a 16-byte uuid.  LAST_TAG ends the list.  With
 * csum_v2/v3 the last 4 bytes of the block are a tail checksum,
 * crc32c(seed, block with the tail zeroed), seed = crc32c(~0, s_uuid),
 * and a tag's checksum is crc32c(crc32c(seed, be32 tid), data block)
 * (v2 keeps its low 16 bits).
 *
 * A commit block (type 2) ends a transaction:
 *
 *   00c h_chksum_type (8)         00d h_chksum_size (8)
 *   010 h_chksum[8]               030 h_commit_sec (64)
 *   038 h_commit_nsec
 *
 * with csum_v2/v3, h_chksum[0] = crc32c(seed, block with it zeroed).
 *
 * A revoke block (type 5): 00c r_count, bytes used including the
 * 16-byte header, then block numbers (be32, be64 with 64bit); csum_v2/v3
 * add the same tail as a descriptor.  A revoke in transaction T cancels
 * the replay of that block from every transaction up to and including T.
 */
#ifndef NBDSCRUB_FSF_JOURNAL_H
#define NBDSCRUB_FSF_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSF_JBD2_MAGIC 0xc03b3998U
#define FSF_JSB_SIZE 1024
#define FSF_JHDR_SIZE 12
#define FSF_JSB_CSUM_OFFSET 0xfc
#define FSF_JTAIL_SIZE 4              /* descriptor and revoke tail */
#define FSF_JREVOKE_HDR_SIZE 16
#define FSF_JCOMMIT_CSUM_OFFSET 0x10
#define FSF_JCOMMIT_SEC_OFFSET 0x30
#define FSF_JUUID_SIZE 16

/* h_blocktype */
#define FSF_JBT_DESCRIPTOR 1
#define FSF_JBT_COMMIT 2
#define FSF_JBT_SB_V1 3
#define FSF_JBT_SB_V2 4
#define FSF_JBT_REVOKE 5
#define FSF_JBT_FC 6

/* s_feature_compat */
#define FSF_JCOMPAT_CHECKSUM 0x0001
/* s_feature_incompat */
#define FSF_JINCOMPAT_REVOKE 0x0001
#define FSF_JINCOMPAT_64BIT 0x0002
#define FSF_JINCOMPAT_ASYNC_COMMIT 0x0004
#define FSF_JINCOMPAT_CSUM_V2 0x0008
#define FSF_JINCOMPAT_CSUM_V3 0x0010
#define FSF_JINCOMPAT_FAST_COMMIT 0x0020
#define FSF_JINCOMPAT_KNOWN                                             \
  (FSF_JINCOMPAT_REVOKE | FSF_JINCOMPAT_64BIT | FSF_JINCOMPAT_ASYNC_COMMIT \
   | FSF_JINCOMPAT_CSUM_V2 | FSF_JINCOMPAT_CSUM_V3                       \
   | FSF_JINCOMPAT_FAST_COMMIT)

/* Tag flags */
#define FSF_JFLAG_ESCAPE 1            /* data block began with the magic */
#define FSF_JFLAG_SAME_UUID 2         /* no uuid follows the tag */
#define FSF_JFLAG_DELETED 4
#define FSF_JFLAG_LAST_TAG 8

#define FSF_JCSUM_CRC32C 4            /* s_checksum_type */
#define FSF_JDEFAULT_FC_BLOCKS 256

struct fsf_jsb {
  /* Fields as on disk (v2 fields zero in a v1 superblock). */
  uint32_t blocktype;
  uint32_t blocksize;
  uint32_t maxlen;
  uint32_t first;
  uint32_t sequence;
  uint32_t start;
  int32_t errno_;             /* s_errno, as journal_abort left it */
  uint32_t feature_compat, feature_incompat, feature_ro_compat;
  uint8_t uuid[16];
  uint32_t nr_users;
  uint8_t checksum_type;
  uint32_t num_fc_blks;
  uint32_t checksum;

  /* Derived, valid once fsf_jsb_decode returned 0. */
  int version;                /* 1 or 2 */
  bool csum;                  /* csum_v2 or csum_v3 */
  uint32_t csum_seed;         /* crc32c(~0, s_uuid), with csum */
  uint32_t tag_bytes;         /* fsf_jsb_tag_bytes */
};

/* Decode a journal superblock.  Checks the magic (FSF_BAD_MAGIC), the
 * block type (FSF_BAD_FIELD), the incompat and ro_compat features
 * (FSF_BAD_UNSUPPORTED for any this code does not know, and for a
 * journal shared by several filesystems), and the geometry: block size
 * a power of two in 1 KiB .. 64 KiB, 0 < s_first < s_maxlen, s_start 0 or
 * in [s_first, s_maxlen), checksum type crc32c with csum_v2/v3, not both
 * csum versions (FSF_BAD_FIELD).  The checksum is not checked here: see
 * fsf_jsb_csum_verify.
 */
extern int fsf_jsb_decode (const uint8_t *buf, size_t len,
                           struct fsf_jsb *jsb);

/* csum_v2/v3: the superblock checksum over FSF_JSB_SIZE bytes. */
extern uint32_t fsf_jsb_csum (const uint8_t *buf);
extern bool fsf_jsb_csum_verify (const uint8_t *buf);
extern void fsf_jsb_csum_set (uint8_t *buf);

/* The unknown incompat/ro_compat features, space-separated into buf
 * ("journal_incompat_revoke"-style names, FEATURE_I7 for unknown bits).
 * Returns how many there are.
 */
extern int fsf_jsb_unsupported (const struct fsf_jsb *jsb, char *buf,
                                size_t len);

/* Name of a journal feature (type 0 compat, 1 incompat, 2 ro_compat) as
 * dumpe2fs prints it, or NULL.
 */
extern const char *fsf_jfeature_name (int type, uint32_t bit);

/* Size of one descriptor tag, without its optional uuid. */
extern uint32_t fsf_jsb_tag_bytes (const struct fsf_jsb *jsb);

/* A block header. */
struct fsf_jhdr {
  uint32_t magic, blocktype, sequence;
};
extern int fsf_jhdr_decode (const uint8_t *buf, size_t len,
                            struct fsf_jhdr *h);

/* One tag of a descriptor block. */
struct fsf_jtag {
  uint64_t blocknr;           /* filesystem block the data belongs to */
  uint32_t flags;             /* FSF_JFLAG_* */
  uint32_t checksum;          /* 16 bits with csum_v2, 32 with v3 */
};

/* Iterate the tags of a descriptor block of jsb->blocksize bytes:
 * *off starts at 0; each call fills tag and returns 1, or 0 after the
 * last one (LAST_TAG seen, or no room for another).  At most
 * (blocksize - 12) / tag_bytes tags: the loop is bounded by the block.
 */
extern int fsf_jtag_next (const struct fsf_jsb *jsb, const uint8_t *buf,
                          size_t *off, struct fsf_jtag *tag);

/* Number of tags (= data blocks that follow) in a descriptor block. */
extern uint32_t fsf_jdesc_count_tags (const struct fsf_jsb *jsb,
                                      const uint8_t *buf);

/* csum_v2/v3 tail of descriptor and revoke blocks.  Without csum
 * (jsb->csum false) verify is always true and set does nothing.
 */
extern uint32_t fsf_jtail_csum (const struct fsf_jsb *jsb,
                                const uint8_t *buf);
extern bool fsf_jtail_csum_verify (const struct fsf_jsb *jsb,
                                   const uint8_t *buf);
extern void fsf_jtail_csum_set (const struct fsf_jsb *jsb, uint8_t *buf);

/* csum_v2/v3 checksum of a commit block (h_chksum[0]). */
extern uint32_t fsf_jcommit_csum (const struct fsf_jsb *jsb,
                                  const uint8_t *buf);
extern bool fsf_jcommit_csum_verify (const struct fsf_jsb *jsb,
                                     const uint8_t *buf);
extern void fsf_jcommit_csum_set (const struct fsf_jsb *jsb, uint8_t *buf);

/* csum_v2/v3 checksum of a data block logged in transaction tid: the
 * value for a tag3 (v3); a v2 tag keeps the low 16 bits.
 */
extern uint32_t fsf_jtag_csum (const struct fsf_jsb *jsb, uint32_t tid,
                               const uint8_t *data);
extern bool fsf_jtag_csum_verify (const struct fsf_jsb *jsb, uint32_t tid,
                                  const struct fsf_jtag *tag,
                                  const uint8_t *data);

/* Journal transaction ids wrap: x after y, modulo 2^32. */
static inline bool
fsf_tid_gt (uint32_t x, uint32_t y)
{
  return (int32_t) (x - y) > 0;
}

static inline bool
fsf_tid_geq (uint32_t x, uint32_t y)
{
  return (int32_t) (x - y) >= 0;
}

#endif /* NBDSCRUB_FSF_JOURNAL_H */
