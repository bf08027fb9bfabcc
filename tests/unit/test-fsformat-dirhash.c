/* Unit tests: directory name hashes (fsformat/dirhash.c). */

#include <string.h>

#include "dirhash.h"
#include "fsf.h"
#include "unit.h"

static const char *const names[] = {
  "hello",
  "a",
  "lost+found",
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", /* > 32 bytes */
  "caf\xc3\xa9-\xff\x80",                            /* bytes >= 0x80 */
};

/* The seed uuid 4f1a9c2e-7b3d-4e5f-8a6b-1c2d3e4f5a6b as s_hash_seed holds
 * it: the uuid's bytes, read as four little-endian words.
 */
static const uint32_t seed_uuid[4] = {
  0x2e9c1a4f, 0x5f4e3d7b, 0x2d1c6b8a, 0x6b5a4f3e,
};

/* Known answers from e2fsprogs 1.47.0, obtained with
 *
 *   mke2fs -q -t ext4 dh.img 4M
 *   debugfs -R "dx_hash -h VERSION [-s SEED] NAME" dh.img
 *
 * with SEED 4f1a9c2e-7b3d-4e5f-8a6b-1c2d3e4f5a6b, for VERSION 0..5 (3..5
 * are the unsigned variants, given by number), without -s (all-zero seed:
 * the default) and with it.  Columns: version, seeded, index into
 * names[], hash, minor hash.
 */
static const struct {
  int version, seeded, name;
  uint32_t hash, minor;
} kat[] = {
  { 0, 0, 0, 0x32252546, 0x0 },
  { 0, 0, 1, 0xe74b53e2, 0x0 },
  { 0, 0, 2, 0x5e2aba24, 0x0 },
  { 0, 0, 3, 0x79c8a48e, 0x0 },
  { 0, 0, 4, 0x29730c82, 0x0 },
  { 1, 0, 0, 0x1746da32, 0x420013b5 },
  { 1, 0, 1, 0xd5fa7d7a, 0xacb48187 },
  { 1, 0, 2, 0x591de422, 0x6ffc56e0 },
  { 1, 0, 3, 0x480d9fcc, 0x323b6edf },
  { 1, 0, 4, 0xf8949282, 0x27feace7 },
  { 2, 0, 0, 0x6f5bb1a8, 0x231917c2 },
  { 2, 0, 1, 0x6d0ea4c0, 0xc18922df },
  { 2, 0, 2, 0x2dbf9e80, 0xbfebee4f },
  { 2, 0, 3, 0x7c60d1c4, 0xea29c807 },
  { 2, 0, 4, 0x4004da98, 0x32a7cece },
  { 3, 0, 0, 0x32252546, 0x0 },
  { 3, 0, 1, 0xe74b53e2, 0x0 },
  { 3, 0, 2, 0x5e2aba24, 0x0 },
  { 3, 0, 3, 0x79c8a48e, 0x0 },
  { 3, 0, 4, 0xa8875488, 0x0 },
  { 4, 0, 0, 0x1746da32, 0x420013b5 },
  { 4, 0, 1, 0xd5fa7d7a, 0xacb48187 },
  { 4, 0, 2, 0x591de422, 0x6ffc56e0 },
  { 4, 0, 3, 0x480d9fcc, 0x323b6edf },
  { 4, 0, 4, 0xe28fb8c8, 0xb217d8b9 },
  { 5, 0, 0, 0x6f5bb1a8, 0x231917c2 },
  { 5, 0, 1, 0x6d0ea4c0, 0xc18922df },
  { 5, 0, 2, 0x2dbf9e80, 0xbfebee4f },
  { 5, 0, 3, 0x7c60d1c4, 0xea29c807 },
  { 5, 0, 4, 0x5197e732, 0x131fb4e6 },
  { 0, 1, 0, 0x32252546, 0x0 },
  { 0, 1, 1, 0xe74b53e2, 0x0 },
  { 0, 1, 2, 0x5e2aba24, 0x0 },
  { 0, 1, 3, 0x79c8a48e, 0x0 },
  { 0, 1, 4, 0x29730c82, 0x0 },
  { 1, 1, 0, 0x64ea52e0, 0xbe84ac7c },
  { 1, 1, 1, 0x1d12613c, 0x809968e2 },
  { 1, 1, 2, 0x116fc5ee, 0x30ada4cb },
  { 1, 1, 3, 0xabdb5f34, 0x77f33b7c },
  { 1, 1, 4, 0x55513e3e, 0xecb3f888 },
  { 2, 1, 0, 0x97a46c76, 0x90c01790 },
  { 2, 1, 1, 0x91a810da, 0x9baf6142 },
  { 2, 1, 2, 0x78957782, 0xe21ffc2e },
  { 2, 1, 3, 0xb663cd02, 0x42514a5c },
  { 2, 1, 4, 0x3d6bcd4c, 0xd7d973f4 },
  { 3, 1, 0, 0x32252546, 0x0 },
  { 3, 1, 1, 0xe74b53e2, 0x0 },
  { 3, 1, 2, 0x5e2aba24, 0x0 },
  { 3, 1, 3, 0x79c8a48e, 0x0 },
  { 3, 1, 4, 0xa8875488, 0x0 },
  { 4, 1, 0, 0x64ea52e0, 0xbe84ac7c },
  { 4, 1, 1, 0x1d12613c, 0x809968e2 },
  { 4, 1, 2, 0x116fc5ee, 0x30ada4cb },
  { 4, 1, 3, 0xabdb5f34, 0x77f33b7c },
  { 4, 1, 4, 0xa5391322, 0x41bbc3a2 },
  { 5, 1, 0, 0x97a46c76, 0x90c01790 },
  { 5, 1, 1, 0x91a810da, 0x9baf6142 },
  { 5, 1, 2, 0x78957782, 0xe21ffc2e },
  { 5, 1, 3, 0xb663cd02, 0x42514a5c },
  { 5, 1, 4, 0x1d5d616, 0x596bf02d },
};

static void
test_dirhash__debugfs_known_answers (void)
{
  size_t i;

  for (i = 0; i < sizeof kat / sizeof kat[0]; i++) {
    const char *n = names[kat[i].name];
    uint32_t h, m;
    int r;

    r = fsf_dirhash (kat[i].version, (const uint8_t *) n, strlen (n),
                     kat[i].seeded ? seed_uuid : NULL, &h, &m);
    CU_ASSERT_EQUAL (r, 0);
    if (h != kat[i].hash || m != kat[i].minor)
      fprintf (stderr, "kat %zu: version %d name %d: got %#x/%#x\n", i,
               kat[i].version, kat[i].name, h, m);
    CU_ASSERT_EQUAL (h, kat[i].hash);
    CU_ASSERT_EQUAL (m, kat[i].minor);
  }
}

/* The seed words e2fsprogs uses when s_hash_seed is zero hash exactly as
 * the zero seed does.
 */
static void
test_dirhash__zero_seed_is_the_default_seed (void)
{
  static const uint32_t zero[4] = { 0 };
  static const uint32_t dflt[4] = {
    0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
  };
  uint32_t h1, m1, h2, m2;

  CU_ASSERT_EQUAL (fsf_dirhash (FSF_HASH_TEA, (const uint8_t *) "x", 1, zero,
                                &h1, &m1), 0);
  CU_ASSERT_EQUAL (fsf_dirhash (FSF_HASH_TEA, (const uint8_t *) "x", 1, dflt,
                                &h2, &m2), 0);
  CU_ASSERT_EQUAL (h1, h2);
  CU_ASSERT_EQUAL (m1, m2);
}

/* Bit 0 of the hash is never set, whatever the name. */
static void
test_dirhash__low_bit_always_clear (void)
{
  uint8_t name[8];
  int v, i;

  for (v = 0; v <= FSF_HASH_TEA_UNSIGNED; v++)
    for (i = 0; i < 256; i++) {
      uint32_t h;

      memset (name, i, sizeof name);
      CU_ASSERT_EQUAL (fsf_dirhash (v, name, 1 + i % 8, seed_uuid, &h,
                                    NULL), 0);
      CU_ASSERT_EQUAL (h & 1, 0);
    }
}

static void
test_dirhash__maximum_name_length (void)
{
  uint8_t name[FSF_NAME_LEN + 1];
  uint32_t h, m;
  int v;

  memset (name, 0xfe, sizeof name);
  for (v = 0; v <= FSF_HASH_TEA_UNSIGNED; v++) {
    CU_ASSERT_EQUAL (fsf_dirhash (v, name, FSF_NAME_LEN, NULL, &h, &m), 0);
    CU_ASSERT_EQUAL (fsf_dirhash (v, name, FSF_NAME_LEN + 1, NULL, &h, &m),
                     FSF_BAD_FIELD);
  }
}

static void
test_dirhash__siphash_and_unknown_versions_are_unsupported (void)
{
  uint32_t h = 1, m = 1;

  CU_ASSERT_EQUAL (fsf_dirhash (FSF_HASH_SIPHASH, (const uint8_t *) "a", 1,
                                NULL, &h, &m), FSF_BAD_UNSUPPORTED);
  CU_ASSERT_EQUAL (h, 0);
  CU_ASSERT_EQUAL (m, 0);
  CU_ASSERT_EQUAL (fsf_dirhash (7, (const uint8_t *) "a", 1, NULL, &h, &m),
                   FSF_BAD_UNSUPPORTED);
  CU_ASSERT_EQUAL (fsf_dirhash (-1, (const uint8_t *) "a", 1, NULL, &h, &m),
                   FSF_BAD_UNSUPPORTED);
}

/* Signed and unsigned agree on ASCII and differ once a byte has bit 7. */
static void
test_dirhash__signedness_matters_only_for_high_bytes (void)
{
  const uint8_t *hi = (const uint8_t *) names[4];
  uint32_t hs, hu;
  int v;

  for (v = 0; v <= FSF_HASH_TEA; v++) {
    fsf_dirhash (v, (const uint8_t *) "hello", 5, NULL, &hs, NULL);
    fsf_dirhash (v + 3, (const uint8_t *) "hello", 5, NULL, &hu, NULL);
    CU_ASSERT_EQUAL (hs, hu);
    fsf_dirhash (v, hi, strlen (names[4]), NULL, &hs, NULL);
    fsf_dirhash (v + 3, hi, strlen (names[4]), NULL, &hu, NULL);
    CU_ASSERT_NOT_EQUAL (hs, hu);
  }
}

static void
test_dirhash__version_follows_s_flags (void)
{
  CU_ASSERT_EQUAL (fsf_dirhash_version (FSF_HASH_HALF_MD4, 0),
                   FSF_HASH_HALF_MD4);
  CU_ASSERT_EQUAL (fsf_dirhash_version (FSF_HASH_HALF_MD4,
                                        FSF_FLAGS_SIGNED_HASH),
                   FSF_HASH_HALF_MD4);
  CU_ASSERT_EQUAL (fsf_dirhash_version (FSF_HASH_HALF_MD4,
                                        FSF_FLAGS_UNSIGNED_HASH),
                   FSF_HASH_HALF_MD4_UNSIGNED);
  CU_ASSERT_EQUAL (fsf_dirhash_version (FSF_HASH_SIPHASH,
                                        FSF_FLAGS_UNSIGNED_HASH),
                   FSF_HASH_SIPHASH);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_dirhash__debugfs_known_answers),
  UNIT_TEST (test_dirhash__zero_seed_is_the_default_seed),
  UNIT_TEST (test_dirhash__low_bit_always_clear),
  UNIT_TEST (test_dirhash__maximum_name_length),
  UNIT_TEST (test_dirhash__siphash_and_unknown_versions_are_unsupported),
  UNIT_TEST (test_dirhash__signedness_matters_only_for_high_bytes),
  UNIT_TEST (test_dirhash__version_follows_s_flags),
};

UNIT_MAIN ("fsformat/dirhash", tests)
