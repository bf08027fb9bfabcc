/* nbdscrub fsformat: the hash of a directory entry's name (htree).
 *
 * An htree (dir_index) directory sorts its leaf blocks by a 32-bit hash
 * of each name.  The dx_root's hash_version picks the function; the
 * superblock's s_hash_seed keys it (an all-zero seed means the MD4
 * initial words), and s_flags says whether names hash as signed or
 * unsigned chars (the _UNSIGNED versions, which are never on disk: they
 * are hash_version + 3 when s_flags has FSF_FLAGS_UNSIGNED_HASH).
 *
 *   0 legacy      dx_hack_hash, unseeded, no minor hash
 *   1 half_md4    cut-down MD4 over 32-byte chunks; hash buf[1], minor buf[2]
 *   2 tea         TEA in Davies-Meyer over 16-byte chunks; buf[0], buf[1]
 *   3..5          the same with the name's bytes taken as unsigned
 *   6 siphash     casefolded + encrypted names only; those filesystems are
 *                 refused at open (casefold, encrypt), so it is not here
 *
 * The returned hash has bit 0 cleared (bit 0 of an index entry's hash
 * marks a collision continuation), as ext2fs_dirhash does.
 */
#ifndef NBDSCRUB_FSF_DIRHASH_H
#define NBDSCRUB_FSF_DIRHASH_H

#include <stddef.h>
#include <stdint.h>

#define FSF_HASH_LEGACY 0
#define FSF_HASH_HALF_MD4 1
#define FSF_HASH_TEA 2
#define FSF_HASH_LEGACY_UNSIGNED 3
#define FSF_HASH_HALF_MD4_UNSIGNED 4
#define FSF_HASH_TEA_UNSIGNED 5
#define FSF_HASH_SIPHASH 6

/* s_flags */
#define FSF_FLAGS_SIGNED_HASH 0x0001
#define FSF_FLAGS_UNSIGNED_HASH 0x0002

/* Longest name a directory entry holds. */
#define FSF_NAME_LEN 255

/* Hash len bytes of name with hash version version and the superblock's
 * s_hash_seed (NULL or all zero: the default seed).  Returns 0, or
 * FSF_BAD_UNSUPPORTED for siphash and unknown versions, or FSF_BAD_FIELD
 * when len is over FSF_NAME_LEN.  minor may be NULL.
 */
extern int fsf_dirhash (int version, const uint8_t *name, size_t len,
                        const uint32_t seed[4], uint32_t *hash,
                        uint32_t *minor);

/* The version to hash with, from a dx_root's hash_version and s_flags:
 * versions 0..2 become their unsigned twins on an unsigned-hash fs.
 */
extern int fsf_dirhash_version (uint8_t root_hash_version, uint32_t s_flags);

#endif /* NBDSCRUB_FSF_DIRHASH_H */
