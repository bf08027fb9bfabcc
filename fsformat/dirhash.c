/* nbdscrub fsformat: directory name hashes (see dirhash.h).
 *
 * Written from the description in e2fsprogs' lib/ext2fs/dirhash.c and
 * pinned by known answers from debugfs's dx_hash.
 */

#include <string.h>

#include "dirhash.h"
#include "fsf.h"

/* A name byte as the hash sees it: sign-extended for the signed
 * versions, as a plain char is on x86.
 */
static uint32_t
name_byte (const uint8_t *name, size_t i, int unsigned_chars)
{
  if (unsigned_chars || name[i] < 0x80)
    return name[i];
  return (uint32_t) name[i] | 0xffffff00U;
}

static uint32_t
rol32 (uint32_t v, unsigned s)
{
  return v << s | v >> (32 - s);
}

/* The legacy hash: unseeded, 31-bit, returned shifted left by one. */
static uint32_t
legacy_hash (const uint8_t *name, size_t len, int unsigned_chars)
{
  uint32_t hash0 = 0x12a3fe2d, hash1 = 0x37abe8f9;
  size_t i;

  for (i = 0; i < len; i++) {
    uint32_t hash = hash1 + (hash0 ^ (name_byte (name, i, unsigned_chars)
                                      * 7152373U));

    if (hash & 0x80000000U)
      hash -= 0x7fffffff;
    hash1 = hash0;
    hash0 = hash;
  }
  return hash0 << 1;
}

/* Pack up to 4 * num bytes of name into num words, big-end first within
 * each word, padded with the length byte repeated (ext2fs str2hashbuf).
 * len is what remains of the whole name, which the pad encodes.
 */
static void
name_to_words (const uint8_t *name, size_t len, uint32_t *out, int num,
               int unsigned_chars)
{
  uint32_t pad = (uint32_t) len | (uint32_t) len << 8;
  uint32_t val;
  size_t i, n = len;

  pad |= pad << 16;
  val = pad;
  if (n > (size_t) num * 4)
    n = (size_t) num * 4;
  for (i = 0; i < n; i++) {
    val = name_byte (name, i, unsigned_chars) + (val << 8);
    if (i % 4 == 3) {
      *out++ = val;
      val = pad;
      num--;
    }
  }
  if (--num >= 0)
    *out++ = val;
  while (--num >= 0)
    *out++ = pad;
}

static void
tea_transform (uint32_t buf[4], const uint32_t in[4])
{
  uint32_t sum = 0, b0 = buf[0], b1 = buf[1];
  int n;

  for (n = 0; n < 16; n++) {
    sum += 0x9e3779b9U;
    b0 += ((b1 << 4) + in[0]) ^ (b1 + sum) ^ ((b1 >> 5) + in[1]);
    b1 += ((b0 << 4) + in[2]) ^ (b0 + sum) ^ ((b0 >> 5) + in[3]);
  }
  buf[0] += b0;
  buf[1] += b1;
}

#define MD4_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD4_G(x, y, z) (((x) & (y)) + (((x) ^ (y)) & (z)))
#define MD4_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD4_K2 0x5a827999U
#define MD4_K3 0x6ed9eba1U

/* Three MD4 rounds of eight steps each over 8 words. */
static void
half_md4_transform (uint32_t buf[4], const uint32_t in[8])
{
  static const uint8_t r1[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  static const uint8_t r2[8] = { 1, 3, 5, 7, 0, 2, 4, 6 };
  static const uint8_t r3[8] = { 3, 7, 2, 6, 1, 5, 0, 4 };
  static const uint8_t s1[4] = { 3, 7, 11, 19 };
  static const uint8_t s2[4] = { 3, 5, 9, 13 };
  static const uint8_t s3[4] = { 3, 9, 11, 15 };
  uint32_t v[4] = { buf[0], buf[1], buf[2], buf[3] };
  int i;

  /* Step i updates word (4 - i) % 4 from the next three, in order. */
  for (i = 0; i < 8; i++) {
    uint32_t *a = &v[(4 - i % 4) % 4];
    uint32_t b = v[(5 - i % 4) % 4], c = v[(6 - i % 4) % 4];
    uint32_t d = v[(7 - i % 4) % 4];

    *a = rol32 (*a + MD4_F (b, c, d) + in[r1[i]], s1[i % 4]);
  }
  for (i = 0; i < 8; i++) {
    uint32_t *a = &v[(4 - i % 4) % 4];
    uint32_t b = v[(5 - i % 4) % 4], c = v[(6 - i % 4) % 4];
    uint32_t d = v[(7 - i % 4) % 4];

    *a = rol32 (*a + MD4_G (b, c, d) + in[r2[i]] + MD4_K2, s2[i % 4]);
  }
  for (i = 0; i < 8; i++) {
    uint32_t *a = &v[(4 - i % 4) % 4];
    uint32_t b = v[(5 - i % 4) % 4], c = v[(6 - i % 4) % 4];
    uint32_t d = v[(7 - i % 4) % 4];

    *a = rol32 (*a + MD4_H (b, c, d) + in[r3[i]] + MD4_K3, s3[i % 4]);
  }
  for (i = 0; i < 4; i++)
    buf[i] += v[i];
}

int
fsf_dirhash (int version, const uint8_t *name, size_t len,
             const uint32_t seed[4], uint32_t *hash, uint32_t *minor)
{
  uint32_t buf[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
  uint32_t in[8], h, m = 0;
  int unsigned_chars = version >= FSF_HASH_LEGACY_UNSIGNED;
  size_t off;

  *hash = 0;
  if (minor)
    *minor = 0;
  if (len > FSF_NAME_LEN)
    return FSF_BAD_FIELD;
  if (seed && (seed[0] | seed[1] | seed[2] | seed[3]))
    memcpy (buf, seed, sizeof buf);

  switch (version) {
  case FSF_HASH_LEGACY:
  case FSF_HASH_LEGACY_UNSIGNED:
    h = legacy_hash (name, len, unsigned_chars);
    break;
  case FSF_HASH_HALF_MD4:
  case FSF_HASH_HALF_MD4_UNSIGNED:
    for (off = 0; off < len; off += 32) {
      name_to_words (name + off, len - off, in, 8, unsigned_chars);
      half_md4_transform (buf, in);
    }
    h = buf[1];
    m = buf[2];
    break;
  case FSF_HASH_TEA:
  case FSF_HASH_TEA_UNSIGNED:
    for (off = 0; off < len; off += 16) {
      name_to_words (name + off, len - off, in, 4, unsigned_chars);
      tea_transform (buf, in);
    }
    h = buf[0];
    m = buf[1];
    break;
  default:
    return FSF_BAD_UNSUPPORTED;
  }
  *hash = h & ~1U;
  if (minor)
    *minor = m;
  return 0;
}

int
fsf_dirhash_version (uint8_t root_hash_version, uint32_t s_flags)
{
  if (root_hash_version <= FSF_HASH_TEA
      && (s_flags & FSF_FLAGS_UNSIGNED_HASH))
    return root_hash_version + 3;
  return root_hash_version;
}
