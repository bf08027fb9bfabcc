/* nbdscrub fsformat: CRC-32C and CRC-16 (see crc.h). */

#include <pthread.h>
#include <string.h>

#include "bytes.h"
#include "crc.h"

#define CRC32C_POLY 0x82F63B78u
#define CRC16_POLY 0xA001u

#define CRC32_BE_POLY 0x04C11DB7u

static uint32_t crc32c_table[8][256];
static uint32_t crc32_be_table[256];
static uint16_t crc16_table[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void
make_tables (void)
{
  unsigned i, j, k;

  for (i = 0; i < 256; i++) {
    uint32_t c = i;
    uint16_t d = i;

    for (k = 0; k < 8; k++) {
      c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
      d = d & 1 ? (d >> 1) ^ CRC16_POLY : d >> 1;
    }
    crc32c_table[0][i] = c;
    crc16_table[i] = d;
  }
  for (i = 0; i < 256; i++) {
    uint32_t c = (uint32_t) i << 24;

    for (k = 0; k < 8; k++)
      c = c & 0x80000000u ? (c << 1) ^ CRC32_BE_POLY : c << 1;
    crc32_be_table[i] = c;
  }
  /* Slicing by 8: table[j][i] is the CRC of byte i followed by j zeroes. */
  for (i = 0; i < 256; i++)
    for (j = 1; j < 8; j++)
      crc32c_table[j][i] = (crc32c_table[j - 1][i] >> 8)
        ^ crc32c_table[0][crc32c_table[j - 1][i] & 0xff];
}

uint32_t
fsf_crc32c_sw (uint32_t crc, const void *buf, size_t len)
{
  const uint8_t *p = buf;

  pthread_once (&tables_once, make_tables);
  while (len >= 8) {
    uint32_t lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8
                         | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);

    crc = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff]
      ^ crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24]
      ^ crc32c_table[3][p[4]] ^ crc32c_table[2][p[5]]
      ^ crc32c_table[1][p[6]] ^ crc32c_table[0][p[7]];
    p += 8;
    len -= 8;
  }
  while (len-- > 0)
    crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
  return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__ ((target ("sse4.2"))) static uint32_t
crc32c_sse42 (uint32_t crc, const void *buf, size_t len)
{
  const uint8_t *p = buf;
  uint64_t c = crc;

  while (len >= 8) {
    uint64_t v;

    memcpy (&v, p, 8);
    c = _mm_crc32_u64 (c, v);
    p += 8;
    len -= 8;
  }
  crc = (uint32_t) c;
  while (len-- > 0)
    crc = _mm_crc32_u8 (crc, *p++);
  return crc;
}

bool
fsf_crc32c_hw (void)
{
  return __builtin_cpu_supports ("sse4.2");
}

static bool use_hw;
static pthread_once_t hw_once = PTHREAD_ONCE_INIT;

static void
probe_hw (void)
{
  use_hw = fsf_crc32c_hw ();
}

uint32_t
fsf_crc32c (uint32_t crc, const void *buf, size_t len)
{
  pthread_once (&hw_once, probe_hw);
  return use_hw ? crc32c_sse42 (crc, buf, len)
                : fsf_crc32c_sw (crc, buf, len);
}
#else
bool
fsf_crc32c_hw (void)
{
  return false;
}

uint32_t
fsf_crc32c (uint32_t crc, const void *buf, size_t len)
{
  return fsf_crc32c_sw (crc, buf, len);
}
#endif

uint32_t
fsf_crc32c_owner (uint32_t seed, uint32_t ino, uint32_t generation)
{
  uint8_t b[8];

  fsf_put_le32 (b, ino);
  fsf_put_le32 (b + 4, generation);
  return fsf_crc32c (seed, b, sizeof b);
}

uint32_t
fsf_crc32c_hole (uint32_t crc, const void *buf, size_t len, size_t hole)
{
  static const uint8_t zero[4];
  const uint8_t *p = buf;

  crc = fsf_crc32c (crc, p, hole);
  crc = fsf_crc32c (crc, zero, 4);
  return fsf_crc32c (crc, p + hole + 4, len - hole - 4);
}

uint32_t
fsf_crc32_be (uint32_t crc, const void *buf, size_t len)
{
  const uint8_t *p = buf;

  pthread_once (&tables_once, make_tables);
  while (len-- > 0)
    crc = (crc << 8) ^ crc32_be_table[(crc >> 24) ^ *p++];
  return crc;
}

uint16_t
fsf_crc16 (uint16_t crc, const void *buf, size_t len)
{
  const uint8_t *p = buf;

  pthread_once (&tables_once, make_tables);
  while (len-- > 0)
    crc = (crc >> 8) ^ crc16_table[(crc ^ *p++) & 0xff];
  return crc;
}
