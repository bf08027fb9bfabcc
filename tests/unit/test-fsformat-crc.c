/* Unit tests: CRC-32C and CRC-16 (fsformat/crc.c), by known answers. */

#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "unit.h"

/* The catalogue check values ("123456789"): CRC-32C is 0xE3069283 with
 * the usual ~0 start and final inversion; CRC-16/ARC is 0xBB3D.
 */
static void
test_crc__check_values (void)
{
  CU_ASSERT_EQUAL (~fsf_crc32c (~0U, "123456789", 9), 0xE3069283);
  CU_ASSERT_EQUAL (~fsf_crc32c_sw (~0U, "123456789", 9), 0xE3069283);
  CU_ASSERT_EQUAL (fsf_crc16 (0, "123456789", 9), 0xBB3D);
  /* CRC-32/MPEG-2: the big-endian CRC-32 from ~0, no final inversion. */
  CU_ASSERT_EQUAL (fsf_crc32_be (~0U, "123456789", 9), 0x0376E6E7);
  CU_ASSERT_EQUAL (fsf_crc32_be (fsf_crc32_be (~0U, "1234", 4), "56789", 5),
                   0x0376E6E7);
}

/* RFC 3720 (iSCSI) B.4 test patterns: 32 bytes of zeroes, of ones, and an
 * incrementing sequence.
 */
static void
test_crc__rfc3720_vectors (void)
{
  uint8_t buf[32];
  int i;

  memset (buf, 0, sizeof buf);
  CU_ASSERT_EQUAL (~fsf_crc32c (~0U, buf, 32), 0x8A9136AA);
  memset (buf, 0xff, sizeof buf);
  CU_ASSERT_EQUAL (~fsf_crc32c (~0U, buf, 32), 0x62A8AB43);
  for (i = 0; i < 32; i++)
    buf[i] = i;
  CU_ASSERT_EQUAL (~fsf_crc32c (~0U, buf, 32), 0x46DD794E);
  for (i = 0; i < 32; i++)
    buf[i] = 31 - i;
  CU_ASSERT_EQUAL (~fsf_crc32c (~0U, buf, 32), 0x113FDB5C);
}

/* ext4 chains: crc(crc(seed, a), b) == crc(seed, a || b). */
static void
test_crc__chaining_equals_one_pass (void)
{
  const char *s = "the quick brown fox jumps over the lazy dog";
  size_t n = strlen (s), cut;

  for (cut = 0; cut <= n; cut++) {
    CU_ASSERT_EQUAL (fsf_crc32c (fsf_crc32c (0x1234, s, cut), s + cut,
                                 n - cut), fsf_crc32c (0x1234, s, n));
    CU_ASSERT_EQUAL (fsf_crc16 (fsf_crc16 (0xffff, s, cut), s + cut,
                                n - cut), fsf_crc16 (0xffff, s, n));
  }
}

/* The instruction and the tables agree at every length and alignment. */
static void
test_crc__hardware_and_tables_agree (void)
{
  uint8_t *buf = malloc (4096 + 8);
  size_t len, off;

  CU_ASSERT_PTR_NOT_NULL_FATAL (buf);
  srand (42);
  for (len = 0; len < 4096 + 8; len++)
    buf[len] = rand ();
  for (off = 0; off < 8; off++)
    for (len = 0; len <= 4096; len += (len < 64 ? 1 : 61))
      CU_ASSERT_EQUAL (fsf_crc32c (~0U, buf + off, len),
                       fsf_crc32c_sw (~0U, buf + off, len));
  free (buf);
}

static void
test_crc__empty_input_returns_the_seed (void)
{
  CU_ASSERT_EQUAL (fsf_crc32c (0xdeadbeef, "", 0), 0xdeadbeef);
  CU_ASSERT_EQUAL (fsf_crc16 (0xbeef, "", 0), 0xbeef);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_crc__check_values),
  UNIT_TEST (test_crc__rfc3720_vectors),
  UNIT_TEST (test_crc__chaining_equals_one_pass),
  UNIT_TEST (test_crc__hardware_and_tables_agree),
  UNIT_TEST (test_crc__empty_input_returns_the_seed),
};

UNIT_MAIN ("fsformat/crc", tests)
